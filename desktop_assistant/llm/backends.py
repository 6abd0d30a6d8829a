"""Choosing who answers (``llm.backend``): Ollama, the built-in model, or ``auto``, which asks Ollama
when it answers and the built-in model otherwise, afresh for every reply.

``AutoChat`` asks the Ollama server about the chosen model (``/api/show``, with a short timeout of its
own) before each reply: a refused connection fails in a millisecond, so a server that is down costs a
turn nothing, and one that comes up is used from the next turn on. ``UnavailableChat`` stands for a
built-in model that cannot run here (no llama-cpp-python, no GGUF file): every call gives its line.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence

from desktop_assistant.errors import AssistantError, LLMError
from desktop_assistant.llm.base import ChatMessage, ChatModel, TokenCounts
from desktop_assistant.llm.llama_cpp_chat import BACKEND as BUILTIN

log = logging.getLogger(__name__)

# How long AutoChat waits for Ollama to say whether it has the model, before the built-in one answers.
PROBE_TIMEOUT_S = 2.0


class UnavailableChat:
    """A built-in model that cannot run here: ``load``, ``check_ready`` and ``stream_reply`` raise
    ``error`` (its line says what to install)."""

    def __init__(self, error: AssistantError) -> None:
        self._error = LLMError(error.message, error.hint)

    @property
    def model(self) -> str:
        """What the user chose: the built-in model."""
        return "built-in model"

    @property
    def backend(self) -> str:
        """``builtin``."""
        return BUILTIN

    @property
    def error(self) -> LLMError:
        """Why it cannot run."""
        return self._error

    def answerer(self, cancel: threading.Event | None = None) -> UnavailableChat:
        """This one: it answers every request with its line."""
        return self

    def load(self) -> None:
        """Raise the line."""
        raise self._error

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Raise the line."""
        raise self._error

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """Raise the line."""
        raise self._error

    def close(self) -> None:
        """Nothing is open."""


class AutoChat:
    """Ollama's model when the server answers and has it, else the built-in model.

    ``probe`` is a second client of the same server whose timeout is ``PROBE_TIMEOUT_S`` (a remote host
    that does not answer must not hold a turn for ``llm.timeout_s``). ``model`` and ``backend`` name the
    one chosen last (Ollama's before the first reply).
    """

    def __init__(self, ollama: ChatModel, probe: ChatModel, builtin: ChatModel) -> None:
        self._ollama = ollama
        self._probe = probe
        self._builtin = builtin
        self._lock = threading.Lock()
        self._last = ollama

    @property
    def model(self) -> str:
        """The model chosen last."""
        with self._lock:
            return self._last.model

    @property
    def backend(self) -> str:
        """Who ran the model chosen last."""
        with self._lock:
            return self._last.backend

    def answerer(self, cancel: threading.Event | None = None) -> ChatModel:
        """Ollama's model when the server answers that it has it; else the built-in one."""
        try:
            self._probe.check_ready(needs_vision=False, cancel=cancel)
            chosen = self._ollama
        except AssistantError as exc:
            log.info("The built-in model answers: %s", exc.line())
            chosen = self._builtin
        with self._lock:
            if chosen is not self._last:
                log.info("Answering with %s (%s)", chosen.model, chosen.backend)
            self._last = chosen
        return chosen

    def load(self) -> None:
        """Warm up the model that would answer now."""
        self.answerer().load()

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Whether the model that would answer now can (and sees images, if asked)."""
        self.answerer(cancel).check_ready(needs_vision, cancel)

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """The reply of the model that answers now."""
        yield from self.answerer(cancel).stream_reply(messages, cancel, on_counts)

    def close(self) -> None:
        """Close both models and the probe."""
        for chat in (self._probe, self._ollama, self._builtin):
            chat.close()
