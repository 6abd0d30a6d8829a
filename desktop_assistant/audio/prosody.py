"""How an utterance sounded: its pitch, the pitch's movement over the last words, its loudness and rate.

Only the speech is measured: the voice-activity detector finds where it starts and ends (so trailing
silence, which grows while the key is held, changes nothing), and within it the frames less than
``PAUSE_DB`` below its loud frames are the speaking time (the same at any recording level); the
loudness is their RMS. Pitch comes from Praat's autocorrelation tracker (``praat-parselmouth``); the
slope at the end is a robust straight-line fit (Theil-Sen) of the pitch, in semitones, over the last
``END_S`` seconds of voiced speech. The rate is the transcript's words per second of speaking time,
so the pauses between phrases do not count (an articulation rate).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt
import parselmouth

from desktop_assistant.audio.vad import FRAME_LEN, VAD_RATE, speech_bounds

# The slope is fitted over this much voiced speech at the end of the utterance.
END_S = 0.7
# Adult voices span about 85-255 Hz; the tracker looks a little wider, so a high or low voice still reads.
PITCH_FLOOR_HZ = 60.0
PITCH_CEILING_HZ = 500.0
PITCH_STEP_S = 0.01
# Fewer voiced pitch frames than this in the end window give no slope (a word or two of whisper).
MIN_END_FRAMES = 10
# A voiced stretch shorter than this (60 ms) is a click, a breath or noise, not a vowel.
MIN_RUN_FRAMES = 6
# A frame this far (dB) below the utterance's loud frames is a pause, not speech.
PAUSE_DB = 25.0
LOUD_PERCENTILE = 95
# Less speech than this has no meaningful rate.
MIN_SPEECH_S = 0.3


@dataclass(frozen=True)
class Prosody:
    """The measures of one utterance: ``speech_s`` of speech between its pauses, and the words said per
    second of it; ``pitch_hz`` and ``end_slope_st_s`` are None where too little of it was voiced."""

    speech_s: float
    words_per_s: float
    loudness_dbfs: float
    pitch_hz: float | None
    end_slope_st_s: float | None

    def as_dict(self) -> dict[str, float | None]:
        """The measures, rounded for keeping."""
        return {key: None if value is None else round(value, 2) for key, value in asdict(self).items()}


def measure(audio: npt.NDArray[np.float32], transcript: str, aggressiveness: int) -> Prosody | None:
    """The measures of ``audio`` (16 kHz mono) whose words are ``transcript``; None without speech."""
    bounds = speech_bounds(audio, aggressiveness, 0)
    if bounds is None:
        return None
    speech = np.ascontiguousarray(audio[bounds[0] : bounds[1]], dtype=np.float64)
    count = len(speech) // FRAME_LEN
    power = np.mean(np.square(speech[: count * FRAME_LEN].reshape(count, FRAME_LEN)), axis=1)
    frame_db = 10 * np.log10(power + 1e-20)
    # Speaking frames: within PAUSE_DB of the utterance's loud frames, whatever the level it was recorded at.
    speaking = frame_db >= np.percentile(frame_db, LOUD_PERCENTILE) - PAUSE_DB
    speech_s = float(speaking.sum()) * FRAME_LEN / VAD_RATE
    if speech_s < MIN_SPEECH_S:
        return None
    loudness = 10 * math.log10(float(np.mean(10 ** (frame_db[speaking] / 10))))
    pitch_hz, slope = _pitch(speech)
    return Prosody(speech_s, len(transcript.split()) / speech_s, loudness, pitch_hz, slope)


def _pitch(speech: npt.NDArray[np.float64]) -> tuple[float | None, float | None]:
    """The median pitch (Hz) and the slope over the last voiced ``END_S`` s (semitones per second)."""
    track = parselmouth.Sound(speech, sampling_frequency=VAD_RATE).to_pitch_ac(
        time_step=PITCH_STEP_S, pitch_floor=PITCH_FLOOR_HZ, pitch_ceiling=PITCH_CEILING_HZ
    )
    hz = track.selected_array["frequency"]
    times = track.xs()
    voiced = _steady(hz > 0)
    if voiced.sum() < MIN_END_FRAMES:
        return None, None
    hz, times = hz[voiced], times[voiced]
    median = float(np.median(hz))
    # The last END_S s of voiced frames, counted frame by frame, so a pause inside the window is skipped.
    tail = int(END_S / PITCH_STEP_S)
    semitones = 12 * np.log2(hz[-tail:] / median)
    return median, _robust_slope(times[-tail:], semitones)


def _steady(voiced: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``voiced`` without runs shorter than ``MIN_RUN_FRAMES`` (a breath, a click, noise after the end)."""
    edges = np.diff(np.concatenate(([0], voiced.astype(np.int8), [0])))
    kept = np.zeros_like(voiced)
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if end - start >= MIN_RUN_FRAMES:
            kept[start:end] = True
    return kept


def _robust_slope(times: npt.NDArray[np.float64], values: npt.NDArray[np.float64]) -> float | None:
    """The Theil-Sen slope: the median of the slopes between every two points (an octave error or two
    cannot tip it)."""
    first, second = np.triu_indices(len(times), k=1)
    spans = times[second] - times[first]
    usable = spans > 0
    if not usable.any():
        return None
    return float(np.median((values[second] - values[first])[usable] / spans[usable]))
