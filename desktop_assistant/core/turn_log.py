"""``TurnLog``: where the engine keeps each turn as it happens (the history store, in the app and ``ask``).

The engine calls it from its stage threads: ``asked`` before the model is called (it returns once the
question is kept), ``replying`` as the reply streams, ``ended`` once with what the turn came to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.llm.base import PreparedImage


@dataclass(frozen=True)
class AskedTurn:
    """A question: its turn and conversation, whether it was ``"spoken"`` or ``"typed"``, its images, and
    for a spoken one the note on how it sounded (``voice_cues``, "" for none) with its measures."""

    conversation_id: str
    turn_id: str
    source: str
    question: str
    images: tuple[PreparedImage, ...] = ()
    voice_cues: str = ""
    voice_measures: dict[str, float | None] = field(default_factory=dict)


class TurnLog(Protocol):
    """Keeps turns; a failure to keep one never fails the turn."""

    def asked(self, turn: AskedTurn) -> str | None:
        """Keep the question before the model is asked; returns once it is kept, or a line saying why
        it could not be."""
        ...

    def replying(self, turn_id: str, reply: str, spoken: str) -> None:
        """The reply and the text sent to speech so far (kept soon; returns at once)."""
        ...

    def ended(self, turn: AskedTurn, ended: TurnEnded) -> None:
        """What the turn came to (kept soon; returns at once). The question is kept too if ``asked``
        never ran (the turn ended before the model was called)."""
        ...
