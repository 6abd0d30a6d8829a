"""The turn engine with fake stages and scripted timelines: order, overlap, eager passes, barge-in, cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from desktop_assistant.audio.files import read_audio
from desktop_assistant.core.conversation import default_persona
from desktop_assistant.core.events import (
    ChunkSynthesized,
    ModelChosen,
    ReplyDelta,
    State,
    StateChanged,
    TranscriptReady,
    TurnEnded,
)
from desktop_assistant.core.heard import CLAUSE_PAUSE_S, SENTENCE_PAUSE_S, heard_text, pause_after
from desktop_assistant.errors import LLMError, ReplyInterrupted
from desktop_assistant.llm.base import ChatMessage
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
from tests.models_home import speech_file


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def speech() -> np.ndarray:
    """Two seconds of real speech from the JFK clip, for the real voice-activity detector."""
    return read_audio(speech_file(), 16_000)[8_000:40_000]


def test_a_typed_turn_reports_events_in_order(recorder: Recorder) -> None:
    voice = FakeVoice()
    engine = make_engine(recorder, FakeChat(TOKENS), voice)
    try:
        turn = engine.ask_text("What is the answer?")
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    kinds = [type(e).__name__ for e in recorder.events]
    assert kinds[0] == "TranscriptReady"
    assert kinds[-2:] == ["TurnEnded", "StateChanged"]
    # The model that answers is told before its first word, and the end names it again.
    assert kinds.index("ModelChosen") < kinds.index("ReplyDelta")
    assert [(e.model, e.backend) for e in recorder.of(ModelChosen)] == [("fake", "ollama")]
    assert (ended.model, ended.backend) == ("fake", "ollama")
    assert [e.state for e in recorder.of(StateChanged)] == [State.THINKING, State.SPEAKING, State.IDLE]
    assert "".join(e.text for e in recorder.of(ReplyDelta)) == "".join(TOKENS)
    assert [e.text for e in recorder.of(ChunkSynthesized)] == [
        "Sure, the answer",
        "is forty-two.",
        "See the docs.",
    ]
    assert all(e.turn_id == turn.id for e in recorder.events)
    assert isinstance(ended, TurnEnded)
    assert (ended.transcript, ended.interrupted, ended.error) == ("What is the answer?", False, None)
    assert ended.spoken == ended.heard == "Sure, the answer is forty-two. See the docs."
    assert ended.timings_ms["stt"] is None
    assert ended.timings_ms["at_llm_first_token"] is not None


def test_the_first_chunk_is_synthesized_while_the_reply_still_streams(recorder: Recorder) -> None:
    chat = FakeChat(TOKENS, gate_after=9)
    engine = make_engine(recorder, chat)
    try:
        engine.ask_text("hi")
        recorder.wait_for(ChunkSynthesized)
        assert not recorder.of(TurnEnded)
        chat.gate.set()
        recorder.wait_for(TurnEnded)
    finally:
        engine.close()


def test_persona_history_and_sentence_pauses(recorder: Recorder) -> None:
    chat, output = FakeChat(["Well then my friend,", " it is", " done."]), FakeOutput()
    engine = make_engine(recorder, chat, output=output)
    try:
        engine.ask_text("How are you?")
        recorder.wait_for(TurnEnded)
        engine.ask_text("And now?")
        recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()
    first, second = chat.requests
    assert first[0] == second[0] == ChatMessage("system", default_persona())
    assert [(m.role, m.content) for m in second[1:]] == [
        ("user", "How are you?"),
        ("assistant", "Well then my friend, it is done."),
        ("user", "And now?"),
    ]
    # Each chunk (100 samples a character at 1 kHz), then 0.1 s after a clause, 0.25 s after a sentence.
    assert [n for _, n in output.enqueued[:2]] == [100 * 20 + 100, 100 * 11 + 250]


def test_release_after_silence_uses_the_eager_pass_at_once_without_the_tail(
    recorder: Recorder, speech: np.ndarray
) -> None:
    mic = FakeMic(preroll=np.zeros(4_000, np.float32))
    ears = FakeEars({0: "", 30_000: "ask not what your country can do"})
    engine = make_engine(recorder, FakeChat(["Noted", " with", " thanks."]), ears=ears, mic=mic)
    try:
        engine.press()
        mic.speak(np.concatenate([speech, np.zeros(16_000, np.float32)]))
        ears.wait_until_heard(52_000)
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.transcript == "ask not what your country can do"
    assert ears.calls[-1] == 52_000  # no final pass: the last eager pass already covered everything
    # A second of silence before the release: the capture's tail could only add more, so it is not awaited.
    assert mic.calls[:2] == ["discard", "end"]
    assert ended.timings_ms["at_press"] is not None and ended.timings_ms["at_press"] < 0


def test_trailing_silence_starts_no_pass_so_none_is_in_flight_at_release(
    recorder: Recorder, speech: np.ndarray
) -> None:
    mic = FakeMic(preroll=np.zeros(4_000, np.float32))
    ears = FakeEars({0: "", 30_000: "ask not what your country can do"})
    engine = make_engine(recorder, FakeChat(["Noted."]), ears=ears, mic=mic)
    try:
        engine.press()
        mic.speak(np.concatenate([speech, np.zeros(24_000, np.float32)]))
        # The clip ends mid-word, so one pass also takes in the silence after it; then silence only.
        ears.wait_until_heard(60_000)
        mic.speak(np.zeros(24_000, np.float32))
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded) and ended.transcript == "ask not what your country can do"
    assert max(ears.calls) == 60_000


def test_speech_after_the_last_pass_gets_a_final_pass(recorder: Recorder, speech: np.ndarray) -> None:
    mic = FakeMic(preroll=np.zeros(4_000, np.float32))
    ears = FakeEars({0: "", 30_000: "ask not", 60_000: "ask not what your country can do for you"})
    engine = make_engine(recorder, FakeChat(["Fine", " by", " me."]), ears=ears, mic=mic)
    try:
        engine.press()
        mic.speak(speech)
        ears.wait_until_heard(36_000)
        mic.speak(speech)  # more words after the last eager pass, then the key goes up at once
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.transcript == "ask not what your country can do for you"
    assert ears.calls[-1] == 68_000
    assert mic.calls[0] == "end"  # still speaking at the release: the capture's tail is awaited


def test_a_silent_hold_never_reaches_the_model(recorder: Recorder) -> None:
    mic = FakeMic(preroll=np.zeros(4_000, np.float32))
    chat = FakeChat(["never"])
    engine = make_engine(recorder, chat, mic=mic)
    try:
        engine.press()
        mic.speak(np.zeros(16_000, np.float32))
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.error is not None and ended.error.startswith("No speech detected")
    assert chat.requests == []


def test_a_press_while_thinking_interrupts_and_starts_recording(recorder: Recorder) -> None:
    chat, mic = FakeChat(TOKENS, gate_after=0), FakeMic(preroll=np.full(4_000, 0.2, np.float32))
    output = FakeOutput()
    engine = make_engine(recorder, chat, output=output, mic=mic)
    try:
        first = engine.ask_text("Tell me everything")
        recorder.wait_for(TranscriptReady)
        assert chat.started.wait(WAIT)
        second = engine.press()
        (ended,) = recorder.wait_for(TurnEnded)
        assert chat.closed_early.wait(WAIT)
        assert engine.state is State.RECORDING
        assert second is not None and second.id != first.id
        np.testing.assert_array_equal(mic.snapshot(), mic.preroll)  # the preroll survives the barge-in
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert (ended.turn_id, ended.interrupted, ended.heard) == (first.id, True, "")
    assert output.cleared >= 1


def test_a_press_while_speaking_keeps_what_was_heard(recorder: Recorder) -> None:
    voice, output, mic = FakeVoice(), FakeOutput(drains=False), FakeMic(np.zeros(800, np.float32))
    engine = make_engine(recorder, FakeChat(TOKENS), voice, output=output, mic=mic)
    try:
        first = engine.ask_text("What is it?")
        # All three chunks are with the output: "Sure, the answer" and "is forty-two." (3.0 s, then
        # 0.25 s of pause), "See the docs." (1.3 s + 0.25 s), so 1.1 s into it two of its words were heard.
        recorder.wait_for(ChunkSynthesized, 3)
        output.position_s = 3.25 + 1.1
        engine.press()
        ended = next(e for e in recorder.wait_for(TurnEnded) if e.turn_id == first.id)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.interrupted and ended.error is None
    assert ended.heard == "Sure, the answer is forty-two. See the"
    assert ended.spoken == "Sure, the answer is forty-two. See the docs."


@pytest.mark.parametrize("state", [State.RECORDING, State.TRANSCRIBING, State.THINKING, State.SPEAKING])
def test_cancel_in_every_state_ends_the_turn_and_the_engine_stays_usable(
    recorder: Recorder, state: State, speech: np.ndarray
) -> None:
    chat = FakeChat(["One", " two", " three."], gate_after=0 if state is State.THINKING else None)
    output = FakeOutput(drains=state is not State.SPEAKING)
    mic = FakeMic(np.zeros(800, np.float32))
    hold = threading.Event()

    class SlowEars(FakeEars):
        def transcribe(self, audio: np.ndarray) -> Transcript:
            if state is State.TRANSCRIBING:
                hold.wait(WAIT)
            return super().transcribe(audio)

    ears = SlowEars({0: "", 20_000: "count to three"})
    voice = FakeVoice()
    engine = make_engine(recorder, chat, voice, ears=ears, output=output, mic=mic)
    try:
        if state in (State.RECORDING, State.TRANSCRIBING):
            engine.press()
            mic.speak(speech)
            if state is State.TRANSCRIBING:
                engine.release()
        else:
            engine.ask_text("count to three")
        recorder.wait_state(state)
        engine.cancel()
        hold.set()
        (ended,) = recorder.wait_for(TurnEnded)
        assert isinstance(ended, TurnEnded) and ended.interrupted
        assert engine.state is State.IDLE
        chat.gate.set()
        output.drain()
        again = engine.ask_text("again")
        recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()
    # Nothing of the cancelled turn reached the speaker after the cancel (while the key is held the
    # reply may already have been synthesized speculatively, but never played).
    cancelled = [tag for tag, _ in output.enqueued if tag == ended.turn_id]
    assert cancelled == ([ended.turn_id] if state is State.SPEAKING else [])
    assert [tag for tag, _ in output.enqueued if tag == again.id] == [again.id]


def test_a_cut_stream_keeps_and_speaks_what_arrived(recorder: Recorder) -> None:
    cut = ReplyInterrupted("The reply was cut off", "Ask again.", partial="The first part is here. And")
    voice = FakeVoice()
    engine = make_engine(recorder, FakeChat(["The first part", " is here.", " And"], fail=cut), voice)
    try:
        engine.ask_text("Tell me")
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.incomplete and ended.error == "The reply was cut off. Ask again."
    assert ended.reply == "The first part is here. And"
    assert voice.said == ["The first part", "is here.", "And"]


def test_a_dead_server_keeps_the_transcript(recorder: Recorder) -> None:
    down = LLMError("Cannot reach Ollama at http://127.0.0.1:9", "Start it with 'ollama serve'.")
    engine = make_engine(recorder, FakeChat([], fail=down), ears=FakeEars({0: "Remember the milk"}))
    try:
        engine.ask_audio(np.full(8_000, 0.1, np.float32))
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    assert ended.transcript == "Remember the milk"
    assert ended.error == "Cannot reach Ollama at http://127.0.0.1:9. Start it with 'ollama serve'."
    assert [e.text for e in recorder.of(TranscriptReady)] == ["Remember the milk"]


def test_a_tts_error_or_bug_ends_the_turn_with_one_line(recorder: Recorder) -> None:
    engine = make_engine(recorder, FakeChat(["One two three.", " Four five six."]), FakeVoice(fail_on="Four"))
    try:
        engine.ask_text("count")
        (failed,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(failed, TurnEnded) and failed.error == "Kokoro failed. Reimport it."
    recorder.events.clear()
    engine = make_engine(recorder, FakeChat(["One two three."]), FakeVoice(crash_on="One"))
    try:
        engine.ask_text("count")
        (crashed,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(crashed, TurnEnded)
    assert crashed.error == "Something went wrong inside the assistant. The log file has the details."


def test_heard_text_cuts_at_the_played_position() -> None:
    chunks = [("One two three four.", 2.0), ("Five six.", 1.0)]
    assert heard_text(chunks, 0.0) == ""
    assert heard_text(chunks, 1.0) == "One two"
    assert heard_text(chunks, 2.5) == "One two three four. Five"
    assert heard_text(chunks, 9.0) == "One two three four. Five six."


@pytest.mark.parametrize(
    ("chunk", "pause"),
    [
        ("The speaker is", 0.0),  # cut between words: the clause runs on
        ("John F. Kennedy,", CLAUSE_PAUSE_S),
        ('He said "Stop;"', CLAUSE_PAUSE_S),
        ("at his inauguration in January 1961.", SENTENCE_PAUSE_S),
        ("Is it (really?)", SENTENCE_PAUSE_S),
    ],
)
def test_the_pause_after_a_chunk_follows_where_it_was_cut(chunk: str, pause: float) -> None:
    assert pause_after(chunk) == pause
