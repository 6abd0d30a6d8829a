"""Real speech changed in one way at a time, with Praat (a test-only dependency; the voice cues measure
with their own YIN): faster or slower with the pitch kept (overlap-add), louder or quieter, a higher or
lower voice, and a pitch that rises over the last words."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import parselmouth
from parselmouth.praat import call

RATE = 16_000
PITCH_FLOOR_HZ, PITCH_CEILING_HZ = 60, 500
PITCH_STEP_S = 0.01


def _sound(audio: npt.NDArray[np.float32]) -> parselmouth.Sound:
    return parselmouth.Sound(audio.astype(np.float64), RATE)


def _samples(sound: parselmouth.Sound) -> npt.NDArray[np.float32]:
    return np.asarray(sound.values[0], dtype=np.float32)


def tempo(audio: npt.NDArray[np.float32], factor: float) -> npt.NDArray[np.float32]:
    """``audio`` spoken ``factor`` times as fast, at the same pitch (Praat's PSOLA "Lengthen")."""
    lengthened = call(_sound(audio), "Lengthen (overlap-add)", PITCH_FLOOR_HZ, PITCH_CEILING_HZ, 1 / factor)
    return _samples(lengthened)


def gain(audio: npt.NDArray[np.float32], db: float) -> npt.NDArray[np.float32]:
    """``audio`` ``db`` decibels louder (negative: quieter)."""
    return (audio * 10 ** (db / 20)).astype(np.float32)


def _with_pitch(audio: npt.NDArray[np.float32], change: object) -> npt.NDArray[np.float32]:
    """``audio`` resynthesized after ``change(tier)`` edits its pitch tier."""
    manipulation = call(_sound(audio), "To Manipulation", PITCH_STEP_S, PITCH_FLOOR_HZ, PITCH_CEILING_HZ)
    tier = call(manipulation, "Extract pitch tier")
    change(tier)  # type: ignore[operator]
    call([tier, manipulation], "Replace pitch tier")
    return _samples(call(manipulation, "Get resynthesis (overlap-add)"))


def shift_pitch(audio: npt.NDArray[np.float32], semitones: float) -> npt.NDArray[np.float32]:
    """``audio`` in a voice ``semitones`` higher (negative: lower), at the same tempo."""
    factor = 2 ** (semitones / 12)
    return _with_pitch(audio, lambda tier: call(tier, "Multiply frequencies", 0, len(audio) / RATE, factor))


def rise_at_end(audio: npt.NDArray[np.float32], semitones: float = 6.0, over_s: float = 0.6) -> np.ndarray:
    """``audio`` whose pitch climbs ``semitones`` over its last ``over_s`` seconds of voiced speech,
    from where it was (as a question that rises at the end)."""

    def rise(tier: object) -> None:
        count = call(tier, "Get number of points")
        points = [
            (call(tier, "Get time from index", i), call(tier, "Get value at index", i))
            for i in range(1, count + 1)
        ]
        last = points[-int(over_s / PITCH_STEP_S) :]
        start_hz = last[0][1]
        call(tier, "Remove points between", last[0][0], last[-1][0])
        for index, (time, _) in enumerate(last):
            call(tier, "Add point", time, start_hz * 2 ** (semitones / 12 * index / len(last)))

    return _with_pitch(audio, rise)
