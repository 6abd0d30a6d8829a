"""Voice cues through the engine, with real speech and the real detector and measures under fake models:
the early reply asks the question with the note the final one gets and is kept; the note reaches the
model, the turn log and the conversation; typed turns, and cues switched off, ask the words alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from desktop_assistant.audio.files import read_audio
from desktop_assistant.core.attempt import ReplyAttempt
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, EngineConfig, Stages
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.core.jobs import LiveTurn
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.turn_log import AskedTurn
from desktop_assistant.core.voice_cues import BASELINE_NAME, Question, VoiceCues
from tests.audio.voice_edits import gain, tempo
from tests.core.fakes import TOKENS, FakeChat, FakeEars, FakeMic, FakeOutput, FakeVoice, Recorder
from tests.core.test_engine_early_reply import QUIET, LogRecorder, wait_until
from tests.models_home import speech_file, speech_text

NOTE = "(spoken quickly and loudly)"


@pytest.fixture(scope="module")
def hurried() -> np.ndarray:
    """The JFK recording twice as fast and 8 dB louder."""
    return gain(tempo(read_audio(speech_file(), 16_000), 2.0), 8)


class NoteLog(LogRecorder):
    """A turn log that also records each question's words and note as they were kept."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[tuple[str, str]] = []

    def asked(self, turn: AskedTurn) -> str | None:
        self.questions.append((turn.question, turn.voice_cues))
        return super().asked(turn)


class Rig:
    """An engine with voice cues (their baseline in ``folder``) over fake models and a fake microphone."""

    def __init__(self, folder: Path, cues: bool = True) -> None:
        self.chat, self.log, self.recorder = FakeChat(TOKENS), NoteLog(), Recorder()
        self.mic = FakeMic(preroll=np.zeros(4_000, np.float32))
        config = EngineConfig(voice_cues=VoiceCues.in_folder(folder) if cues else None)
        self.engine = Engine(
            Stages(FakeEars({0: speech_text()}), self.chat, FakeVoice()),
            FakeOutput(),
            self.recorder,
            Conversation.with_persona(""),
            config,
            self.mic,
            self.log,
        )
        self.engine.start()

    def ended(self) -> TurnEnded:
        (ended,) = self.recorder.wait_for(TurnEnded)
        assert isinstance(ended, TurnEnded)
        return ended


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    try:
        yield rig
    finally:
        rig.engine.close()


def test_the_early_reply_asks_with_the_note_and_is_kept(
    rig: Rig, hurried: np.ndarray, tmp_path: Path
) -> None:
    rig.engine.press()
    rig.mic.speak(np.concatenate([hurried, QUIET]))
    wait_until(rig.chat.started.is_set, "the early request")
    (early,) = rig.chat.requests
    assert early[-1].content == f"{speech_text()} {NOTE}"  # asked while the key is still held
    rig.engine.release()
    ended = rig.ended()
    assert ended.error is None and ended.reply == "".join(TOKENS)
    assert len(rig.chat.requests) == 1  # the final question was the same, words and note: kept
    assert ended.transcript == speech_text()  # the words alone are the transcript
    assert rig.log.questions == [(speech_text(), NOTE)]
    assert rig.engine.conversation.exchanges[-1].question == f"{speech_text()} {NOTE}"  # as sent
    assert json.loads((tmp_path / BASELINE_NAME).read_text())["turns"] == 1  # learned once


def test_a_recording_is_asked_with_its_note_and_a_typed_question_without(
    rig: Rig, hurried: np.ndarray
) -> None:
    rig.engine.ask_audio(hurried)
    rig.ended()
    rig.recorder.events.clear()
    rig.engine.ask_text("And what did he mean?")
    rig.ended()
    spoken, typed = rig.chat.requests
    assert spoken[-1].content == f"{speech_text()} {NOTE}"
    assert typed[-1].content == "And what did he mean?"
    assert typed[1].content == spoken[-1].content  # the past question stays as it was sent
    assert rig.log.questions == [(speech_text(), NOTE), ("And what did he mean?", "")]


def test_a_retried_spoken_question_is_asked_with_its_note_again(rig: Rig, tmp_path: Path) -> None:
    rig.engine.ask_text("Where is my train?", source="spoken", cues=NOTE)
    ended = rig.ended()
    (retried,) = rig.chat.requests
    assert retried[-1].content == f"Where is my train? {NOTE}"
    assert (ended.transcript, ended.voice_cues) == ("Where is my train?", NOTE)
    assert rig.log.questions == [("Where is my train?", NOTE)]
    assert not (tmp_path / BASELINE_NAME).exists()  # nothing was heard: the baseline learns nothing


def test_with_cues_off_the_words_go_alone(tmp_path: Path, hurried: np.ndarray) -> None:
    rig = Rig(tmp_path, cues=False)
    try:
        rig.engine.ask_audio(hurried)
        rig.ended()
    finally:
        rig.engine.close()
    assert [r[-1].content for r in rig.chat.requests] == [speech_text()]
    assert rig.log.questions == [(speech_text(), "")] and not (tmp_path / BASELINE_NAME).exists()


def test_an_early_reply_whose_note_differs_from_the_final_one_is_dropped() -> None:
    live = LiveTurn(Turn(), Conversation.with_persona(""), "spoken")
    early = live.start_early_reply(Question("Is it late?", "(spoken quickly)"))
    assert isinstance(early, ReplyAttempt)
    assert live.early_reply_for(Question("Is it late?", "(spoken quickly)", {"words_per_s": 6.0})) is early
    assert live.early_reply_for(Question("Is it late?")) is None
    assert early.cancel.is_set() and live.attempt is None
