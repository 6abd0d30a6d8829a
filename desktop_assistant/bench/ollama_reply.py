"""What the loopback Ollama (``ollama_api.py``) answers a chat with: a scripted text cut into tokens, or
a real model's reply as it is generated (``OllamaTestServer.model_reply``, e.g. the built-in
``LlamaCppChat`` over a GGUF file).

Both come out as one ``Generation``, so the handler writes their lines the same way: the tokens, then
the counts for the done line, and ``stop()`` once the answer is over (a real reply is cancelled there
when the client hung up first, and the model stops before its next token).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from desktop_assistant.bench.ollama_bodies import prompt_token_count, split_tokens
from desktop_assistant.errors import AssistantError
from desktop_assistant.llm.base import ChatMessage, ChatModel, TokenCounts


class Generation:
    """One chat's reply: ``tokens`` to send in order, then ``counts()`` and ``error`` for its end."""

    def __init__(
        self,
        tokens: Iterable[str],
        prompt_count: int,
        cancel: threading.Event | None = None,
        model_counts: list[TokenCounts] | None = None,
    ) -> None:
        self._source = iter(tokens)
        self._prompt_count = prompt_count
        self._cancel = cancel
        self._model_counts = model_counts if model_counts is not None else []
        self._sent = 0
        self.error: str | None = None

    @property
    def tokens(self) -> Iterator[str]:
        """The reply's tokens; a model's failure ends them and is kept in ``error`` (Ollama's error line)."""
        try:
            for token in self._source:
                self._sent += 1
                yield token
        except AssistantError as exc:
            self.error = exc.line()

    def counts(self) -> tuple[int, int]:
        """``(prompt_eval_count, eval_count)``: the model's own where it reported them, else the prompt's
        tokens as ``split_tokens`` cuts them and the tokens sent."""
        if self._model_counts:
            return self._model_counts[-1].prompt, self._model_counts[-1].reply
        return self._prompt_count, self._sent

    def stop(self) -> None:
        """End the reply: a model still generating is cancelled (it stops before its next token)."""
        if self._cancel is not None:
            self._cancel.set()
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def scripted(messages: Sequence[dict[str, Any]], text: str) -> Generation:
    """``text`` cut the way an LLM streams it."""
    return Generation(split_tokens(text), prompt_token_count(messages))


def generated(model: ChatModel, messages: Sequence[dict[str, Any]]) -> Generation:
    """``model``'s reply to ``messages`` (their text; images are left out), delta by delta."""
    cancel = threading.Event()
    wire = [ChatMessage(m.get("role") or "user", str(m.get("content") or "")) for m in messages]
    counted: list[TokenCounts] = []
    deltas = model.stream_reply(wire, cancel, on_counts=counted.append)
    return Generation(deltas, prompt_token_count(messages), cancel, counted)
