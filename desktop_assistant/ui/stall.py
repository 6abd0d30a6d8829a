"""How long the GUI thread was ever unable to react: the lateness of a fast timer."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer

TICK_MS = 5


class StallMeter(QObject):
    """Fires every ``TICK_MS`` on the GUI thread and keeps the largest lateness, in ms: a frozen GUI
    thread (a model call, a blocking wait, a slow repaint) shows up as one late tick."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.worst_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        """Start measuring (the worst stall so far is kept)."""
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        """Stop measuring."""
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst_ms = max(self.worst_ms, (now - self._last) * 1000 - TICK_MS)
        self._last = now
        self.ticks += 1
