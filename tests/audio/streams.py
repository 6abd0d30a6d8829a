"""Streams for the microphone tests: ramps whose values say their position, and a clip a test can script.

A ramp's sample at stream position ``n`` (counted from 1) is ``n / 2**16``, exact in float32, so
``stretch(audio)`` tells which part of the stream an utterance holds and fails on any gap, repeat or
foreign sample.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.capture import CaptureInterrupted, Utterance
from desktop_assistant.audio.sources import ClipSource, Fail, Push
from desktop_assistant.errors import AudioDeviceError

RATE = 16_000
BLOCK_MS = 20
BLOCK = 320  # 20 ms at 16 kHz
PREROLL = 6400  # 400 ms
TAIL = 1600  # 100 ms
# Generous: every wait here is for something that should take well under a second.
WAIT_S = 10.0


def ramp(samples: int, first: int = 1) -> npt.NDArray[np.float32]:
    """Samples whose values say their position in the stream (exact in float32)."""
    return (np.arange(first, first + samples) * 2.0**-16).astype(np.float32)


def stretch(audio: npt.NDArray[np.float32]) -> tuple[int, int]:
    """The first and last stream positions in ``audio``, which must be exactly that stretch of the ramp."""
    assert len(audio) > 0, "no audio"
    first = round(float(audio[0]) * 2**16)
    np.testing.assert_array_equal(audio, ramp(len(audio), first))
    return first, first + len(audio) - 1


class ScriptedClip:
    """A real-time ``ClipSource`` playing a ramp, which the test can script from outside.

    ``played`` counts the stream's samples (its clock), ``delivered`` the ones the microphone has been
    given. A test can wait for a point in the stream, hold deliveries back for a moment (they follow
    later, none lost), pause the stream (blocks are swallowed: a stall) or report a failure.
    """

    def __init__(self, seconds: float = 20.0, block_ms: int = BLOCK_MS) -> None:
        self._clip = ClipSource(ramp(int(seconds * RATE)), RATE, block_ms, realtime=True)
        self._cond = threading.Condition()
        self._played = 0
        self._delivered = 0
        self._paused = False
        self._until: list[Callable[[], bool]] = []
        self._held: list[tuple[npt.NDArray[np.float32], bool, int]] = []
        self._push: Push | None = None
        self._fail: Fail | None = None

    @property
    def rate(self) -> int:
        return RATE

    def start(self, push: Push, fail: Fail) -> None:
        self._push, self._fail = push, fail
        self._clip.start(self._deliver, fail)

    def stop(self) -> None:
        self._clip.stop()

    def wait_until(self, played: int) -> int:
        """Wait until the stream has played to position ``played``; returns the position delivered then."""
        with self._cond:
            self._reach(played)
            return self._delivered

    @contextmanager
    def still(self, at: int = 0) -> Iterator[int]:
        """Once the stream has played to ``at``, nothing is delivered inside (the clip's thread waits);
        yields the position delivered so far."""
        with self._cond:
            self._reach(at)
            yield self._delivered

    def hold_until(self, ready: Callable[[], bool], at: int = 0) -> int:
        """Once the stream has played to ``at``, keep new blocks back until ``ready()`` holds at a block
        (then they all follow, none lost); returns the position delivered so far."""
        with self._cond:
            self._reach(at)
            self._until.append(ready)
            return self._delivered

    def pause(self) -> int:
        """Swallow every block from now on, as a source that goes quiet; returns the last delivered."""
        with self._cond:
            self._paused = True
            return self._delivered

    def resume(self) -> int:
        """Deliver again; returns the position played so far (the next sample delivered follows it)."""
        with self._cond:
            self._paused = False
            return self._played

    def fail(self, error: AudioDeviceError) -> None:
        """Report that the source stopped for good, as a device that vanished would."""
        assert self._fail is not None
        self._fail(error)

    def _reach(self, played: int) -> None:
        reached = self._cond.wait_for(lambda: self._played >= played, timeout=WAIT_S)
        assert reached, f"the clip never played to {played} (it is at {self._played})"

    def _deliver(self, block: npt.NDArray[np.float32], overflowed: bool) -> None:
        with self._cond:
            self._played += len(block)
            if not self._paused:
                self._held.append((block, overflowed, self._played))
            if all(ready() for ready in self._until):
                self._until = []
                assert self._push is not None
                for held, flag, last in self._held:
                    self._push(held, flag)
                    self._delivered = last
                self._held = []
            self._cond.notify_all()


class Release:
    """``utterance.end()`` on a worker thread, as the STT worker calls it when the key goes up."""

    def __init__(self, utterance: Utterance) -> None:
        self._utterance = utterance
        self._audio: npt.NDArray[np.float32] | None = None
        self._error: CaptureInterrupted | None = None
        self._thread = threading.Thread(target=self._run, name="release", daemon=True)
        self._thread.start()

    def audio(self) -> npt.NDArray[np.float32]:
        """What ``end()`` returned, once it has; raises what it raised."""
        self._thread.join(WAIT_S)
        assert not self._thread.is_alive(), "end() did not return"
        if self._error is not None:
            raise self._error
        assert self._audio is not None
        return self._audio

    def _run(self) -> None:
        try:
            self._audio = self._utterance.end()
        except CaptureInterrupted as exc:
            self._error = exc
