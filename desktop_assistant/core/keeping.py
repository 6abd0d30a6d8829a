"""``TurnKeeping``: what the engine keeps of each turn, in the turn's conversation (the next requests'
context) and in the turn log (the history), as the turn happens."""

from __future__ import annotations

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.core.jobs import LiveTurn
from desktop_assistant.core.turn_log import AskedTurn, TurnLog

# The streamed reply is kept at every sentence end, and at least every this many characters.
KEEP_EVERY_CHARS = 200
_SENTENCE_ENDS = frozenset(".!?;:\n")


class TurnKeeping:
    """Keeps turns for the engine; without a ``log`` only the conversation remembers them."""

    def __init__(self, log: TurnLog | None) -> None:
        self._log = log

    def asked(self, live: LiveTurn) -> str | None:
        """Keep the question before the model is called; a line for the user when it could not be."""
        if self._log is None:
            return None
        return self._log.asked(self._asked(live))

    def replied(self, live: LiveTurn, delta: str, spoken: list[str]) -> None:
        """``delta`` arrived: keep the reply so far when it ended a sentence or grew by a paragraph."""
        if self._log is None:
            return
        live.unkept_chars += len(delta)
        if _SENTENCE_ENDS.isdisjoint(delta) and live.unkept_chars < KEEP_EVERY_CHARS:
            return
        live.unkept_chars = 0
        self._log.replying(live.turn.id, "".join(live.reply), " ".join(spoken))

    def ended(self, live: LiveTurn, ended: TurnEnded, cut: bool) -> None:
        """The turn is over: the conversation gets it as the user got it (``cut``: the reply played
        only up to ``ended.heard``), the log all of it."""
        cut_off = cut or ended.blocked or ended.incomplete
        failed = ended.error is not None
        question = live.question.message  # as the model was asked: the words and the note
        live.conversation.record(question, live.images, ended.reply, ended.heard, cut_off, failed)
        if self._log is not None and live.transcript:
            self._log.ended(self._asked(live), ended)

    @staticmethod
    def _asked(live: LiveTurn) -> AskedTurn:
        question = live.question
        return AskedTurn(
            live.conversation.id,
            live.turn.id,
            live.source,
            question.text,
            live.images,
            question.cues,
            question.measures,
        )
