"""The user's voice baseline: learned turn by turn, kept across restarts in the data folder, started
afresh from a damaged file; and what it changes in the notes on real speech."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.audio.files import read_audio
from desktop_assistant.core.voice_cues import BASELINE_NAME, BASELINE_TURNS, Question, VoiceCues
from tests.audio.voice_edits import shift_pitch, tempo
from tests.models_home import speech_file, speech_text


@pytest.fixture(scope="module")
def jfk() -> np.ndarray:
    return read_audio(speech_file(), 16_000)


def learn(cues: VoiceCues, question: Question, turns: int = BASELINE_TURNS) -> None:
    for _ in range(turns):
        cues.learn(question)


def test_a_question_is_sent_with_its_note_and_two_are_the_same_when_words_and_note_are() -> None:
    assert Question("Is it late?", "(spoken quickly)").message == "Is it late? (spoken quickly)"
    assert Question("Is it late?").message == "Is it late?"
    assert Question("Hi", "(spoken loudly)", {"words_per_s": 3.0}) == Question("Hi", "(spoken loudly)")
    assert Question("Hi", "(spoken loudly)") != Question("Hi")


def test_the_baseline_is_kept_across_a_restart(tmp_path: Path, jfk: np.ndarray) -> None:
    cues = VoiceCues.in_folder(tmp_path)
    plain = cues.question(speech_text(), jfk)
    learn(cues, plain, 3)
    kept = json.loads((tmp_path / BASELINE_NAME).read_text())
    assert kept["turns"] == 3 and set(kept["measures"]) == {"rate", "loudness", "pitch", "slope"}

    again = VoiceCues.in_folder(tmp_path)  # the app started again
    assert again.baseline.turns == 3
    assert again.baseline.measures == cues.baseline.measures
    learn(again, plain, 1)
    assert json.loads((tmp_path / BASELINE_NAME).read_text())["turns"] == 4
    assert list(tmp_path.iterdir()) == [tmp_path / BASELINE_NAME]  # written whole, no temporary left


@pytest.mark.parametrize("damage", ["{not json", '{"turns": "many"}', "[1, 2]", '{"turns": 2}'])
def test_a_damaged_baseline_starts_afresh_with_one_line(
    tmp_path: Path, jfk: np.ndarray, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    (tmp_path / BASELINE_NAME).write_text(damage)
    with caplog.at_level(logging.WARNING):
        cues = VoiceCues.in_folder(tmp_path)
    (record,) = caplog.records
    assert "voice baseline" in record.getMessage() and "starting a new one" in record.getMessage()
    assert cues.baseline.turns == 0 and cues.question(speech_text(), jfk).cues == ""
    cues.learn(cues.question(speech_text(), jfk))
    assert json.loads((tmp_path / BASELINE_NAME).read_text())["turns"] == 1


def test_pitch_is_judged_only_once_the_baseline_knows_the_voice(tmp_path: Path, jfk: np.ndarray) -> None:
    cues = VoiceCues.in_folder(tmp_path)
    higher, lower = shift_pitch(jfk, 6), shift_pitch(jfk, -6)
    # Adult voices span 85-255 Hz: a new user's pitch says nothing.
    assert cues.question(speech_text(), higher).cues == ""
    learn(cues, cues.question(speech_text(), jfk), BASELINE_TURNS - 1)
    assert cues.question(speech_text(), higher).cues == ""
    learn(cues, cues.question(speech_text(), jfk), 1)
    assert cues.question(speech_text(), higher).cues == "(spoken in a higher voice than usual)"
    assert cues.question(speech_text(), lower).cues == "(spoken in a lower voice than usual)"
    assert cues.question(speech_text(), jfk).cues == ""
    restarted = VoiceCues.in_folder(tmp_path)
    assert restarted.question(speech_text(), higher).cues == "(spoken in a higher voice than usual)"


def test_a_user_who_always_speaks_fast_is_not_told_so(tmp_path: Path, jfk: np.ndarray) -> None:
    cues = VoiceCues.in_folder(tmp_path)
    fast = tempo(jfk, 2.0)
    first = cues.question(speech_text(), fast)
    assert first.cues == "(spoken quickly)"  # against typical speech
    learn(cues, first)
    assert cues.question(speech_text(), fast).cues == ""  # against this user's own pace
    assert cues.question(speech_text(), jfk).cues == "(spoken slowly)"


def test_a_question_without_measures_leaves_the_baseline_as_it_is(tmp_path: Path) -> None:
    cues = VoiceCues.in_folder(tmp_path)
    cues.learn(Question("Typed, or too short to measure"))
    assert cues.baseline.turns == 0 and not (tmp_path / BASELINE_NAME).exists()


def test_a_baseline_that_cannot_be_written_says_so_once_and_the_turns_go_on(
    tmp_path: Path, jfk: np.ndarray, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    cues = VoiceCues.in_folder(blocker)
    question = cues.question(speech_text(), jfk)
    caplog.clear()  # reading it said so already
    with caplog.at_level(logging.WARNING):
        learn(cues, question, 2)
    (record,) = caplog.records
    assert "Cannot keep the voice baseline" in record.getMessage()
    assert cues.baseline.turns == 2  # still learned for this run
