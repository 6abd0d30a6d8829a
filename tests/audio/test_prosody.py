"""How real speech sounded: the JFK recording and Kokoro's questions, measured as they are and changed one
way at a time (tests/audio/voice_edits.py), and the notes the voice cues make of them for a new user."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soxr

from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.prosody import measure
from desktop_assistant.core.voice_cues import VoiceCues
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.audio.voice_edits import gain, rise_at_end, tempo
from tests.models_home import speech_file, speech_text

QUESTION = "Is it going to rain tomorrow?"


@pytest.fixture(scope="module")
def jfk() -> np.ndarray:
    return read_audio(speech_file(), 16_000)


@pytest.fixture
def cues(tmp_path: Path) -> VoiceCues:
    """Cues for a user the assistant has not heard yet: typical speech stands in."""
    return VoiceCues.in_folder(tmp_path)


def hint(cues: VoiceCues, audio: np.ndarray, text: str) -> str:
    return cues.question(text, audio).cues


def test_the_recording_measures_as_adult_speech_and_gets_no_note(jfk: np.ndarray, cues: VoiceCues) -> None:
    prosody = measure(jfk, speech_text(), 2)
    assert prosody is not None
    assert 2.5 <= prosody.words_per_s <= 4.0  # 22 words in about 7 s of speaking between the pauses
    assert -20 <= prosody.loudness_dbfs <= -10
    assert prosody.pitch_hz is not None and 85 <= prosody.pitch_hz <= 300
    assert prosody.end_slope_st_s is not None and prosody.end_slope_st_s < 0  # a statement falls at the end
    assert hint(cues, jfk, speech_text()) == ""


def test_silence_after_the_speech_changes_nothing(jfk: np.ndarray) -> None:
    """The early reply measures the audio up to the pause; the release, the same speech and more silence."""
    paused = np.concatenate([jfk, np.zeros(4_800, np.float32)])  # quiet for 0.3 s with the key held
    released = np.concatenate([jfk, np.zeros(24_000, np.float32)])
    assert measure(released, speech_text(), 2) == measure(paused, speech_text(), 2)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda a: tempo(a, 2.0), "(spoken quickly)"),
        (lambda a: tempo(a, 0.6), "(spoken slowly)"),
        (lambda a: gain(a, 8), "(spoken loudly)"),
        (lambda a: gain(a, -20), "(spoken quietly)"),
        (lambda a: gain(tempo(a, 2.0), 8), "(spoken quickly and loudly)"),
        (lambda a: rise_at_end(a, 8), "(spoken with a rise at the end)"),
        (lambda a: rise_at_end(tempo(a, 2.0), 8), "(spoken quickly, rising at the end)"),
    ],
    ids=["faster", "slower", "louder", "quieter", "faster-and-louder", "rising", "faster-and-rising"],
)
def test_the_recording_changed_one_way_gets_that_note(
    jfk: np.ndarray, cues: VoiceCues, change: object, expected: str
) -> None:
    changed = change(jfk)  # type: ignore[operator]
    assert hint(cues, changed, speech_text()) == expected


def voice(hz: float, glide_st: float) -> np.ndarray:
    """A buzz of 11 harmonics at ``hz`` for 1.3 s that glides ``glide_st`` semitones over its last 0.7 s,
    with half a second of silence either side."""
    t = np.arange(32_000) / 16_000
    pitch = hz * 2 ** (glide_st / 12 * np.clip((t - 1.3) / 0.7, 0, None))
    phase = 2 * np.pi * np.cumsum(pitch) / 16_000
    buzz = 0.1 * sum(np.sin(k * phase) / k for k in range(1, 12))
    return np.concatenate([np.zeros(8_000), buzz, np.zeros(8_000)]).astype(np.float32)


@pytest.mark.parametrize(("hz", "glide_st"), [(120.0, 0.0), (120.0, 6.0), (210.0, -4.0), (85.0, 3.0)])
def test_a_voice_of_known_pitch_reads_that_pitch_and_glide(hz: float, glide_st: float) -> None:
    """The tracker's reading of a voice whose pitch is known: the median is the steady part, the slope
    the glide over the last 0.7 s (6 semitones: 8.6 per second)."""
    prosody = measure(voice(hz, glide_st), "one two three four five", 2)
    assert prosody is not None and prosody.pitch_hz is not None and prosody.end_slope_st_s is not None
    assert prosody.pitch_hz == pytest.approx(hz, rel=0.01)
    assert prosody.end_slope_st_s == pytest.approx(glide_st / 0.7, abs=0.3)


def test_speech_too_short_to_judge_gets_no_note(cues: VoiceCues) -> None:
    assert measure(np.zeros(16_000, np.float32), "", 2) is None
    assert cues.question("Hm.", np.zeros(16_000, np.float32)).cues == ""


@pytest.fixture(scope="module")
def question_audio(synthesizer: KokoroSynthesizer) -> np.ndarray:
    """Kokoro asking ``QUESTION``, at 16 kHz, with half a second of silence either side."""
    speech = soxr.resample(synthesizer.synthesize(QUESTION), synthesizer.sample_rate, 16_000)
    pad = np.zeros(8_000, np.float32)
    return np.concatenate([pad, speech.astype(np.float32), pad])


@pytest.mark.model
def test_a_synthesized_question_as_spoken_gets_no_note(question_audio: np.ndarray, cues: VoiceCues) -> None:
    """Kokoro's questions fall at the end like statements, at an ordinary rate and level."""
    question = cues.question(QUESTION, question_audio)
    assert question.cues == "" and question.text == QUESTION
    assert question.measures["words_per_s"] is not None and question.measures["pitch_hz"] is not None


@pytest.mark.model
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda a: rise_at_end(a, 8), "(spoken with a rise at the end)"),
        (lambda a: tempo(a, 1.6), "(spoken quickly)"),
        (lambda a: gain(a, -14), "(spoken quietly)"),
    ],
    ids=["rising", "faster", "quieter"],
)
def test_a_synthesized_question_changed_one_way_gets_that_note(
    question_audio: np.ndarray, cues: VoiceCues, change: object, expected: str
) -> None:
    assert hint(cues, change(question_audio), QUESTION) == expected  # type: ignore[operator]
