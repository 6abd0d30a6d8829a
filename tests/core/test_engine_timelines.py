"""Impatient timelines through the real engine, the real ``Microphone`` and real Whisper: the JFK
recording plays into the microphone in real time while the key goes down and up on a script.

The recording's words (Whisper's timestamps): "And so my fellow Americans" 0 to 2.3 s, "ask not what your
country can do for you" 3.3 to 7.6 s, "ask what you can do for your country" 8.1 to 10.5 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest

from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.sources import ClipSource
from desktop_assistant.core.engine import Engine, Stages
from desktop_assistant.core.events import State, TurnEnded
from desktop_assistant.core.turn import Turn
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from tests.core.fakes import FakeChat, FakeOutput, FakeVoice, Recorder, hearing
from tests.models_home import speech_file, word_error_rate

pytestmark = pytest.mark.model

TURN_TIMEOUT_S = 30.0
SECOND = "ask not what your country can do for you"
THIRD = "ask what you can do for your country"


class Timeline:
    """The clip's clock: ``at(s)`` waits until the recording has played ``s`` seconds."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def at(self, seconds: float) -> None:
        time.sleep(max(0.0, self.start + seconds - time.monotonic()))


@pytest.fixture
def live(transcriber: FasterWhisperTranscriber) -> Iterator[tuple[Engine, Recorder, Timeline]]:
    """An engine over real Whisper and a real microphone hearing the JFK recording from now on."""
    speech = read_audio(speech_file(), 16_000)
    microphone = Microphone(source=ClipSource(np.concatenate([speech, np.zeros(16_000, np.float32)])))
    stages = Stages(transcriber, FakeChat(["Noted."]), FakeVoice())
    with hearing(stages, FakeOutput(), microphone) as (engine, recorder):
        yield engine, recorder, Timeline()


def wait_ended(recorder: Recorder, turn: Turn) -> TurnEnded:
    with recorder.changed:
        assert recorder.changed.wait_for(
            lambda: any(isinstance(e, TurnEnded) and e.turn_id == turn.id for e in recorder.events),
            TURN_TIMEOUT_S,
        ), recorder.events
    (ended,) = [e for e in recorder.events if isinstance(e, TurnEnded) and e.turn_id == turn.id]
    assert isinstance(ended, TurnEnded)
    return ended


@pytest.mark.parametrize("second_press_s", [2.05, 2.3])
def test_press_release_press_transcribes_the_second_turn_and_a_third_works(
    live: tuple[Engine, Recorder, Timeline], second_press_s: float
) -> None:
    engine, recorder, clock = live
    first = engine.press()
    clock.at(2.0)
    # The release runs on a worker thread, as a hotkey backend's would; the next press follows at once.
    releasing = threading.Thread(target=engine.release)
    releasing.start()
    clock.at(second_press_s)
    second = engine.press()
    releasing.join()
    assert first is not None and second is not None
    assert engine.state is State.RECORDING
    clock.at(7.9)
    engine.release()
    heard = wait_ended(recorder, second)
    third = engine.press()
    assert third is not None
    clock.at(10.9)
    engine.release()
    last = wait_ended(recorder, third)

    assert wait_ended(recorder, first).interrupted
    # The second turn's preroll (400 ms) may hold the end of "Americans".
    said = " ".join(heard.transcript.split()[-len(SECOND.split()) :])
    assert heard.error is None and word_error_rate(SECOND, said) <= 0.2, heard
    assert last.error is None and word_error_rate(THIRD, last.transcript) <= 0.2, last
