"""The turn runner with fake stages: order, overlap, partial replies and failures."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from desktop_assistant.core.conversation import Conversation, default_persona
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.turn_runner import TurnInput, TurnRunner
from desktop_assistant.errors import LLMError, ModelFileError, NoSpeechError, ReplyInterrupted
from desktop_assistant.llm.base import ChatMessage
from desktop_assistant.stt.base import Transcript

TOKENS = [
    "Sure",
    ",",
    " the",
    " **answer**",
    " is",
    " forty",
    "-two",
    ".",
    " See",
    " [the docs](http://x.y)",
    ".",
]


class FakeChat:
    """Streams scripted tokens; can wait for a gate before the rest of the reply, or fail."""

    def __init__(
        self,
        tokens: list[str],
        gate_after: int | None = None,
        fail: Exception | None = None,
        ready_error: Exception | None = None,
    ) -> None:
        self.tokens, self.gate_after, self.fail, self.ready_error = tokens, gate_after, fail, ready_error
        self.gate = threading.Event()
        self.requests: list[list[ChatMessage]] = []
        self.ready_checks: list[bool] = []

    @property
    def model(self) -> str:
        return "fake"

    def check_ready(self, needs_vision: bool) -> None:
        self.ready_checks.append(needs_vision)
        if self.ready_error:
            raise self.ready_error

    def stream_reply(
        self, messages: Sequence[ChatMessage], cancel: threading.Event | None = None
    ) -> Iterator[str]:
        self.requests.append(list(messages))
        for i, token in enumerate(self.tokens):
            if i == self.gate_after:
                assert self.gate.wait(5), "the first chunk was never spoken while the reply was streaming"
            yield token
        if self.fail:
            raise self.fail


class FakeVoice:
    """Returns 100 samples per character and records what it was asked to say."""

    def __init__(self, spoke: threading.Event | None = None, fail_on: str | None = None) -> None:
        self.said: list[str] = []
        self.spoke, self.fail_on = spoke, fail_on

    @property
    def sample_rate(self) -> int:
        return 24_000

    def synthesize(self, text: str) -> np.ndarray:
        if self.fail_on and self.fail_on in text:
            raise ModelFileError("Kokoro failed", "Reimport it.")
        self.said.append(text)
        if self.spoke:
            self.spoke.set()
        return np.full(100 * len(text), 0.1, np.float32)


class FakeEars:
    def __init__(self, text: str) -> None:
        self.text, self.thread = text, ""

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.thread = threading.current_thread().name
        return Transcript(self.text, "en", len(audio) / 16_000)


def runner(chat: FakeChat, voice: FakeVoice, ears: FakeEars | None = None) -> TurnRunner:
    return TurnRunner(chat, voice, Conversation.with_persona(""), ears, first_chunk_min_words=3)


def test_a_spoken_turn_hears_thinks_and_speaks_in_chunks() -> None:
    chat, voice, ears = FakeChat(TOKENS), FakeVoice(), FakeEars("What is the answer?")
    result = runner(chat, voice, ears).run(TurnInput(audio=np.zeros(16_000, np.float32)))
    assert result.transcript == "What is the answer?"
    assert result.reply == "Sure, the **answer** is forty-two. See [the docs](http://x.y)."
    assert voice.said == ["Sure, the answer is forty-two.", "See the docs."]
    assert result.chunks == tuple(voice.said)
    assert result.spoken == "Sure, the answer is forty-two. See the docs."
    # Each chunk's samples, then a pause: 0.25 s after a sentence, 0.1 s after a clause.
    assert len(result.audio) == 100 * sum(len(t) for t in voice.said) + 2 * 6000
    assert ears.thread.startswith("stt")
    assert result.error is None and not result.incomplete
    timings = result.timings_ms
    assert set(timings) == {"stt", "llm_first_token", "tts_first_chunk", "first_audio", "llm_total", "total"}
    assert all(v is not None and v >= 0 for v in timings.values())
    assert timings["first_audio"] <= timings["total"]  # type: ignore[operator]


def test_the_first_chunk_is_spoken_while_the_reply_is_still_streaming() -> None:
    spoke = threading.Event()
    chat = FakeChat(TOKENS, gate_after=9)
    chat.gate = spoke
    voice = FakeVoice(spoke=spoke)
    result = runner(chat, voice).run(TurnInput(text="hi"))
    assert voice.said[0] == "Sure, the answer is forty-two."
    assert result.error is None


def test_system_prompt_history_and_images_reach_the_model() -> None:
    chat, voice = FakeChat(["Fine", " thanks", " for", " asking."]), FakeVoice()
    run = runner(chat, voice)
    run.run(TurnInput(text="How are you?"))
    run.run(TurnInput(text="And now?"))
    first, second = chat.requests
    assert first[0] == ChatMessage("system", default_persona())
    assert second[0] == first[0]
    assert [(m.role, m.content) for m in second[1:]] == [
        ("user", "How are you?"),
        ("assistant", "Fine thanks for asking."),
        ("user", "And now?"),
    ]
    assert chat.ready_checks == [False, False]


def test_a_cut_stream_keeps_and_speaks_what_arrived() -> None:
    cut = ReplyInterrupted("The reply was cut off", "Ask again.", partial="The first part is here. And")
    chat = FakeChat(["The first part", " is here.", " And"], fail=cut)
    voice = FakeVoice()
    result = runner(chat, voice).run(TurnInput(text="Tell me"))
    assert result.incomplete and result.error is cut
    assert result.reply == "The first part is here. And"
    assert voice.said == ["The first part is here.", "And"]


def test_a_dead_server_keeps_the_transcript() -> None:
    down = LLMError("Cannot reach Ollama at http://127.0.0.1:9", "Start it with 'ollama serve'.")
    chat, voice = FakeChat(["never"], ready_error=down), FakeVoice()
    result = runner(chat, voice, FakeEars("Remember the milk")).run(
        TurnInput(audio=np.zeros(8000, np.float32))
    )
    assert result.transcript == "Remember the milk"
    assert result.error is down
    assert result.reply == "" and voice.said == [] and chat.requests == []


def test_whisper_hearing_nothing_ends_the_turn_before_the_llm() -> None:
    chat = FakeChat(["never"])
    with pytest.raises(NoSpeechError, match="No speech detected"):
        runner(chat, FakeVoice(), FakeEars("  ")).run(TurnInput(audio=np.zeros(8000, np.float32)))
    assert chat.requests == []


def test_a_tts_failure_is_reported_and_the_reply_kept() -> None:
    chat, voice = FakeChat(["One two three.", " Four five six."]), FakeVoice(fail_on="Four")
    result = runner(chat, voice).run(TurnInput(text="count"))
    assert isinstance(result.error, ModelFileError)
    assert result.reply == "One two three. Four five six."
    assert result.chunks == ("One two three.",)


def test_cancel_stops_speaking_and_leaves_no_thread() -> None:
    turn = Turn()
    turn.cancel.set()
    before = threading.active_count()
    result = runner(FakeChat(TOKENS), FakeVoice()).run(TurnInput(text="hi"), turn)
    assert result.chunks == ()
    assert threading.active_count() == before


def test_a_clause_gets_a_short_pause_and_a_sentence_a_longer_one() -> None:
    voice = FakeVoice()
    result = runner(FakeChat(["Well then my friend,", " it is", " done."]), voice).run(TurnInput(text="so?"))
    assert voice.said == ["Well then my friend,", "it is done."]
    first = 100 * len(voice.said[0])
    assert len(result.audio) == first + 2_400 + 100 * len(voice.said[1]) + 6_000
    assert not result.audio[first : first + 2_400].any()
