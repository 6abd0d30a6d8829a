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
    vad = webrtcvad.Vad(aggressiveness)
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    count = len(pcm) // FRAME_LEN
    frames = pcm[: count * FRAME_LEN].reshape(count, FRAME_LEN)
    loud = np.sqrt(np.mean(np.square(audio[: count * FRAME_LEN].reshape(count, FRAME_LEN)), axis=1))
    loud = loud >= MIN_SPEECH_RMS
    return np.fromiter(
        (bool(ok) and vad.is_speech(f.tobytes(), VAD_RATE) for f, ok in zip(frames, loud, strict=True)),
        dtype=bool,
        count=count,
    )


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
