"""What the history holds: conversations, turns and their images, search hits, and how a turn ended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.text.guard import GuardAction

TITLE_CHARS = 60
# Around each match in a search snippet (the UI turns them into highlighting, the CLI into brackets).
MATCH_START, MATCH_END = "\x02", "\x03"


def new_conversation_id() -> str:
    """A fresh conversation id (short enough to type after ``history show``)."""
    return uuid.uuid4().hex[:12]


def title_for(question: str) -> str:
    """A conversation's title from its first question: its first line, cut at a word near 60 characters."""
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text.rfind(" ", 0, TITLE_CHARS)
    return text[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS].rstrip(" ,.;:") + "…"


@dataclass(frozen=True)
class StoredImage:
    """An image that went with a question; ``file`` and ``thumbnail`` are None when images are not kept."""

    position: int
    name: str
    mime: str
    width: int
    height: int
    file: Path | None
    thumbnail: Path | None

    def prepared(self) -> PreparedImage | None:
        """The image as it was sent to the model, or None when its copy is not kept (or is gone)."""
        if self.file is None:
            return None
        try:
            data = self.file.read_bytes()
        except OSError:
            return None
        return PreparedImage(data, self.mime, self.width, self.height, self.name)


@dataclass(frozen=True)
class TurnRecord:
    """One stored turn. ``ended_at`` None: the turn never ended (the app was killed mid-reply).
    ``voice_cues`` is the note on how a spoken question sounded (sent after it to the model), with the
    measures behind it."""

    id: str
    conversation_id: str
    created_at: float
    ended_at: float | None
    source: str
    question: str
    images: tuple[StoredImage, ...] = ()
    reply: str = ""
    spoken: str = ""
    heard: str = ""
    interrupted: bool = False
    incomplete: bool = False
    blocked: bool = False
    guard_actions: tuple[GuardAction, ...] = ()
    models: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    voice_cues: str = ""
    voice_measures: dict[str, float | None] = field(default_factory=dict)

    @property
    def cut_short(self) -> bool:
        """Whether the reply is not whole: the stream was cut, or the turn never ended."""
        return self.incomplete or self.ended_at is None


@dataclass(frozen=True)
class ConversationSummary:
    """A conversation as the list shows it."""

    id: str
    title: str
    created_at: float
    updated_at: float
    turn_count: int


@dataclass(frozen=True)
class SearchHit:
    """A turn that matches a search; ``snippet`` marks each match with ``MATCH_START`` and ``MATCH_END``."""

    conversation_id: str
    title: str
    turn_id: str
    created_at: float
    snippet: str


@dataclass(frozen=True)
class TurnEnd:
    """What a turn came to, written by ``end_turn``."""

    reply: str
    spoken: str
    heard: str
    interrupted: bool
    incomplete: bool
    blocked: bool
    error: str | None
    timings_ms: dict[str, float | None]
    guard_actions: tuple[GuardAction, ...] = ()
    # The models the turn used, as the turn learnt them (the one that answered): replaces those begun with.
    models: dict[str, str] | None = None
