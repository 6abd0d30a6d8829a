"""The speaker: one persistent output stream that plays tagged chunks back to back.

The stream opens once and is fed silence between replies, because a freshly started stream is heard
about a second late through PulseAudio while an open one answers within a block or two. ``enqueue``
resamples to the device rate, so the PortAudio callback only copies samples and updates counters.

``finish(tag, on_done)`` says that nothing more comes for a tag; the player then tells ``on_done`` once
the tag has played out, was cut by ``clear()``, or was lost with the device. The fill function only
posts that report to a ``Courier``, whose thread delivers it, so the audio callback never runs anyone
else's code.

With ``realtime_sink=True`` no device is opened: a thread consumes blocks at the real-time rate through
the same fill function (the benchmark on machines without audio). A missing speaker is an error, never
a silent switch to that sink, so a user is not left wondering why nothing is heard.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr

from desktop_assistant.audio.devices import accepts, close_stream, find_device, portaudio
from desktop_assistant.audio.output import PlaybackReport, PlayedOut
from desktop_assistant.courier import Courier
from desktop_assistant.errors import AudioDeviceError, first_line

# Below this a sample counts as silence (Kokoro's near-silent edges included); -80 dBFS.
SILENCE = 1e-4
# Per-tag counters kept for the most recent tags only, so a long session does not grow without end.
MAX_TAGS = 64
# PulseAudio starts a new stream badly: it stalls after the first few blocks (~2 s on a null sink) or
# takes blocks far faster than real time and drops them. The stream counts as live, and queued audio
# starts to play, once this many blocks in a row came without underflow, paced at least half real time.
LIVE_BLOCKS = 10
# The real-time sink resynchronises instead of bursting when it falls further behind than this.
MAX_LAG_S = 0.2
# How long close() waits for the receivers of the last reports.
REPORT_CLOSE_S = 2.0

__all__ = ["PlaybackReport", "Player"]


class _TagState:
    """Counters of one tag; written by the fill function, read by any thread."""

    __slots__ = ("cut", "drained", "first_sound", "on_done", "pending", "played")

    def __init__(self) -> None:
        self.played = 0
        self.pending = 0
        self.first_sound: float | None = None
        self.cut = False
        self.drained = threading.Event()
        self.on_done: PlayedOut | None = None


class _Item:
    """One enqueued chunk at the device rate, and how far it has been played."""

    __slots__ = ("first_loud", "pos", "samples", "state")

    def __init__(self, samples: npt.NDArray[np.float32], state: _TagState) -> None:
        self.samples = samples
        self.state = state
        self.pos = 0
        loud = np.flatnonzero(np.abs(samples) > SILENCE)
        self.first_loud = int(loud[0]) if loud.size else -1


class Player:
    """One persistent output stream; replies are enqueued in chunks and played back to back.

    ``device`` is matched as a substring of PortAudio's device names (empty: the default speaker).
    ``device_rate`` forces the stream's rate (0: ``source_rate`` when the device takes it, else the
    device's default rate). Times are ``time.perf_counter()`` values; "played" means handed to the device.
    """

    def __init__(
        self,
        device: str = "",
        source_rate: int = 24_000,
        block_ms: int = 20,
        realtime_sink: bool = False,
        device_rate: int = 0,
    ) -> None:
        self._device = device
        self._source_rate = source_rate
        self._block_ms = block_ms
        self._realtime = realtime_sink
        self._forced_rate = device_rate
        self._rate = 0
        # Held only for list operations and a block's copy: the callback must never wait long.
        self._lock = threading.Lock()
        # Reports for finish() callers, delivered on the courier's thread.
        self._reports: Courier[tuple[PlayedOut, PlaybackReport]] | None = None
        self._queue: deque[_Item] = deque()
        self._current: _Item | None = None
        self._tags: dict[str, _TagState] = {}
        self._latest: _TagState | None = None
        self._stream: Any = None
        self._sink_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._live = threading.Event()
        self._paced = 0
        self._stamps = [0.0] * LIVE_BLOCKS
        self._underruns = 0
        self._closing = False
        self._error: AudioDeviceError | None = None
        # When the device last went from playing a reply to playing nothing (written by the callback).
        self._sounding = False
        self._silent_from: float | None = None

    @property
    def device_rate(self) -> int:
        """Samples per second the device plays (0 until ``start()``)."""
        return self._rate

    @property
    def underruns(self) -> int:
        """Blocks the device ran dry on since it went live (each is an audible gap)."""
        return self._underruns

    @property
    def error(self) -> AudioDeviceError | None:
        """Why the device stopped on its own, if it did; ``enqueue`` then raises it."""
        return self._error

    def start(self) -> None:
        """Open the stream (or start the real-time sink); a second call does nothing."""
        if self._stream is not None or self._sink_thread is not None:
            return
        self._stop.clear()
        self._live.clear()
        self._paced = 0
        self._closing = False
        self._error = None
        self._reports = Courier("playback-reports", _deliver)
        self._reports.start()
        if self._realtime:
            self._rate = self._forced_rate or self._source_rate
            self._live.set()
            self._sink_thread = threading.Thread(target=self._run_sink, name="playback-sink", daemon=True)
            self._sink_thread.start()
            return
        try:
            self._open_stream()
        except AudioDeviceError:
            self._stop_reports()
            raise

    def close(self) -> None:
        """Stop the stream or sink at once (queued audio is dropped, its tags reported cut) and join it."""
        self._closing = True
        self._stop.set()
        if self._sink_thread is not None:
            self._sink_thread.join()
            self._sink_thread = None
        stream, self._stream = self._stream, None
        if stream is not None:
            close_stream(stream, "speaker")
        self._drop_all()
        self._stop_reports()

    def wait_live(self, timeout: float) -> bool:
        """True once the device is past its start-up; audio enqueued before then waits until it is."""
        return self._live.wait(timeout)

    def enqueue(self, samples: npt.NDArray[np.float32], tag: str) -> None:
        """Queue mono ``samples`` at ``source_rate`` to play after everything already queued."""
        if self._error is not None:
            raise self._error
        if self._stream is None and self._sink_thread is None:
            raise RuntimeError("Player.start() must be called before enqueue()")
        if samples.ndim != 1:
            raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
        audio = np.array(samples, dtype=np.float32)
        if self._rate != self._source_rate and audio.size:
            audio = soxr.resample(audio, self._source_rate, self._rate, quality="HQ").astype(np.float32)
        with self._lock:
            state = self._tags.get(tag)
            if state is None:
                state = self._tags[tag] = _TagState()
                self._forget_old_tags()
            state.cut = False
            self._latest = state
            if audio.size:
                state.pending += 1
                state.drained.clear()
                self._queue.append(_Item(audio, state))

    def clear(self) -> PlaybackReport:
        """Drop everything queued and playing; safe from any thread, returns at once.

        The next block handed to the device is silence; what the device already holds still plays out
        (its latency: about 50 ms through PulseAudio). ``played_s`` counts the latest enqueued tag as a
        whole (all its chunks); ``interrupted`` is True when audio was still queued or playing.
        """
        with self._lock:
            interrupted = self._current is not None or bool(self._queue)
            played = self._latest.played if self._latest is not None else 0
            self._cut_locked()
        return PlaybackReport(played_s=played / self._rate if self._rate else 0.0, interrupted=interrupted)

    def finish(self, tag: str, on_done: PlayedOut) -> None:
        """Report on the report thread once ``tag`` has played out, was cut, or the device failed."""
        with self._lock:
            state = self._tags.get(tag)
            if state is None or state.pending == 0 or self._error is not None:
                self._report_locked(on_done, state)
            else:
                state.on_done = on_done

    def first_sound_at(self, tag: str) -> float | None:
        """When the first non-silent sample of ``tag`` was handed to the device; None before that."""
        state = self._tags.get(tag)
        return state.first_sound if state is not None else None

    @property
    def latency_s(self) -> float:
        """How long a sample handed to the device takes to be heard (PortAudio's figure; 0 without one)."""
        return float(stream.latency) if (stream := self._stream) is not None else 0.0

    def played_s(self, tag: str) -> float:
        """Seconds of ``tag`` handed to the device so far."""
        state = self._tags.get(tag)
        return state.played / self._rate if state is not None and self._rate else 0.0

    def silent_since(self, since: float) -> float | None:
        """When the device was first handed a block with no reply audio in it, if that was after
        ``since`` and it has stayed silent; None while it still plays."""
        silent_from = self._silent_from
        if self._sounding or silent_from is None or silent_from < since:
            return None
        return silent_from

    def wait_drained(self, tag: str, timeout: float) -> bool:
        """True once everything enqueued under ``tag`` was played; False on timeout or when it was cleared."""
        state = self._tags.get(tag)
        if state is None:
            return True
        return state.drained.wait(timeout) and not state.cut

    # ----- the device side -----------------------------------------------------------------------

    def _open_stream(self) -> None:
        sd = portaudio()
        index = find_device(self._device, "output")
        info = sd.query_devices(index)
        default_rate = int(info["default_samplerate"])
        self._rate = self._forced_rate or (
            self._source_rate if accepts(sd, index, self._source_rate, "output") else default_rate
        )
        channels = 1 if accepts(sd, index, self._rate, "output") else int(info["max_output_channels"])
        try:
            self._stream = sd.OutputStream(
                device=index,
                samplerate=self._rate,
                channels=channels,
                dtype="float32",
                latency="low",
                blocksize=self._rate * self._block_ms // 1000,
                callback=self._callback,
                finished_callback=self._finished,
            )
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            self._stream = None
            raise AudioDeviceError(
                f"Cannot open the speaker '{info['name']}' ({first_line(exc)})",
                "Choose another device with audio.output_device.",
            ) from None

    def _callback(self, outdata: npt.NDArray[np.float32], frames: int, _time: Any, status: Any) -> None:
        if not self._live.is_set():
            outdata.fill(0.0)
            self._watch_start_up(frames, bool(status.output_underflow))
            return
        if status.output_underflow:
            self._underruns += 1
        self._fill(outdata[:, 0])
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]

    def _watch_start_up(self, frames: int, underflow: bool) -> None:
        """Count blocks taken in a row without underflow; live once the last LIVE_BLOCKS were paced."""
        if underflow:
            self._paced = 0
            return
        now = time.perf_counter()
        slot = self._paced % LIVE_BLOCKS
        oldest, self._stamps[slot] = self._stamps[slot], now
        self._paced += 1
        if self._paced > LIVE_BLOCKS and now - oldest >= LIVE_BLOCKS * frames / self._rate / 2:
            self._live.set()

    def _finished(self) -> None:
        if not self._closing:
            self._error = AudioDeviceError(
                "The speaker stopped", "Check that it is still connected, then restart the assistant."
            )
            self._drop_all()

    def _run_sink(self) -> None:
        """Consume one block per block time, like a sound card that plays into nothing."""
        block = np.zeros(self._rate * self._block_ms // 1000, np.float32)
        period = len(block) / self._rate
        start, count = time.perf_counter(), 0
        while not self._stop.is_set():
            self._fill(block)
            count += 1
            delay = start + count * period - time.perf_counter()
            if delay < -MAX_LAG_S:
                start, count = time.perf_counter(), 0
            elif delay > 0 and self._stop.wait(delay):
                return

    def _fill(self, out: npt.NDArray[np.float32]) -> None:
        """Copy the next ``len(out)`` samples into ``out``, silence where nothing is queued."""
        now = time.perf_counter()
        filled, wanted = 0, len(out)
        with self._lock:
            while filled < wanted:
                item = self._current
                if item is None:
                    if not self._queue:
                        break
                    item = self._current = self._queue.popleft()
                take = min(wanted - filled, len(item.samples) - item.pos)
                out[filled : filled + take] = item.samples[item.pos : item.pos + take]
                state = item.state
                if state.first_sound is None and item.pos <= item.first_loud < item.pos + take:
                    state.first_sound = now
                item.pos += take
                state.played += take
                filled += take
                if item.pos == len(item.samples):
                    self._current = None
                    state.pending -= 1
                    if state.pending == 0:
                        state.drained.set()
                        if state.on_done is not None:
                            self._report_locked(state.on_done, state)
        out[filled:] = 0.0
        if filled:
            self._sounding = True
        elif self._sounding:
            self._sounding, self._silent_from = False, now

    # ----- bookkeeping ---------------------------------------------------------------------------

    def _drop_all(self) -> None:
        with self._lock:
            self._cut_locked()

    def _cut_locked(self) -> None:
        """Drop the playing and queued items; their tags count as cut and their waiters wake."""
        items = [self._current, *self._queue] if self._current is not None else list(self._queue)
        self._current = None
        self._queue.clear()
        for item in items:
            state = item.state
            state.pending = 0
            state.cut = True
            state.drained.set()
            if state.on_done is not None:
                self._report_locked(state.on_done, state)

    def _report_locked(self, on_done: PlayedOut, state: _TagState | None) -> None:
        """Queue ``state``'s report for its ``on_done`` (lock held); the report thread delivers it."""
        played = state.played / self._rate if state is not None and self._rate else 0.0
        cut = state is not None and state.cut
        if state is not None:
            state.on_done = None
        report = PlaybackReport(played, interrupted=cut or self._error is not None, error=self._error)
        if self._reports is not None:
            self._reports.post((on_done, report))

    def _stop_reports(self) -> None:
        """Deliver the reports posted so far, then end the courier."""
        if self._reports is not None:
            self._reports.close(REPORT_CLOSE_S)
            self._reports = None

    def _forget_old_tags(self) -> None:
        while len(self._tags) > MAX_TAGS:
            oldest = next(iter(self._tags))
            if self._tags[oldest].pending:
                return
            del self._tags[oldest]


def _deliver(report: tuple[PlayedOut, PlaybackReport]) -> None:
    on_done, played = report
    on_done(played)
