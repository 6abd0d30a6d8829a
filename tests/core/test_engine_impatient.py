"""The engine as an impatient user drives it, with fake stages: commands in quick succession keep one
ordered event stream; a cut reply enters the conversation as heard; devices that fail mid-turn; a stage
that ignores a cancel is named by the watchdog."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from desktop_assistant.audio.capture import CaptureInterrupted
from desktop_assistant.core.conversation import CUT_OFF, NOTHING_HEARD
from desktop_assistant.core.events import (
    Event,
    ProblemReported,
    State,
    StateChanged,
    TranscriptReady,
    TurnEnded,
)
from desktop_assistant.core.heard import heard_text
from desktop_assistant.errors import AudioDeviceError
from desktop_assistant.stt.base import Transcript
from tests.core.fakes import (
    TOKENS,
    WAIT,
    FakeChat,
    FakeEars,
    FakeMic,
    FakeOutput,
    FakeVoice,
    Recorder,
    make_engine,
)


def assert_one_ordered_stream(events: list[Event]) -> None:
    """Turns never interleave, and after a turn's end comes at most its own IDLE."""
    order: list[str] = []
    for event in events:
        if not order or order[-1] != event.turn_id:
            assert event.turn_id not in order, f"turn {event.turn_id} came back after another: {events}"
            order.append(event.turn_id)
    for turn_id in order:
        own = [e for e in events if e.turn_id == turn_id]
        ends = [i for i, e in enumerate(own) if isinstance(e, TurnEnded)]
        assert len(ends) == 1, own
        assert own[ends[0] + 1 :] in ([], [StateChanged(turn_id, State.IDLE)]), own


def test_commands_in_quick_succession_keep_one_ordered_stream() -> None:
    recorder = Recorder()
    chat = FakeChat(TOKENS, gate_after=4)
    mic = FakeMic(np.zeros(800, np.float32))
    engine = make_engine(recorder, chat, ears=FakeEars({0: "hello"}), mic=mic)
    try:
        for round_ in range(12):
            engine.ask_text(f"question {round_}")
            if round_ % 3 == 0:
                chat.gate.set()  # let some replies reach the speaker before the next press
            time.sleep(0.005 * (round_ % 4))
            engine.press()
            mic.speak(np.full(1_600, 0.1, np.float32))
            engine.release()
            chat.gate.clear()
            engine.cancel() if round_ % 2 else engine.ask_text("typed over it")
        chat.gate.set()
        last = engine.ask_text("the last one")
        with recorder.changed:
            assert recorder.changed.wait_for(
                lambda: any(isinstance(e, TurnEnded) and e.turn_id == last.id for e in recorder.events), WAIT
            )
        time.sleep(0.1)  # nothing more may follow
    finally:
        engine.close()
    events = list(recorder.events)
    assert recorder.threads == {"engine-events"}
    assert_one_ordered_stream(events)
    assert events[-1] == StateChanged(last.id, State.IDLE)
    assert engine.state is State.IDLE


def test_an_interrupted_reply_enters_the_next_request_as_heard() -> None:
    recorder, output = Recorder(), FakeOutput(drains=False)
    chat = FakeChat(TOKENS)
    engine = make_engine(recorder, chat, output=output)
    try:
        engine.ask_text("What is it?")
        recorder.wait_for(TranscriptReady)
        assert output.finished.wait(WAIT)
        output.position_s = 3.25 + 1.1  # two words into the second chunk
        engine.ask_text("And then?")
        recorder.wait_for(TurnEnded)
        output.drain()
        recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()
    history = [(m.role, m.content) for m in chat.requests[1][1:]]
    assert history == [
        ("user", "What is it?"),
        ("assistant", f"Sure, the answer is forty-two. See the {CUT_OFF}"),
        ("user", "And then?"),
    ]


def test_a_barge_in_before_any_audio_enters_as_nothing_heard() -> None:
    recorder = Recorder()
    chat = FakeChat(TOKENS, gate_after=0)
    engine = make_engine(recorder, chat)
    try:
        engine.ask_text("Tell me everything")
        assert chat.started.wait(WAIT)
        engine.cancel()
        chat.gate.set()
        engine.ask_text("Just the gist")
        recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()
    assert [m.content for m in chat.requests[1][1:]] == ["Tell me everything", NOTHING_HEARD, "Just the gist"]


class DyingMic(FakeMic):
    """The microphone fails while the key is held: its end() raises with what it had captured."""

    def end(self) -> np.ndarray:
        self.ended += 1
        hint = "Check that it is still connected."
        raise CaptureInterrupted("The microphone stopped", hint, self.snapshot())


def test_a_microphone_that_stops_mid_recording_still_answers_what_it_captured() -> None:
    recorder = Recorder()
    mic = DyingMic(np.zeros(800, np.float32))
    ears = FakeEars({0: "", 20_000: "count to three"})
    engine = make_engine(recorder, FakeChat(["One, two, three."]), ears=ears, mic=mic)
    try:
        engine.press()
        mic.speak(np.full(24_000, 0.2, np.float32))
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    kinds = [type(e).__name__ for e in recorder.events if not isinstance(e, StateChanged)]
    assert kinds == [
        "ProblemReported",
        "TranscriptReady",
        "ModelChosen",
        "ReplyDelta",
        "ChunkSynthesized",
        "TurnEnded",
    ]
    (problem,) = recorder.of(ProblemReported)
    assert isinstance(problem, ProblemReported)
    assert problem.line == "The microphone stopped. Check that it is still connected."
    assert isinstance(ended, TurnEnded)
    assert (ended.transcript, ended.reply, ended.error) == ("count to three", "One, two, three.", None)


def test_a_microphone_that_stops_before_any_speech_says_so() -> None:
    recorder, mic = Recorder(), DyingMic(np.zeros(800, np.float32))
    chat = FakeChat(["never"])
    engine = make_engine(recorder, chat, mic=mic)
    try:
        engine.press()
        mic.speak(np.zeros(8_000, np.float32))
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.error == "The microphone stopped. Check that it is still connected."
    assert chat.requests == []


def test_a_speaker_lost_mid_reply_ends_the_turn_with_one_line_and_keeps_the_text() -> None:
    recorder, output = Recorder(), FakeOutput(drains=False)
    engine = make_engine(recorder, FakeChat(TOKENS), output=output)
    try:
        engine.ask_text("What is it?")
        assert output.finished.wait(WAIT)
        output.position_s = 1.0
        output.drain(AudioDeviceError("The speaker stopped", "Check that it is still connected."))
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.error == "The speaker stopped. Check that it is still connected."
    assert ended.reply == "".join(TOKENS)
    chunks = [("Sure, the answer is forty-two.", 3.25), ("See the docs.", 1.55)]
    assert ended.heard == heard_text(chunks, 1.0) == "Sure,"
    assert engine.state is State.IDLE


class StubbornVoice(FakeVoice):
    """A synthesis that ignores the cancel token until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = threading.Event()
        self.go = threading.Event()

    def synthesize(self, text: str) -> np.ndarray:
        self.inside.set()
        self.go.wait(WAIT)
        return super().synthesize(text)


def test_the_watchdog_names_a_stage_still_busy_two_seconds_after_a_cancel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    recorder, voice = Recorder(), StubbornVoice()
    engine = make_engine(recorder, FakeChat(TOKENS), voice)
    try:
        with caplog.at_level(logging.WARNING, logger="desktop_assistant.core.worker"):
            turn = engine.ask_text("Say something")
            assert voice.inside.wait(WAIT)
            cancelled = time.monotonic()
            engine.cancel()
            deadline = cancelled + WAIT
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.05)
            warned = time.monotonic() - cancelled
    finally:
        voice.go.set()
        engine.close()
    (record,) = caplog.records
    message = f"The tts stage is still busy with turn {turn.id} 2 s after it was cancelled"
    assert record.getMessage() == message
    assert 1.9 <= warned < 3.0


def test_a_stage_that_heeds_the_cancel_is_not_named(caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder()
    chat = FakeChat(TOKENS, gate_after=0)
    engine = make_engine(recorder, chat)
    try:
        with caplog.at_level(logging.WARNING, logger="desktop_assistant.core.worker"):
            engine.ask_text("Say something")
            assert chat.started.wait(WAIT)
            engine.cancel()
            assert chat.closed_early.wait(WAIT)
            time.sleep(2.3)
    finally:
        engine.close()
    assert caplog.records == []


class SlowEars(FakeEars):
    """Transcribes only once the test says so."""

    def __init__(self, texts: dict[int, str]) -> None:
        super().__init__(texts)
        self.go = threading.Event()

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.go.wait(WAIT)
        return super().transcribe(audio)


def test_a_press_while_the_last_turn_transcribes_records_the_new_turn() -> None:
    recorder = Recorder()
    mic = FakeMic(np.zeros(800, np.float32))
    ears = SlowEars({0: "", 8_000: "first question"})
    engine = make_engine(recorder, FakeChat(["Fine."]), ears=ears, mic=mic)
    try:
        first = engine.press()
        mic.speak(np.full(16_000, 0.2, np.float32))
        engine.release()
        second = engine.press()  # the first turn is still transcribing
        assert second is not None and first is not None
        assert engine.state is State.RECORDING
        ears.go.set()
        ended = recorder.wait_for(TurnEnded)
        assert engine.state is State.RECORDING  # the old turn's transcription did not end the new one
        mic.speak(np.full(16_000, 0.2, np.float32))
        engine.release()
        recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()
    assert isinstance(ended[0], TurnEnded) and ended[0].turn_id == first.id and ended[0].interrupted
    (answered,) = [e for e in recorder.of(TurnEnded) if e.turn_id == second.id]
    assert isinstance(answered, TurnEnded)
    assert (answered.transcript, answered.error) == ("first question", None)
