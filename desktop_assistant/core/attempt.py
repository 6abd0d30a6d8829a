"""``ReplyAttempt``: one request for a turn's reply, direct or speculative.

A direct attempt is asked once the transcript is final; it shares the turn's cancel token and marks,
and delivers everything at once. A speculative attempt is asked while the key is still held, once the
user has gone quiet: it has a cancel token and marks of its own, and what it would show, keep or play
waits in order until the final transcript turns out to be the question it asked (``confirm``), or is
forgotten when it does not (``drop``: its token is set, so its request's connection is closed and its
chunks are never synthesized further).

``deliver``, ``confirm`` and ``drop`` are called with the engine's lock held, which orders them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from desktop_assistant.cancel import CancelToken
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.voice_cues import Question

Delivery = Callable[[], None]


class ReplyAttempt:
    """A request for ``question`` on behalf of ``turn``."""

    def __init__(self, turn: Turn, question: Question, speculative: bool = False) -> None:
        self.question = question
        self.speculative = speculative
        self.cancel = CancelToken() if speculative else turn.cancel
        self._turn = turn
        self._marks: dict[str, float] = {} if speculative else turn.marks
        self._marks_lock = threading.Lock()
        self._confirmed = not speculative
        self._held: list[Delivery] = []

    @property
    def confirmed(self) -> bool:
        """True for a direct attempt, and for a speculative one once its question is the final one."""
        return self._confirmed

    def mark(self, name: str) -> None:
        """A stage mark: the turn's own once confirmed (the first mark of a name wins)."""
        with self._marks_lock:
            self._marks.setdefault(name, time.perf_counter())

    def deliver(self, action: Delivery) -> bool:
        """Run ``action`` now when confirmed, else hold it; False (nothing done) once cancelled."""
        if self.cancel.is_set():
            return False
        if self._confirmed:
            action()
        else:
            self._held.append(action)
        return True

    def confirm(self) -> None:
        """The final transcript is this attempt's question: its marks become the turn's, and what it
        held is delivered, in the order it came."""
        with self._marks_lock:
            for name, at in self._marks.items():
                self._turn.marks.setdefault(name, at)
            self._marks = self._turn.marks
        self._confirmed = True
        held, self._held = self._held, []
        for action in held:
            action()

    def drop(self) -> None:
        """Abandon the attempt: its request is cut off and nothing it held is delivered."""
        self.cancel.set()
        self._held.clear()
