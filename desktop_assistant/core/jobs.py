"""A turn in flight (``LiveTurn``) and the frozen jobs the engine's stage workers pass along for it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from desktop_assistant.core.attempt import ReplyAttempt
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.core.heard import heard_text
from desktop_assistant.core.listening import Utterance
from desktop_assistant.core.timings import turn_timings
from desktop_assistant.core.turn import Turn
from desktop_assistant.errors import AssistantError, ReplyInterrupted
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.text.guard import GuardAction


@dataclass(eq=False)
class LiveTurn:
    """A turn and what it produced so far: written by the workers under the engine's lock.

    ``conversation`` is the one the turn belongs to (a later switch does not move it); ``source`` says
    whether the question was ``"spoken"`` or ``"typed"``. ``attempt`` is the request for its reply now
    under way (a speculative one while the key is held); ``asked`` is set once the question is kept.
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
    # Characters of the reply that arrived since the turn log was last given it.
    unkept_chars: int = 0
    attempt: ReplyAttempt | None = None
    asked: bool = False

    def outcome(self, error: AssistantError | None, interrupted: bool, cut_at: float | None) -> TurnEnded:
        """What the turn came to, as it ends. ``cut_at``: seconds of the reply that played before it was
        cut (a barge-in, or the speaker lost); only that much of it was heard."""
        spoken = " ".join(text for text, _ in self.chunks)
        reply = "".join(self.reply)
        if isinstance(error, ReplyInterrupted) and not reply:
            reply = error.partial
        return TurnEnded(
            turn_id=self.turn.id,
            transcript=self.transcript,
            reply=reply,
            spoken=spoken,
            heard=heard_text(self.chunks, cut_at) if cut_at is not None else spoken,
            interrupted=interrupted,
            incomplete=isinstance(error, ReplyInterrupted),
            error=error.line() if error is not None else None,
            timings_ms=turn_timings(self.turn),
            blocked=self.blocked,
            guard_actions=tuple(self.guard_actions),
        )


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
class ReplyJob(StageJob):
    """A job for one attempt at the turn's reply."""

    attempt: ReplyAttempt


@dataclass(frozen=True)
class ThinkJob(ReplyJob):
    """Ask the model and stream its reply into spoken chunks."""


@dataclass(frozen=True)
class SpeakJob(ReplyJob):
    """Synthesize one chunk; ``text`` None marks the end of the reply."""

    index: int = 0
    text: str | None = None
