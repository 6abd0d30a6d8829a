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


@dataclass(frozen=True)
class TokenCounts:
    """What the model reported for one reply: tokens of the prompt it read and of the reply it wrote."""

    prompt: int
    reply: int


class ChatModel(Protocol):
    """A streamed chat model. Errors are ``LLMError`` with a one-line message and a hint."""

    @property
    def model(self) -> str:
        """The model name replies come from."""
        ...

    def load(self) -> None:
        """Load the model now (the warm-up), so the first reply starts sooner; ``LLMError`` on failure."""
        ...

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        """Raise ``LLMError`` unless the server is up, has the model and (if asked) it sees images."""
        ...

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        """Yield the reply's text as it is generated; once ``cancel`` is set, stop at once (even while
        no token has come yet) and close the stream. ``on_counts`` gets the model's token counts when
        it reports them at the end.

        A stream cut mid-reply raises ``ReplyInterrupted`` carrying the text that arrived.
        """
        ...

    def close(self) -> None:
        """Release the connection; the model is not used afterwards."""
        ...
