"""How a download reports its progress: bytes, rate and time left, to a terminal bar or a dialog."""

from __future__ import annotations

import time
from typing import Protocol

# The rate is a moving average over this many seconds, so a stall shows at once and a burst does not.
RATE_WINDOW_S = 5.0


class Progress(Protocol):
    """Told about each file of a download, from any one thread at a time."""

    def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
        """A file (or an Ollama layer set) starts; ``done_bytes`` are already on disk (a resume)."""

    def advance(self, n_bytes: int) -> None:
        """``n_bytes`` more arrived."""

    def end(self) -> None:
        """The file is complete and verified."""


class Rate:
    """Bytes per second over the last few seconds, and the time left at that rate."""

    def __init__(self) -> None:
        self._samples: list[tuple[float, int]] = []
        self._now = time.monotonic

    def add(self, done_bytes: int) -> None:
        """Record that ``done_bytes`` are done now."""
        now = self._now()
        self._samples.append((now, done_bytes))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_S:
            self._samples.pop(0)

    def bytes_per_s(self) -> float:
        """The recent rate; 0 before two samples."""
        if len(self._samples) < 2:
            return 0.0
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0

    def seconds_left(self, total_bytes: int) -> float | None:
        """Time left at the recent rate; None while the rate is unknown."""
        rate = self.bytes_per_s()
        if rate <= 0 or not self._samples:
            return None
        return max(0.0, (total_bytes - self._samples[-1][1]) / rate)


def human_bytes(n: float) -> str:
    """``1.5 GB``, ``320 MB``, ``12 kB``: decimal units, as disks and downloads are sold."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} B"


def human_duration(seconds: float | None) -> str:
    """``2 min 5 s``, ``40 s``, or ``…`` while unknown."""
    if seconds is None:
        return "…"
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600} h {whole % 3600 // 60} min"
    if whole >= 60:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole} s"
