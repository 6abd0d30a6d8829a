"""Voice-activity detection with webrtcvad, as plain functions over 16 kHz mono float32 audio."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import webrtcvad

VAD_RATE = 16_000
FRAME_MS = 30
FRAME_LEN = VAD_RATE * FRAME_MS // 1000
# A lone voiced frame is usually a click; speech is a run of them.
MIN_RUN_FRAMES = 3
# webrtcvad calls faint hiss "speech"; frames quieter than -50 dBFS RMS never are.
MIN_SPEECH_RMS = 10 ** (-50 / 20)


def voiced_frames(audio: npt.NDArray[np.float32], aggressiveness: int) -> npt.NDArray[np.bool_]:
    """One flag per whole 30 ms frame: does webrtcvad hear speech in it."""
    return _voiced(webrtcvad.Vad(aggressiveness), audio)


def _voiced(vad: webrtcvad.Vad, audio: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """The flags of the whole frames of ``audio``, through ``vad`` (which adapts as it hears them)."""
    count = len(audio) // FRAME_LEN
    whole = audio[: count * FRAME_LEN].reshape(count, FRAME_LEN)
    frames = (np.clip(whole, -1.0, 1.0) * 32767).astype("<i2")
    loud = np.sqrt(np.mean(np.square(whole), axis=1)) >= MIN_SPEECH_RMS
    return np.fromiter(
        (bool(ok) and vad.is_speech(f.tobytes(), VAD_RATE) for f, ok in zip(frames, loud, strict=True)),
        dtype=bool,
        count=count,
    )


class SpeechTracker:
    """Where the speech of a growing recording ends, as ``speech_bounds`` would say with no padding.

    Each ``update`` hears only the frames that arrived since the last one, so following a recording
    while it grows costs a few microseconds per frame once.
    """

    def __init__(self, aggressiveness: int) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._frames = 0  # frames heard so far
        self._run = 0  # voiced frames in a row up to the last one heard
        self._end_frame: int | None = None  # where the last run of speech ended

    def update(self, audio: npt.NDArray[np.float32]) -> int | None:
        """The sample where the speech in ``audio`` (the recording so far, from its start) ends;
        None while there is none."""
        flags = _voiced(self._vad, audio[self._frames * FRAME_LEN :])
        for index, voiced in enumerate(flags, start=self._frames):
            self._run = self._run + 1 if voiced else 0
            if self._run >= MIN_RUN_FRAMES:
                self._end_frame = index + 1
        self._frames += len(flags)
        return None if self._end_frame is None else self._end_frame * FRAME_LEN


def speech_bounds(
    audio: npt.NDArray[np.float32], aggressiveness: int, padding_ms: int
) -> tuple[int, int] | None:
    """Sample range from the first to the last run of speech, widened by ``padding_ms``; None if silent."""
    flags = voiced_frames(audio, aggressiveness)
    runs = _runs(flags)
    if not runs:
        return None
    pad = padding_ms * VAD_RATE // 1000
    start = max(0, runs[0][0] * FRAME_LEN - pad)
    end = min(len(audio), runs[-1][1] * FRAME_LEN + pad)
    return start, end


def trim_silence(
    audio: npt.NDArray[np.float32], aggressiveness: int = 2, padding_ms: int = 300
) -> npt.NDArray[np.float32] | None:
    """Cut leading and trailing silence, keeping ``padding_ms`` around the speech; None if there is none."""
    bounds = speech_bounds(audio, aggressiveness, padding_ms)
    return None if bounds is None else audio[bounds[0] : bounds[1]]


def _runs(flags: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Frame ranges [start, end) of voiced runs at least MIN_RUN_FRAMES long."""
    edges = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True) if e - s >= MIN_RUN_FRAMES]
