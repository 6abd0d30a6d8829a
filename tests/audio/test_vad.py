"""webrtcvad trimming: leading and trailing silence cut, padding kept, silence recognised."""

from __future__ import annotations

import numpy as np

from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.vad import FRAME_LEN, SpeechTracker, speech_bounds, trim_silence
from tests.models_home import speech_file

RATE = 16_000


def jfk() -> np.ndarray:
    return read_audio(speech_file(), RATE)


def test_padding_is_kept_around_speech_in_silence() -> None:
    speech = jfk()
    start, end = speech_bounds(speech, 2, 0)  # type: ignore[misc]
    core = speech[start:end]
    padded = np.concatenate([np.zeros(2 * RATE, np.float32), core, np.zeros(3 * RATE, np.float32)])
    bounds = speech_bounds(padded, 2, 300)
    assert bounds is not None
    lead, tail = 2 * RATE - bounds[0], bounds[1] - (2 * RATE + len(core))
    # 300 ms of padding, give or take one 30 ms VAD frame at each edge.
    assert abs(lead - 4800) <= FRAME_LEN
    assert abs(tail - 4800) <= FRAME_LEN


def test_trim_returns_the_samples_between_the_bounds() -> None:
    audio = np.concatenate([np.zeros(RATE, np.float32), jfk(), np.zeros(RATE, np.float32)])
    trimmed = trim_silence(audio, 2, 300)
    bounds = speech_bounds(audio, 2, 300)
    assert trimmed is not None and bounds is not None
    np.testing.assert_array_equal(trimmed, audio[bounds[0] : bounds[1]])
    assert len(trimmed) < len(audio) - RATE


def test_digital_silence_and_faint_hiss_hold_no_speech() -> None:
    assert trim_silence(np.zeros(3 * RATE, np.float32)) is None
    hiss = (np.random.default_rng(1).standard_normal(3 * RATE) * 0.002).astype(np.float32)
    assert trim_silence(hiss) is None


def test_a_single_click_is_not_speech() -> None:
    audio = np.zeros(2 * RATE, np.float32)
    audio[RATE : RATE + 200] = 0.8
    assert trim_silence(audio) is None


def test_the_tracker_follows_a_growing_recording_as_speech_bounds_would() -> None:
    audio = np.concatenate([np.zeros(RATE // 2, np.float32), jfk()[: 4 * RATE], np.zeros(RATE, np.float32)])
    tracker = SpeechTracker(2)
    ends = []
    # Blocks of uneven sizes, as snapshots of a live recording come: frames straddle their edges.
    for length in range(0, len(audio) + 1, 7_777):
        bounds = speech_bounds(audio[:length], 2, 0)
        assert tracker.update(audio[:length]) == (None if bounds is None else bounds[1])
        ends.append(tracker.update(audio[:length]))
    assert ends[0] is None and ends[-1] is not None
    assert len(set(ends[1:])) > 3  # the end moved on as the speech went on, then held in the silence
