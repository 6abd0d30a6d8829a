"""The speech guard in the engine: what reaches the speaker is screened, the reply itself is kept whole."""

from __future__ import annotations

from desktop_assistant.core.engine import EngineConfig
from desktop_assistant.core.events import ChunkSynthesized, ReplyDelta, TurnEnded
from desktop_assistant.text.guard import SpeechGuard
from tests.core.test_engine import FakeChat, FakeVoice, Recorder, make_engine


def run_turn(tokens: list[str], guard: SpeechGuard) -> tuple[Recorder, FakeVoice, TurnEnded]:
    """One typed turn over ``tokens`` with ``guard``; the events, what the voice said, and the turn's end."""
    recorder, voice = Recorder(), FakeVoice()
    engine = make_engine(recorder, FakeChat(tokens), voice, config=EngineConfig(guard=guard))
    try:
        engine.ask_text("Tell me")
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()
    assert isinstance(ended, TurnEnded)
    return recorder, voice, ended


def chunks_synthesized(recorder: Recorder) -> list[str]:
    """The texts of the chunks that went to the speaker, in order."""
    return [e.text for e in recorder.events if isinstance(e, ChunkSynthesized)]


def test_an_email_address_is_spoken_as_redacted_and_the_reply_keeps_it() -> None:
    tokens = ["Write to", " bob.smith@", "example.com", " today.", " Thanks!"]
    recorder, voice, ended = run_turn(tokens, SpeechGuard())
    assert voice.said == ["Write to redacted today.", "Thanks!"]
    assert chunks_synthesized(recorder) == voice.said
    assert ended.reply == "Write to bob.smith@example.com today. Thanks!"
    assert ended.spoken == ended.heard == "Write to redacted today. Thanks!"
    assert not ended.blocked and ended.error is None


def test_a_block_phrase_mid_reply_stops_the_later_chunks() -> None:
    tokens = ["The first part is fine.", " Then the Secret", " plan appears.", " And more", " after it."]
    recorder, voice, ended = run_turn(tokens, SpeechGuard(block_phrases=["secret plan"]))
    assert voice.said == ["The first part", "is fine."]
    assert chunks_synthesized(recorder) == voice.said
    assert "".join(e.text for e in recorder.events if isinstance(e, ReplyDelta)) == "".join(tokens)
    assert ended.reply == "".join(tokens)
    assert ended.spoken == ended.heard == "The first part is fine."
    assert ended.blocked and not ended.interrupted and ended.error is None


def test_a_reply_blocked_from_its_first_chunk_ends_in_silence() -> None:
    recorder, voice, ended = run_turn(["Secret plan:", " step one."], SpeechGuard(["secret plan"]))
    assert voice.said == [] and chunks_synthesized(recorder) == []
    assert ended.blocked and ended.spoken == "" and ended.reply == "Secret plan: step one."
