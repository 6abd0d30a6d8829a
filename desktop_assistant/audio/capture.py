"""The microphone: one persistent input stream, a preroll ring, and one ``Utterance`` handle per press.

Blocks arrive from a ``BlockSource`` (``audio/sources.py``) and are only copied into a bounded queue
there. A reader thread moves each block into the preroll ring and onto every open utterance. Every
call that reads audio (``begin``, ``snapshot``, ``end``) first takes whatever is queued itself, so it
always sees every block received before the call.

``begin()`` returns a new ``Utterance`` that starts with the ring's contents. Utterances overlap
freely: a press while the previous turn still collects its tail starts a second utterance whose
preroll repeats that tail, and neither touches the other. A turn owns its handle, so a late ``end()``
from an old turn can only finish the old turn's audio. An utterance takes blocks from ``begin()`` until
its tail is complete, it is discarded or it is interrupted; then the microphone forgets it, while the
handle keeps its audio.

The microphone fails (``error``; ``begin()`` raises it) only when the source reports that it stopped.
Every open utterance then raises ``CaptureInterrupted`` from ``end()`` with the audio it captured
before the failure. An utterance whose tail does not arrive in time (``STALL_S``) raises the same for
itself alone, and the microphone carries on; ``close()`` interrupts the open utterances too.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from enum import Enum, auto
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
    """An utterance ended without its tail; ``audio`` holds what it captured before that."""

    def __init__(self, message: str, hint: str, audio: npt.NDArray[np.float32]) -> None:
        super().__init__(message, hint)
        self.audio = audio


class _Stage(Enum):
    RECORDING = auto()  # takes every block
    TAIL = auto()  # end() was called: takes blocks until the tail is complete
    DONE = auto()  # complete, discarded, stalled or interrupted: takes nothing more


class Utterance:
    """The audio of one press, from its preroll to the tail after ``end()``; made by ``Microphone.begin()``.

    ``snapshot()`` and ``end()`` may be called from any thread. Once done, the audio never changes:
    ``end()`` and ``snapshot()`` return it again (``end()`` raises the same ``CaptureInterrupted`` again
    when the utterance was interrupted).
    """

    def __init__(
        self,
        cond: threading.Condition,
        drain: Callable[[], object],
        preroll: npt.NDArray[np.float32],
        rate: int,
        tail: int,
    ) -> None:
        self._cond = cond
        self._drain = drain
        self._rate = rate
        self._tail = tail
        self._audio = np.zeros(max(len(preroll), FIRST_UTTERANCE_S * rate), np.float32)
        self._audio[: len(preroll)] = preroll
        self._length = len(preroll)
        self._target = 0
        self._stage = _Stage.RECORDING
        self._failure: AudioDeviceError | None = None

    @property
    def recording(self) -> bool:
        """True from ``begin()`` until ``end()`` or ``discard()`` is called."""
        return self._stage is _Stage.RECORDING

    def snapshot(self) -> npt.NDArray[np.float32]:
        """A copy of the audio so far (preroll included), for eager passes; once done, the final audio."""
        with self._cond:
            self._drain()
            return self._audio[: self._length].copy()

    def end(self) -> npt.NDArray[np.float32]:
        """Wait for ``tail_ms`` more audio after what has arrived now, and return the utterance.

        Raises ``CaptureInterrupted`` (carrying the audio so far) when the source fails meanwhile or
        delivers nothing for ``STALL_S`` past the tail; the microphone itself fails only in the first case.
        After ``discard()`` it returns the audio up to the discard without waiting.
        """
        with self._cond:
            self._drain()
            if self._stage is _Stage.RECORDING:
                self._target = self._length + self._tail
                self._stage = _Stage.TAIL
                self._settle()
            if self._stage is _Stage.TAIL:
                arrived = self._cond.wait_for(
                    lambda: self._stage is not _Stage.TAIL, timeout=self._tail / self._rate + STALL_S
                )
                if not arrived:
                    self._finish(
                        AudioDeviceError(
                            "The microphone stopped sending audio", "Check that it is still connected."
                        )
                    )
            audio = self._audio[: self._length].copy()
            failure = self._failure
        if failure is not None:
            raise CaptureInterrupted(failure.message, failure.hint, audio)
        return audio

    def discard(self) -> None:
        """Stop at once, without the tail (a cancelled turn); a waiting ``end()`` returns what there is."""
        with self._cond:
            if self._stage is not _Stage.DONE:
                self._finish(None)

    # ----- the microphone's side (its lock held) ---------------------------------------------------

    @property
    def _finished(self) -> bool:
        return self._stage is _Stage.DONE

    def _take(self, block: npt.NDArray[np.float32]) -> None:
        if self._stage is _Stage.RECORDING:
            self._append(block)
        elif self._stage is _Stage.TAIL:
            self._append(block[: self._target - self._length])
            self._settle()

    def _interrupt(self, error: AudioDeviceError) -> None:
        if self._stage is not _Stage.DONE:
            self._finish(error)

    def _settle(self) -> None:
        if self._length >= self._target:
            self._finish(None)

    def _finish(self, failure: AudioDeviceError | None) -> None:
        self._stage = _Stage.DONE
        self._failure = failure
        self._cond.notify_all()

    def _append(self, block: npt.NDArray[np.float32]) -> None:
        end = self._length + len(block)
        if end > len(self._audio):
            grown = np.zeros(max(end, 2 * len(self._audio)), np.float32)
            grown[: self._length] = self._audio[: self._length]
            self._audio = grown
        self._audio[self._length : end] = block
        self._length = end


class Microphone:
    """One persistent input stream at ``rate`` Hz mono, cut into utterances by ``begin()``.

    A preroll ring keeps the last ``preroll_ms`` so the syllable spoken as the key goes down survives, and
    each utterance's ``end()`` adds ``tail_ms`` after the release. Any number of utterances may be open
    at once; each receives every block from its ``begin()`` on. ``begin()`` may be called from one thread
    (the GUI's) while utterances are read and ended on others.
    """

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
        self._utterances: list[Utterance] = []
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
        """True while any utterance records (between its ``begin()`` and its ``end()`` or ``discard()``)."""
        return any(utterance.recording for utterance in self._utterances)

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
        """Stop the source and the reader, and join them; open utterances end as interrupted."""
        self._source.stop()
        self._stop.set()
        self._ready.set()
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        with self._cond:
            self._take_pending()
            self._interrupt_open(AudioDeviceError("The microphone was closed", "Start it again to record."))

    def wait_live(self, timeout: float) -> bool:
        """True once the source has delivered audio (PulseAudio may start a new stream a second late)."""
        return self._live.wait(timeout)

    def begin(self) -> Utterance:
        """Start a new utterance with the preroll's contents; utterances already open carry on untouched."""
        with self._cond:
            if self._reader is None:
                raise RuntimeError("Microphone.start() must be called before begin()")
            if self._error is not None:
                raise self._error
            self._take_pending()
            size = len(self._ring)
            order = np.arange(self._ring_end - self._ring_filled, self._ring_end) % size
            utterance = Utterance(self._cond, self._take_pending, self._ring[order], self._rate, self._tail)
            self._utterances.append(utterance)
            return utterance

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
            # Blocks queued before the failure still belong to the utterances.
            self._take_pending()
            self._interrupt_open(self._error)

    # ----- reader side ---------------------------------------------------------------------------

    def _read(self) -> None:
        while not self._stop.is_set():
            self._ready.wait(READ_WAIT_S)
            self._ready.clear()
            with self._cond:
                self._take_pending()

    def _take_pending(self) -> bool:
        """Move every queued block into the ring and the open utterances (lock held); True if any was."""
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
            for utterance in self._utterances:
                utterance._take(block)
            # The ring fills while utterances record too: a press during another's tail needs its preroll.
            self._remember(block)
        self._utterances = [utterance for utterance in self._utterances if not utterance._finished]
        if moved:
            self._cond.notify_all()
        return moved

    def _interrupt_open(self, error: AudioDeviceError) -> None:
        for utterance in self._utterances:
            utterance._interrupt(error)
        self._utterances = []

    def _remember(self, block: npt.NDArray[np.float32]) -> None:
        size = len(self._ring)
        if not size:
            return
        block = block[-size:]
        positions = np.arange(self._ring_end, self._ring_end + len(block)) % size
        self._ring[positions] = block
        self._ring_end = (self._ring_end + len(block)) % size
        self._ring_filled = min(size, self._ring_filled + len(block))
