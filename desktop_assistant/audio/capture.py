"""The microphone: one persistent input stream, a preroll ring, and utterances cut by press and release.

Blocks arrive from a ``BlockSource`` (``audio/sources.py``: the sound card through PortAudio, or a clip
played in real time for tests and the benchmark) and are only copied into a bounded queue there. A
reader thread moves them into the preroll ring while idle, or onto the utterance while recording;
``begin``, ``snapshot`` and ``end`` first take whatever is queued themselves, so they always see every
block received before the call.

When the source fails mid-utterance, ``end()`` raises ``CaptureInterrupted``, which carries the audio
captured up to the failure; the microphone then stays failed (``error``) until closed and started again.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from desktop_assistant.audio.sources import BlockSource, DeviceSource
from desktop_assistant.errors import AudioDeviceError

# Seconds of blocks the queue holds while the reader is busy; beyond this a block is dropped and counted.
QUEUE_S = 2.0
# How long end() waits past the tail before deciding the source has stopped delivering.
STALL_S = 1.0
# The reader wakes for every block; the timeout only bounds how long close() can go unnoticed.
READ_WAIT_S = 0.5
# An utterance buffer starts this long (seconds) and doubles when a press lasts longer.
FIRST_UTTERANCE_S = 30


class CaptureInterrupted(AudioDeviceError):
    """The microphone failed while recording; ``audio`` holds what was captured before it did."""

    def __init__(self, message: str, hint: str, audio: npt.NDArray[np.float32]) -> None:
        super().__init__(message, hint)
        self.audio = audio


class Microphone:
    """One persistent input stream at ``rate`` Hz mono; a preroll ring keeps the last ``preroll_ms`` so the
    syllable spoken as the key goes down survives, and ``end()`` adds ``tail_ms`` after the release."""

    def __init__(
        self,
        device: str = "",
        rate: int = 16_000,
        block_ms: int = 20,
        preroll_ms: int = 400,
        tail_ms: int = 100,
        source: BlockSource | None = None,
    ) -> None:
        self._source: BlockSource = source or DeviceSource(device, rate, block_ms)
        self._rate = rate
        self._tail = rate * tail_ms // 1000
        self._capacity = max(1, int(QUEUE_S * 1000 / block_ms))
        self._ring = np.zeros(rate * preroll_ms // 1000, np.float32)
        self._ring_end = 0
        self._ring_filled = 0
        self._utterance = np.zeros(0, np.float32)
        self._length = 0
        self._recording = False
        self._level = 0.0
        self._overruns = 0
        self._error: AudioDeviceError | None = None
        self._pending: deque[npt.NDArray[np.float32]] = deque()
        self._ready = threading.Event()
        self._live = threading.Event()
        self._stop = threading.Event()
        self._cond = threading.Condition(threading.Lock())
        self._resampler: Any = None
        self._reader: threading.Thread | None = None

    @property
    def overruns(self) -> int:
        """Blocks lost: reported by the device as overflowed, or dropped because the queue was full."""
        return self._overruns

    @property
    def level(self) -> float:
        """RMS of the latest block, for a level meter."""
        return self._level

    @property
    def recording(self) -> bool:
        """True between ``begin()`` and ``end()``."""
        return self._recording

    @property
    def error(self) -> AudioDeviceError | None:
        """Why the source stopped, if it did; ``begin()`` raises it until the microphone is restarted."""
        return self._error

    def start(self) -> None:
        """Open the source and start the reader; a second call does nothing."""
        if self._reader is not None:
            return
        self._pending = deque()
        self._error = None
        self._ring_filled = 0
        self._live.clear()
        self._stop.clear()
        self._source.start(self._push, self._fail)
        source_rate = self._source.rate
        self._resampler = (
            soxr.ResampleStream(source_rate, self._rate, 1, dtype="float32")
            if source_rate != self._rate
            else None
        )
        self._reader = threading.Thread(target=self._read, name="microphone", daemon=True)
        self._reader.start()

    def close(self) -> None:
        """Stop the source and the reader, and join them."""
        self._source.stop()
        self._stop.set()
        self._ready.set()
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        self._recording = False

    def wait_live(self, timeout: float) -> bool:
        """True once the source has delivered audio (PulseAudio may start a new stream a second late)."""
        return self._live.wait(timeout)

    def begin(self) -> None:
        """Start a new utterance with the preroll's contents (any utterance in progress is dropped)."""
        with self._cond:
            if self._reader is None:
                raise RuntimeError("Microphone.start() must be called before begin()")
            if self._error is not None:
                raise self._error
            self._take_pending()
            size = len(self._ring)
            order = np.arange(self._ring_end - self._ring_filled, self._ring_end) % size
            preroll = self._ring[order]
            self._utterance = np.zeros(max(len(preroll), FIRST_UTTERANCE_S * self._rate), np.float32)
            self._utterance[: len(preroll)] = preroll
            self._length = len(preroll)
            self._recording = True

    def snapshot(self) -> npt.NDArray[np.float32]:
        """A copy of the utterance so far (empty when not recording), for eager transcription."""
        with self._cond:
            if not self._recording:
                return np.zeros(0, np.float32)
            self._take_pending()
            return self._utterance[: self._length].copy()

    def end(self) -> npt.NDArray[np.float32]:
        """Wait for ``tail_ms`` more audio and return the utterance.

        Raises ``CaptureInterrupted`` (an ``AudioDeviceError`` carrying the audio so far) when the source
        fails or delivers nothing for ``STALL_S`` past the tail.
        """
        with self._cond:
            if not self._recording:
                raise RuntimeError("Microphone.end() called without begin()")
            self._take_pending()
            target = self._length + self._tail
            arrived = self._cond.wait_for(
                lambda: self._length >= target or self._error is not None,
                timeout=self._tail / self._rate + STALL_S,
            )
            self._recording = False
            audio = self._utterance[: min(self._length, target)].copy()
            if self._error is None and not arrived:
                self._error = AudioDeviceError(
                    "The microphone stopped sending audio", "Check that it is still connected."
                )
            error = self._error
        if error is not None:
            raise CaptureInterrupted(error.message, error.hint, audio)
        return audio

    # ----- source side: cheap, runs on the audio thread -------------------------------------------

    def _push(self, block: npt.NDArray[np.float32], overflowed: bool) -> None:
        if overflowed:
            self._overruns += 1
        if len(self._pending) >= self._capacity:
            self._overruns += 1
            return
        self._pending.append(block)
        self._ready.set()

    def _fail(self, error: AudioDeviceError) -> None:
        with self._cond:
            if self._error is None:
                self._error = error
            self._cond.notify_all()

    # ----- reader side ---------------------------------------------------------------------------

    def _read(self) -> None:
        while not self._stop.is_set():
            self._ready.wait(READ_WAIT_S)
            self._ready.clear()
            with self._cond:
                if self._take_pending():
                    self._cond.notify_all()

    def _take_pending(self) -> bool:
        """Move every queued block into the ring or the utterance (lock held); True if any was."""
        moved = False
        while self._pending:
            block = self._pending.popleft()
            if self._resampler is not None:
                block = self._resampler.resample_chunk(block)
            if not block.size:
                continue
            moved = True
            self._live.set()
            self._level = float(np.sqrt(np.mean(np.square(block))))
            if self._recording:
                self._append(block)
            else:
                self._remember(block)
        return moved

    def _append(self, block: npt.NDArray[np.float32]) -> None:
        end = self._length + len(block)
        if end > len(self._utterance):
            grown = np.zeros(max(end, 2 * len(self._utterance)), np.float32)
            grown[: self._length] = self._utterance[: self._length]
            self._utterance = grown
        self._utterance[self._length : end] = block
        self._length = end

    def _remember(self, block: npt.NDArray[np.float32]) -> None:
        size = len(self._ring)
        if not size:
            return
        block = block[-size:]
        positions = np.arange(self._ring_end, self._ring_end + len(block)) % size
        self._ring[positions] = block
        self._ring_end = (self._ring_end + len(block)) % size
        self._ring_filled = min(size, self._ring_filled + len(block))
