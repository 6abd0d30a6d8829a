"""The reply started while the key is still held, with fake stages on scripted timelines: kept when the
final transcript is the one it asked (nothing of it shown, kept or played before the release), dropped
when the user speaks again, cut off by Stop, and asked again at release when it failed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

from desktop_assistant.audio.files import read_audio
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, EngineConfig, Stages
from desktop_assistant.core.events import ChunkSynthesized, ReplyDelta, TranscriptReady, TurnEnded
from desktop_assistant.core.turn_log import AskedTurn
from desktop_assistant.errors import ModelFileError
from tests.core.fakes import TOKENS, WAIT, FakeChat, FakeEars, FakeMic, FakeOutput, FakeVoice, Recorder
from tests.models_home import speech_file

FIRST = "And so my fellow"
SECOND = "And so my fellow Americans, ask not"
PREROLL = 4_000


class LogRecorder:
    """A ``TurnLog`` that records what it was told, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def asked(self, turn: AskedTurn) -> str | None:
        self.calls.append(("asked", turn.question))
        return None

    def replying(self, turn_id: str, reply: str, spoken: str) -> None:
        self.calls.append(("replying", reply))

    def ended(self, turn: AskedTurn, ended: TurnEnded) -> None:
        self.calls.append(("ended", ended.reply))


class Rig:
    """An engine over fake stages, a fake microphone and a recording turn log."""

    def __init__(self, chat: FakeChat, ears: FakeEars) -> None:
        self.chat, self.ears = chat, ears
        self.recorder, self.output, self.voice = Recorder(), FakeOutput(), FakeVoice()
        self.mic = FakeMic(preroll=np.zeros(PREROLL, np.float32))
        self.log = LogRecorder()
        self.engine = Engine(
            Stages(ears, chat, self.voice),
            self.output,
            self.recorder,
            Conversation.with_persona(""),
            EngineConfig(),
            self.mic,
            self.log,
        )
        self.engine.start()

    def kinds(self) -> list[type]:
        return [type(e) for e in self.recorder.events]


def wait_until(ready: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


@pytest.fixture
def speech() -> np.ndarray:
    """Two seconds of real speech from the JFK clip (it ends mid-word), for the real VAD."""
    return read_audio(speech_file(), 16_000)[8_000:40_000]


@pytest.fixture
def rig(request: pytest.FixtureRequest) -> Iterator[Rig]:
    chat, ears = request.param
    rig = Rig(chat, ears)
    try:
        yield rig
    finally:
        rig.engine.close()


QUIET = np.zeros(16_000, np.float32)  # a second with the key still held
EARS = {0: "", 30_000: FIRST, 70_000: SECOND}


def ask_and_pause(rig: Rig, speech: np.ndarray) -> None:
    """Press, speak, and stay quiet with the key held until the early request has gone out."""
    rig.engine.press()
    rig.mic.speak(np.concatenate([speech, QUIET]))
    wait_until(rig.chat.started.is_set, "the early request")


@pytest.mark.parametrize("rig", [(FakeChat(TOKENS), FakeEars(EARS))], indirect=True)
def test_a_reply_started_while_the_key_is_held_is_kept_and_plays_only_after_the_release(
    rig: Rig, speech: np.ndarray
) -> None:
    turn = rig.engine.press()
    assert turn is not None
    rig.mic.speak(np.concatenate([speech, QUIET]))
    # The whole reply streams and is synthesized while the key is still down ...
    wait_until(lambda: len(rig.voice.said) >= 2, "the early reply's synthesis")
    time.sleep(0.05)
    assert len(rig.chat.requests) == 1 and rig.chat.requests[0][-1].content == FIRST
    # ... yet nothing of it was shown, kept or played.
    assert ReplyDelta not in rig.kinds() and TranscriptReady not in rig.kinds()
    assert rig.output.enqueued == [] and rig.log.calls == []
    rig.engine.release()
    (ended,) = rig.recorder.wait_for(TurnEnded)
    assert isinstance(ended, TurnEnded)
    assert ended.transcript == FIRST and ended.reply == "".join(TOKENS) and ended.error is None
    assert len(rig.chat.requests) == 1  # kept: not asked again
    kinds = [k for k in rig.kinds() if k in (TranscriptReady, ReplyDelta, ChunkSynthesized, TurnEnded)]
    assert kinds[0] is TranscriptReady and kinds[-1] is TurnEnded
    chunks = len(rig.voice.said)
    assert kinds.count(ReplyDelta) == len(TOKENS) and kinds.count(ChunkSynthesized) == chunks >= 2
    assert [tag for tag, _ in rig.output.enqueued] == [turn.id] * chunks
    assert rig.log.calls[0] == ("asked", FIRST) and rig.log.calls[-1] == ("ended", "".join(TOKENS))
    timings = ended.timings_ms
    assert timings["at_speculated"] is not None and timings["at_speculated"] < 0
    assert timings["at_speculation_kept"] is not None and timings["at_speculation_kept"] >= 0
    assert timings["at_first_chunk_text"] is not None and timings["at_first_chunk_text"] < 0
    assert rig.engine.conversation.exchanges[-1].question == FIRST


@pytest.mark.parametrize("rig", [(FakeChat(TOKENS, gate_after=2), FakeEars(EARS))], indirect=True)
def test_speech_that_resumes_drops_the_early_reply_and_the_release_asks_the_whole_question(
    rig: Rig, speech: np.ndarray
) -> None:
    ask_and_pause(rig, speech)
    rig.mic.speak(speech)  # the user goes on
    wait_until(rig.chat.closed_early.is_set, "the early request to be cut off")
    rig.ears.wait_until_heard(len(speech) * 2 + len(QUIET) + PREROLL)
    rig.engine.release()
    wait_until(lambda: len(rig.chat.requests) == 2, "the second request")
    rig.chat.gate.set()
    (ended,) = rig.recorder.wait_for(TurnEnded)
    assert isinstance(ended, TurnEnded)
    first, second = rig.chat.requests
    assert (first[-1].content, second[-1].content) == (FIRST, SECOND)
    assert [e.text for e in rig.recorder.of(TranscriptReady)] == [SECOND]  # type: ignore[attr-defined]
    assert (ended.transcript, ended.reply) == (SECOND, "".join(TOKENS))
    assert len(rig.recorder.of(ReplyDelta)) == len(TOKENS)  # the dropped reply's deltas never arrive
    assert [c for c in rig.log.calls if c[0] == "asked"] == [("asked", SECOND)]


@pytest.mark.parametrize("rig", [(FakeChat(TOKENS, gate_after=2), FakeEars(EARS))], indirect=True)
def test_stop_while_the_early_reply_streams_cuts_it_off_and_keeps_nothing(
    rig: Rig, speech: np.ndarray
) -> None:
    ask_and_pause(rig, speech)
    rig.engine.cancel()
    (ended,) = rig.recorder.wait_for(TurnEnded)
    wait_until(rig.chat.closed_early.is_set, "the early request to be cut off")
    assert isinstance(ended, TurnEnded) and ended.interrupted
    assert (ended.transcript, ended.reply, ended.heard) == ("", "", "")
    assert ReplyDelta not in rig.kinds() and rig.output.enqueued == []
    assert rig.log.calls == [] and rig.engine.conversation.exchanges == []


@pytest.mark.parametrize(
    "rig",
    [(FakeChat(["Half", " a reply"], fail=ModelFileError("The model broke", "Reload it.")), FakeEars(EARS))],
    indirect=True,
)
def test_an_early_reply_that_fails_is_asked_again_at_release_and_fails_once(
    rig: Rig, speech: np.ndarray
) -> None:
    rig.engine.press()
    rig.mic.speak(np.concatenate([speech, QUIET]))
    wait_until(lambda: len(rig.chat.requests) == 1, "the early request")
    time.sleep(0.05)
    assert rig.kinds().count(TurnEnded) == 0  # the user has not asked yet: nothing to report
    rig.engine.release()
    (ended,) = rig.recorder.wait_for(TurnEnded)
    assert isinstance(ended, TurnEnded)
    assert len(rig.chat.requests) == 2
    assert ended.error == "The model broke. Reload it."
    assert "".join(e.text for e in rig.recorder.of(ReplyDelta)) == "Half a reply"  # type: ignore[attr-defined]


def test_typed_turns_and_an_early_reply_switched_off_are_asked_once_at_release(speech: np.ndarray) -> None:
    chat, ears = FakeChat(TOKENS), FakeEars(EARS)
    recorder, mic = Recorder(), FakeMic(preroll=np.zeros(PREROLL, np.float32))
    engine = Engine(
        Stages(ears, chat, FakeVoice()),
        FakeOutput(),
        recorder,
        Conversation.with_persona(""),
        EngineConfig(early_reply=False),
        mic,
    )
    engine.start()
    try:
        engine.press()
        mic.speak(np.concatenate([speech, QUIET]))
        ears.wait_until_heard(len(speech) + len(QUIET) + PREROLL)
        time.sleep(0.2)
        assert chat.requests == []
        engine.release()
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded) and ended.transcript == FIRST and len(chat.requests) == 1
    assert ended.timings_ms["at_speculated"] is None
