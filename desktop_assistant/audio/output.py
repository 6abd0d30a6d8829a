"""Where synthesized speech goes: the ``AudioOutput`` protocol, and an output that collects it.

The live app and ``ask --play`` use ``playback.Player`` (a persistent device stream); ``ask --out`` uses
``CollectingOutput``, which "plays" instantly into memory so the turn runs at full speed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.errors import AudioDeviceError


@dataclass(frozen=True)
class PlaybackReport:
    """How much of a tag reached the speaker: ``played_s`` seconds; ``interrupted`` when some was cut
    (by ``clear()``, or because the device failed: then ``error`` says why)."""

    played_s: float
    interrupted: bool
    error: AudioDeviceError | None = None


PlayedOut = Callable[[PlaybackReport], None]


class AudioOutput(Protocol):
    """A speaker-like sink for mono float32 chunks at ``source_rate``, tagged with their turn id."""

    def enqueue(self, samples: npt.NDArray[np.float32], tag: str) -> None:
        """Queue samples to play after everything already queued."""
        ...

    def clear(self) -> PlaybackReport:
        """Silence at once and drop everything queued."""
        ...

    def finish(self, tag: str, on_done: PlayedOut) -> None:
        """Nothing more comes for ``tag``: call ``on_done`` once all of it has played, or once it was cut
        (cleared, or the device failed), with what reached the speaker. It is never called from the
        audio callback; it may be called at once, on the caller's thread."""
        ...

    def first_sound_at(self, tag: str) -> float | None:
        """``time.perf_counter()`` when the first non-silent sample of ``tag`` reached the device."""
        ...

    def played_s(self, tag: str) -> float:
        """Seconds of ``tag`` played so far."""
        ...


class CollectingOutput:
    """An output that plays instantly into memory: ``audio(tag)`` is what a speaker would have played."""

    def __init__(self, rate: int = 24_000) -> None:
        self._rate = rate
        self._lock = threading.Lock()
        self._pieces: dict[str, list[npt.NDArray[np.float32]]] = {}
        self._first: dict[str, float] = {}

    def enqueue(self, samples: npt.NDArray[np.float32], tag: str) -> None:
        """Keep the samples; the first audible one counts as heard now."""
        with self._lock:
            self._pieces.setdefault(tag, []).append(samples)
            if tag not in self._first and np.any(np.abs(samples) > 1e-4):
                self._first[tag] = time.perf_counter()

    def clear(self) -> PlaybackReport:
        """Nothing is ever left queued, so nothing is cut."""
        return PlaybackReport(played_s=0.0, interrupted=False)

    def finish(self, tag: str, on_done: PlayedOut) -> None:
        """Everything enqueued has already "played": report it at once."""
        on_done(PlaybackReport(self.played_s(tag), interrupted=False))

    def first_sound_at(self, tag: str) -> float | None:
        """When the first audible sample of ``tag`` arrived."""
        return self._first.get(tag)

    def played_s(self, tag: str) -> float:
        """Everything enqueued counts as played."""
        with self._lock:
            return sum(len(p) for p in self._pieces.get(tag, [])) / self._rate

    def audio(self, tag: str) -> npt.NDArray[np.float32]:
        """All samples enqueued under ``tag``, joined."""
        with self._lock:
            pieces = list(self._pieces.get(tag, []))
        return np.concatenate(pieces) if pieces else np.zeros(0, np.float32)


class RecordingOutput:
    """Plays through ``speaker`` and keeps a copy of everything enqueued, for ``ask --play --out``."""

    def __init__(self, speaker: AudioOutput, copy: CollectingOutput) -> None:
        self._speaker = speaker
        self.copy = copy

    def enqueue(self, samples: npt.NDArray[np.float32], tag: str) -> None:
        """Play the samples and keep them."""
        self._speaker.enqueue(samples, tag)
        self.copy.enqueue(samples, tag)

    def clear(self) -> PlaybackReport:
        """Silence the speaker."""
        return self._speaker.clear()

    def finish(self, tag: str, on_done: PlayedOut) -> None:
        """Report when the speaker has played ``tag`` out."""
        self._speaker.finish(tag, on_done)

    def first_sound_at(self, tag: str) -> float | None:
        """When the speaker first sounded ``tag``."""
        return self._speaker.first_sound_at(tag)

    def played_s(self, tag: str) -> float:
        """Seconds of ``tag`` the speaker played."""
        return self._speaker.played_s(tag)
