"""A turn in flight (``LiveTurn``) and the frozen jobs the engine's stage workers pass along for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt

from desktop_assistant.core.attempt import Delivery, ReplyAttempt
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.core.heard import heard_text
from desktop_assistant.core.listening import Utterance
from desktop_assistant.core.timings import turn_timings
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.voice_cues import Question
from desktop_assistant.errors import AssistantError, ReplyInterrupted
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.text.guard import GuardAction


@dataclass(eq=False)
class LiveTurn:
    """A turn and what it produced so far: written by the workers under the engine's lock.

    ``conversation`` is the one the turn belongs to (a later switch does not move it); ``source`` says
    whether the question was ``"spoken"`` or ``"typed"``; ``question`` is its words (the transcript)
    and the note on how it sounded. ``attempt`` is the request for its reply now
    under way (a speculative one while the key is held); ``asked`` is set once the question is kept.
    ``answered_by`` is the model asked for the reply that reaches the user, with its backend.
    """

    turn: Turn
    conversation: Conversation
    source: str
    images: tuple[PreparedImage, ...] = ()
    question: Question = field(default_factory=lambda: Question(""))
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
    answered_by: tuple[str, str] = ("", "")

    @property
    def transcript(self) -> str:
        """The question's words."""
        return self.question.text

    # The early reply (asked while the key is held); the engine calls these with its lock held.

    def start_early_reply(self, question: Question) -> ReplyAttempt:
        """Ask ``question`` speculatively, dropping any early reply before it."""
        self.drop_early_reply()
        self.attempt = ReplyAttempt(self.turn, question, speculative=True)
        self.turn.mark("speculated")
        return self.attempt

    def drop_early_reply(self) -> None:
        """Forget the early reply, if one is under way and not yet kept (its request is cut off)."""
        attempt = self.attempt
        if attempt is not None and not attempt.confirmed:
            attempt.drop()
            self.attempt = None
            self.turn.mark("speculation_dropped")

    def early_reply_for(self, question: Question) -> ReplyAttempt | None:
        """The early reply when it asked ``question`` (the final transcript and its note); else it is
        dropped."""
        early = self.attempt
        if early is not None and not early.confirmed and early.question == question:
            return early
        self.drop_early_reply()
        return None

    def deliver(self, attempt: ReplyAttempt, action: Delivery) -> bool:
        """Deliver ``action`` of ``attempt`` (held while it is speculative); False once the attempt
        is not this turn's any more, or the turn is over."""
        if self.attempt is not attempt or self.ended:
            return False
        return attempt.deliver(partial(_unless_ended, self, action))

    def guarded(self, blocked: bool, actions: list[GuardAction]) -> list[GuardAction]:
        """The guard's word on the reply so far: whether it blocked the rest, and all it did, in order;
        the actions new since its last word."""
        new = actions[len(self.guard_actions) :]
        self.blocked, self.guard_actions = blocked, actions
        return new

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
            voice_cues=self.question.cues,
            model=self.answered_by[0],
            backend=self.answered_by[1],
        )


def _unless_ended(live: LiveTurn, action: Callable[[], None]) -> None:
    """Run a held ``action`` only while its turn is still on (an earlier one may have ended it)."""
    if not live.ended:
        action()


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
