"""Where the microphone's blocks come from: the sound card through PortAudio, or a clip in real time.

A source calls ``push(block, overflowed)`` from its own thread for every block and ``fail(error)`` once
when it stops for good; ``Microphone`` (``audio/capture.py``) does everything else.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.devices import accepts, close_stream, find_device, portaudio
from desktop_assistant.errors import AudioDeviceError, first_line

Push = Callable[[npt.NDArray[np.float32], bool], None]
Fail = Callable[[AudioDeviceError], None]


class BlockSource(Protocol):
    """Delivers mono float32 blocks at ``rate`` by calling ``push(block, overflowed)`` from its own thread.

    ``push`` takes ownership of the block. ``fail`` reports that the source stopped for good.
    """

    @property
    def rate(self) -> int:
        """Samples per second of the blocks (valid once started)."""
        ...

    def start(self, push: Push, fail: Fail) -> None:
        """Begin delivering blocks; raises ``AudioDeviceError`` when there is nothing to open."""
        ...

    def stop(self) -> None:
        """Stop delivering and release the device or thread; returns once no more pushes come."""
        ...


class DeviceSource:
    """A sound-card input through PortAudio; falls back to the device's own rate when it refuses ``rate``."""

    def __init__(self, device: str = "", rate: int = 16_000, block_ms: int = 20) -> None:
        self._device = device
        self._wanted = rate
        self._rate = rate
        self._block_ms = block_ms
        self._stream: Any = None
        self._stopping = False

    @property
    def rate(self) -> int:
        """The rate the stream really runs at."""
        return self._rate

    def start(self, push: Push, fail: Fail) -> None:
        """Open the input stream; the callback copies the block and nothing else."""
        sd = portaudio()
        index = find_device(self._device, "input")
        info = sd.query_devices(index)
        self._rate = (
            self._wanted if accepts(sd, index, self._wanted, "input") else int(info["default_samplerate"])
        )
        self._stopping = False

        def callback(indata: npt.NDArray[np.float32], frames: int, _time: Any, status: Any) -> None:
            push(indata[:, 0].copy(), bool(status.input_overflow))

        def finished() -> None:
            if not self._stopping:
                fail(AudioDeviceError("The microphone stopped", "Check that it is still connected."))

        try:
            self._stream = sd.InputStream(
                device=index,
                samplerate=self._rate,
                channels=1,
                dtype="float32",
                latency="low",
                blocksize=self._rate * self._block_ms // 1000,
                callback=callback,
                finished_callback=finished,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise AudioDeviceError(
                f"Cannot open the microphone '{info['name']}' ({first_line(exc)})",
                "Choose another device with audio.input_device.",
            ) from None

    def stop(self) -> None:
        """Close the stream (closing waits for a running callback to return; see ``close_stream``)."""
        self._stopping = True
        stream, self._stream = self._stream, None
        if stream is not None:
            close_stream(stream, "microphone")


class ClipSource:
    """Plays ``samples`` as if a microphone heard them, then keeps sending silence; ``say`` plays
    another clip next (in real time), as a speaker who talks again.

    ``realtime=True`` paces every block at the real-time rate. ``realtime=False`` pushes the whole clip
    at once during ``start()`` (as a burst a stalled reader would see), then continues in real time.
    """

    def __init__(
        self, samples: npt.NDArray[np.float32], rate: int = 16_000, block_ms: int = 20, realtime: bool = True
    ) -> None:
        self._samples = np.asarray(samples, dtype=np.float32)
        self._rate = rate
        self._block = rate * block_ms // 1000
        self._realtime = realtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next: deque[npt.NDArray[np.float32]] = deque()
        self.clip_done = threading.Event()

    @property
    def rate(self) -> int:
        """The clip's rate."""
        return self._rate

    def start(self, push: Push, fail: Fail) -> None:
        """Start pushing blocks (a clip source cannot fail, so ``fail`` is never called)."""
        self._stop.clear()
        self.clip_done.clear()
        blocks = [self._samples[i : i + self._block] for i in range(0, len(self._samples), self._block)]
        if not self._realtime:
            for block in blocks:
                push(block.copy(), False)
            blocks = []
            self.clip_done.set()
        self._thread = threading.Thread(
            target=self._run, args=(blocks, push), name="clip-source", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and join it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def say(self, samples: npt.NDArray[np.float32]) -> None:
        """Play ``samples`` after what is playing now; ``clip_done`` is set again once they have played."""
        blocks = [samples[i : i + self._block] for i in range(0, len(samples), self._block)]
        self.clip_done.clear()
        self._next.extend(np.asarray(block, dtype=np.float32) for block in blocks)

    def _run(self, blocks: list[npt.NDArray[np.float32]], push: Push) -> None:
        period = self._block / self._rate
        self._next.extend(blocks)
        while not self._stop.wait(period):
            if self._next:
                push(self._next.popleft().copy(), False)
                if not self._next:
                    self.clip_done.set()
            else:
                self.clip_done.set()
                push(np.zeros(self._block, np.float32), False)
