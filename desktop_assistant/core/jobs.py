"""A turn in flight (``LiveTurn``) and the frozen jobs the engine's stage workers pass along for it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.listening import Utterance
from desktop_assistant.core.turn import Turn
from desktop_assistant.errors import AssistantError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.text.guard import GuardAction


@dataclass(eq=False)
class LiveTurn:
    """A turn and what it produced so far: written by the workers under the engine's lock.

    ``conversation`` is the one the turn belongs to (a later switch does not move it); ``source`` says
    whether the question was ``"spoken"`` or ``"typed"``.
    """

    turn: Turn
    conversation: Conversation
    source: str
    images: tuple[PreparedImage, ...] = ()
    transcript: str = ""
    reply: list[str] = field(default_factory=list)
    chunks: list[tuple[str, float]] = field(default_factory=list)
    error: AssistantError | None = None
    ended: bool = False
    blocked: bool = False
    guard_actions: list[GuardAction] = field(default_factory=list)
    # How much of the reply the turn log has been given.
    kept_chars: int = 0


@dataclass(frozen=True)
class StageJob:
    """A job of one stage for one turn."""

    live: LiveTurn

    @property
    def turn_id(self) -> str:
        """The turn the job is for."""
        return self.live.turn.id


@dataclass(frozen=True)
class HearJob(StageJob):
    """Transcribe a turn: a live utterance or a given recording."""

    source: Utterance | npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class ThinkJob(StageJob):
    """Ask the model and stream its reply into spoken chunks."""


@dataclass(frozen=True)
class SpeakJob(StageJob):
    """Synthesize one chunk; ``text`` None marks the end of the reply."""

    index: int = 0
    text: str | None = None
