"""``Turn``: one question and its answer, with its id, cancel token and stage timestamps."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field

from desktop_assistant.cancel import CancelToken


@dataclass
class Turn:
    """Stage marks are ``time.perf_counter()`` readings; the first mark of a name wins.

    ``cancel`` is set when the turn is interrupted; ``released`` when the push-to-talk key goes up.
    """

    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    cancel: CancelToken = field(default_factory=CancelToken)
    released: threading.Event = field(default_factory=threading.Event)
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)

    def mark(self, name: str) -> None:
        """Record that stage event ``name`` happened now (thread-safe: dict writes are atomic)."""
        self.marks.setdefault(name, time.perf_counter())

    def since_start_ms(self, name: str) -> float | None:
        """Milliseconds from the turn's start to mark ``name``, if it happened."""
        at = self.marks.get(name)
        return None if at is None else round((at - self.started) * 1000, 1)

    def between_ms(self, first: str, second: str) -> float | None:
        """Milliseconds from mark ``first`` to mark ``second``, if both happened."""
        a, b = self.marks.get(first), self.marks.get(second)
        return None if a is None or b is None else round((b - a) * 1000, 1)
