"""How an utterance sounded: its pitch, the pitch's movement over the last words, its loudness and rate.

Only the speech is measured: the voice-activity detector finds where it starts and ends (so trailing
silence, which grows while the key is held, changes nothing), and within it the frames less than
``PAUSE_DB`` below its loud frames are the speaking time (the same at any recording level); the
loudness is their RMS. Pitch comes from YIN (de Cheveigné and Kawahara, 2002) in a few lines of numpy
(``_yin``): Praat's tracker (``praat-parselmouth``) reads alike but cost the app 75 MB of memory to
import. The slope at the end is a robust straight-line fit (Theil-Sen) of the pitch, in semitones, over
the last ``END_S`` seconds of voiced speech. The rate is the transcript's words per second of speaking
time, so the pauses between phrases do not count (an articulation rate).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.vad import FRAME_LEN, VAD_RATE, speech_bounds

# The slope is fitted over this much voiced speech at the end of the utterance.
END_S = 0.7
# Adult voices span about 85-255 Hz; the tracker looks a little wider, so a high or low voice still reads.
PITCH_FLOOR_HZ = 60.0
PITCH_CEILING_HZ = 500.0
PITCH_STEP_S = 0.01
PITCH_HOP = round(PITCH_STEP_S * VAD_RATE)
# YIN compares each 40 ms window with itself shifted by every lag in the range: the normalised
# difference dips towards 0 at the period and its multiples. A window is voiced where its deepest dip is
# below YIN_THRESHOLD (the paper's 0.1-0.2 suits clean speech; the old, noisy JFK recording's vowels dip
# to 0.2-0.45, and at 0.15 its last phrase read unvoiced), and its period is the first dip within
# YIN_MARGIN of the deepest (the first dip under a fixed 0.45 is often half the period: an octave up).
YIN_WINDOW = VAD_RATE * 40 // 1000
YIN_THRESHOLD = 0.45
YIN_MARGIN = 0.03
# Windows are analysed this many at a time, so a long utterance needs no large arrays.
YIN_BLOCK = 256
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
    frame_db = _levels(speech, FRAME_LEN, FRAME_LEN)
    # Speaking frames: within PAUSE_DB of the utterance's loud frames, whatever the level it was recorded at.
    floor_db = float(np.percentile(frame_db, LOUD_PERCENTILE)) - PAUSE_DB
    speaking = frame_db >= floor_db
    speech_s = float(speaking.sum()) * FRAME_LEN / VAD_RATE
    if speech_s < MIN_SPEECH_S:
        return None
    loudness = 10 * math.log10(float(np.mean(10 ** (frame_db[speaking] / 10))))
    pitch_hz, slope = _pitch(speech, floor_db)
    return Prosody(speech_s, len(transcript.split()) / speech_s, loudness, pitch_hz, slope)


def _levels(speech: npt.NDArray[np.float64], length: int, hop: int) -> npt.NDArray[np.float64]:
    """The level (dB) of each ``length``-sample frame of ``speech``, one every ``hop`` samples."""
    count = (len(speech) - length) // hop + 1
    if count <= 0:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(speech, length)[::hop][:count]
    levels: npt.NDArray[np.float64] = 10 * np.log10(np.mean(np.square(frames), axis=1) + 1e-20)
    return levels


def _pitch(speech: npt.NDArray[np.float64], floor_db: float) -> tuple[float | None, float | None]:
    """The median pitch (Hz) and the slope over the last voiced ``END_S`` s (semitones per second);
    windows quieter than ``floor_db`` are pauses, unvoiced whatever YIN reads in them."""
    hz = _yin(speech)
    hz[_levels(speech, YIN_WINDOW, PITCH_HOP)[: len(hz)] < floor_db] = 0
    times = (np.arange(len(hz)) * PITCH_HOP + YIN_WINDOW / 2) / VAD_RATE
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


def _yin(speech: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The pitch (Hz) of ``speech`` every ``PITCH_STEP_S``, 0 where unvoiced, by YIN: for each window, the
    difference from itself shifted by each lag (from autocorrelations by FFT), normalised by its running
    mean; the first dip near the deepest one between the ceiling's and the floor's period, refined by a
    parabola through its neighbours, is the period."""
    shortest, longest = int(VAD_RATE / PITCH_CEILING_HZ), math.ceil(VAD_RATE / PITCH_FLOOR_HZ)
    span = YIN_WINDOW + longest + 1
    count = (len(speech) - span) // PITCH_HOP + 1
    if count <= 0:
        return np.zeros(0)
    size = 1 << (span - 1).bit_length()
    views = np.lib.stride_tricks.sliding_window_view(speech, span)[::PITCH_HOP][:count]
    lags = np.arange(longest + 2)
    track = []
    for start in range(0, count, YIN_BLOCK):
        frames = views[start : start + YIN_BLOCK]
        # r[t] = sum of x[j] * x[j + t] over the window, and the energy of the window shifted by t.
        spectrum = np.conj(np.fft.rfft(frames[:, :YIN_WINDOW], size)) * np.fft.rfft(frames, size)
        products = np.fft.irfft(spectrum, size)[:, : longest + 2]
        energy = np.concatenate((np.zeros((len(frames), 1)), np.cumsum(np.square(frames), axis=1)), axis=1)
        shifted = energy[:, lags + YIN_WINDOW] - energy[:, lags]
        difference = np.maximum(shifted[:, :1] + shifted - 2 * products, 0)
        mean = np.cumsum(difference[:, 1:], axis=1) / lags[1:]
        normalised = np.ones_like(difference)
        normalised[:, 1:] = difference[:, 1:] / np.maximum(mean, 1e-20)
        # The first lag near the deepest dip, then on down to the bottom of its own dip.
        inner = normalised[:, shortest : longest + 1]
        best = inner.min(axis=1)
        first = np.argmax(inner <= best[:, None] + YIN_MARGIN, axis=1)
        rising = np.diff(inner, axis=1, append=np.inf) >= 0
        bottom = np.argmax(rising & (np.arange(inner.shape[1]) >= first[:, None]), axis=1) + shortest
        rows = np.arange(len(frames))
        before, at, after = (normalised[rows, bottom + step] for step in (-1, 0, 1))
        curve = before - 2 * at + after
        offset = np.where(curve > 0, 0.5 * (before - after) / np.maximum(curve, 1e-20), 0)
        track.append(np.where(best < YIN_THRESHOLD, VAD_RATE / (bottom + offset), 0.0))
    return np.concatenate(track)
