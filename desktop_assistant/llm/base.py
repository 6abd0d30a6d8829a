"""The ``ChatModel`` protocol: what the turn needs from a language model."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class PreparedImage:
    """An image checked and re-encoded for the model: ``data`` is the encoded file."""

    data: bytes
    mime: str
    width: int
    height: int
    source: str


@dataclass(frozen=True)
class ChatMessage:
    """One message of the conversation sent to the model."""

    role: Literal["system", "user", "assistant"]
    content: str
    images: tuple[PreparedImage, ...] = ()


def reply_room(num_ctx: int) -> int:
    """The tokens of a ``num_ctx`` window kept for the reply: a quarter, at most 1024 (a spoken reply is
    short). Requests leave that much free; the built-in model stops there."""
    return min(1024, num_ctx // 4)


@dataclass(frozen=True)
class TokenCounts:
    """What the model reported for one reply: ``prompt`` tokens evaluated (Ollama's
    ``prompt_eval_count``) and ``reply`` tokens generated (``eval_count``)."""

    prompt: int
    reply: int


class ChatModel(Protocol):
    """A streamed chat model. Errors are ``LLMError`` with a one-line message and a hint."""

    @property
    def model(self) -> str:
        """The model name replies come from."""
        ...

    @property
    def backend(self) -> str:
        """Who runs the model: ``ollama`` or ``builtin`` (llama.cpp in this process)."""
        ...

    def answerer(self, cancel: threading.Event | None = None) -> ChatModel:
        """The model that answers the next request: itself, or (``llm.backend = auto``) the one that
        answers now. Never raises: a model that cannot answer says so when it is asked."""
        ...

    def load(self) -> None:
        """Have the server load the model now, so the first reply starts sooner; ``LLMError`` on failure
        or when ``close()`` is called meanwhile."""
        ...

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Raise ``LLMError`` unless the server is up, has the model and (if asked) it sees images;
        also once ``cancel`` is set or ``close()`` is called while it waits."""
        ...

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated. Once ``cancel`` is set, end promptly (even while
        waiting for the first token) and hang up the request; a cancel is not an error.

        ``on_counts`` is called once with the reply's ``TokenCounts`` when the model reports them.
        A stream cut mid-reply raises ``ReplyInterrupted`` carrying the text that arrived.
        """
        ...

    def close(self) -> None:
        """Abandon any request in flight (from any thread) and release the connection; the model is
        not used afterwards."""
        ...
