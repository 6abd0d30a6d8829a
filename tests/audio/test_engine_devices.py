"""Devices that disappear mid-turn, through the real engine, the real ``Player`` and ``Microphone`` on a
PulseAudio server that is killed at the worst moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.playback import Player
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, Stages
from desktop_assistant.core.events import ProblemReported, State, TranscriptReady, TurnEnded
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.audio.pulse import PulseServer, tone
from tests.core.fakes import FakeChat, FakeEars, Recorder
from tests.e2e.desktop import open_room, speak_into_room
from tests.models_home import speech_file

RATE = 24_000
REPLY = ["The first sentence is here.", " The second one is longer than that,", " and so is the third."]


class ToneVoice:
    """A quarter second of tone per word at 24 kHz: long enough to be cut while it plays."""

    @property
    def sample_rate(self) -> int:
        return RATE

    def synthesize(self, text: str) -> np.ndarray:
        return tone(440.0, 0.25 * len(text.split()), RATE)


@pytest.fixture
def doomed(pulse: PulseServer) -> Iterator[PulseServer]:
    """A second PulseAudio server, for devices the test will take away; this process points at it."""
    server = PulseServer()
    server.start()
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in server.env.items():
                patch.setenv(name, value)
            yield server
    finally:
        server.stop()


def test_a_speaker_lost_mid_reply_ends_the_turn_with_one_line_and_keeps_the_text(
    doomed: PulseServer,
) -> None:
    player = Player(source_rate=RATE)
    player.start()
    recorder = Recorder()
    stages = Stages(FakeEars({0: ""}), FakeChat(REPLY), ToneVoice())
    engine = Engine(stages, player, recorder, Conversation.with_persona(""))
    engine.start()
    try:
        assert player.wait_live(10)
        engine.ask_text("Say three things")
        recorder.wait_state(State.SPEAKING)
        doomed.stop()  # the sound server goes away while the reply plays
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
        player.close()
    assert isinstance(ended, TurnEnded)
    assert ended.error == "The speaker stopped. Check that it is still connected, then restart the assistant."
    assert ended.reply == "".join(REPLY)
    assert len(ended.heard.split()) < len(ended.spoken.split())
    assert engine.state is State.IDLE


def test_a_microphone_lost_mid_question_still_has_what_it_heard_answered(
    doomed: PulseServer, transcriber: FasterWhisperTranscriber
) -> None:
    open_room(doomed)
    microphone = Microphone()
    microphone.start()
    speaker = Player(source_rate=RATE, realtime_sink=True)
    speaker.start()
    recorder = Recorder()
    engine = Engine(
        Stages(transcriber, FakeChat(["Noted."]), ToneVoice()),
        speaker,
        recorder,
        Conversation.with_persona(""),
        microphone=microphone,
    )
    engine.start()
    try:
        assert microphone.wait_live(10)
        engine.press()
        speaking = threading.Thread(target=speak_into_room, args=(doomed, speech_file(), 2.4))
        speaking.start()
        speaking.join()
        doomed.stop()  # the microphone goes away before the key is let go
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
        speaker.close()
        microphone.close()
    assert isinstance(ended, TurnEnded)
    problems = [e for e in recorder.events if isinstance(e, ProblemReported)]
    assert [p.line for p in problems] == ["The microphone stopped. Check that it is still connected."]
    (heard,) = [e for e in recorder.events if isinstance(e, TranscriptReady)]
    assert isinstance(heard, TranscriptReady) and "fellow americans" in heard.text.lower()
    assert (ended.reply, ended.error) == ("Noted.", None)
    assert microphone.error is not None  # the source really stopped
