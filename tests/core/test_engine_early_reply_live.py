"""The early reply through the real classes: the JFK recording plays into the real ``Microphone`` in
real time, real Whisper hears it, the real ``ollama`` client asks the loopback server, real Kokoro
speaks into the real ``Player`` (a real-time sink). Scripted timelines: the user goes quiet and lets go
(kept), pauses and goes on (replaced), and barges in on the reply then stops the next early one.

The recording's words (Whisper's timestamps): "And so my fellow Americans" 0 to 2.3 s, "ask not what your
country can do for you" 3.3 to 7.6 s, "ask what you can do for your country" 8.1 to 10.5 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pytest

from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.files import read_audio
from desktop_assistant.audio.playback import Player
from desktop_assistant.audio.sources import ClipSource
from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.core.engine import Engine, Stages
from desktop_assistant.core.events import ReplyDelta, TranscriptReady, TurnEnded
from desktop_assistant.core.turn import Turn
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer
from tests.core.fakes import Recorder, hearing
from tests.models_home import speech_file, word_error_rate

pytestmark = [pytest.mark.model, pytest.mark.ollama]

REPLY = "Those are the words of John F. Kennedy. He said them in 1961."
TURN_TIMEOUT_S = 30.0
FIRST = "and so my fellow americans"
FIRST_TWO = "and so my fellow americans ask not what your country can do for you"


@dataclass
class Live:
    engine: Engine
    recorder: Recorder
    player: Player
    server: OllamaTestServer
    start: float

    def at(self, seconds: float) -> float:
        """Wait until the recording has played ``seconds``; returns the clock then."""
        time.sleep(max(0.0, self.start + seconds - time.perf_counter()))
        return time.perf_counter()

    def ended(self, turn: Turn) -> TurnEnded:
        with self.recorder.changed:
            assert self.recorder.changed.wait_for(lambda: self._ended(turn) is not None, TURN_TIMEOUT_S)
        ended = self._ended(turn)
        assert ended is not None
        return ended

    def _ended(self, turn: Turn) -> TurnEnded | None:
        found = [e for e in self.recorder.events if isinstance(e, TurnEnded) and e.turn_id == turn.id]
        return found[0] if found else None

    def chats(self) -> list[str]:
        """The last user message of every chat the server was asked, in order."""
        return [s.request.body["messages"][-1]["content"] for s in self.server.chat_streams]


@pytest.fixture
def live(
    request: pytest.FixtureRequest,
    transcriber: FasterWhisperTranscriber,
    synthesizer: KokoroSynthesizer,
    ollama_server: OllamaTestServer,
) -> Iterator[Live]:
    """The rig, the microphone hearing the recording from now on (its first ``request.param`` seconds
    when the test names them)."""
    ollama_server.reply = REPLY
    ollama_server.first_token_delay_s = 0.3
    ollama_server.tokens_per_s = 30.0
    speech = read_audio(speech_file(), 16_000)
    seconds = getattr(request, "param", None)
    if seconds is not None:
        speech = speech[: int(seconds * 16_000)]
    microphone = Microphone(source=ClipSource(np.concatenate([speech, np.zeros(4 * 16_000, np.float32)])))
    chat = OllamaChat(LlmSettings(host=ollama_server.url, model="gemma3:4b"))
    player = Player("", synthesizer.sample_rate, 10, realtime_sink=True)
    player.start()
    try:
        with hearing(Stages(transcriber, chat, synthesizer), player, microphone) as (engine, recorder):
            yield Live(engine, recorder, player, ollama_server, time.perf_counter())
    finally:
        player.close()
        chat.close()


def words(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


@pytest.mark.parametrize("live", [2.6], indirect=True)
def test_quiet_with_the_key_held_the_reply_is_asked_early_and_kept_at_release(live: Live) -> None:
    turn = live.engine.press()
    assert turn is not None
    live.at(2.6)  # "And so my fellow Americans", then the user is quiet ...
    assert live.server.wait_for(lambda s: len(s.chat_streams) == 1, 3.0)
    live.at(4.6)  # ... and lets go two seconds later
    released = time.perf_counter()
    live.engine.release()
    ended = live.ended(turn)

    assert ended.error is None and word_error_rate(FIRST, words(ended.transcript)) <= 0.4, ended
    assert ended.reply == REPLY
    (stream,) = live.server.chat_streams  # asked once: the early request was kept
    assert stream.request.received_at < released and stream.outcome == "completed"
    assert live.chats() == [ended.transcript]
    first_sound = live.player.first_sound_at(turn.id)
    assert first_sound is not None and first_sound >= released  # nothing played before the release
    assert ended.timings_ms["at_speculation_kept"] is not None


def test_a_pause_then_more_words_replaces_the_early_reply(live: Live) -> None:
    turn = live.engine.press()
    assert turn is not None
    live.at(3.2)  # quiet after "Americans": the early request goes out ...
    assert live.server.wait_for(lambda s: len(s.chat_streams) >= 1, 2.0)
    released = live.at(7.9)  # ... but "ask not what your country can do for you" follows
    live.engine.release()
    ended = live.ended(turn)

    assert ended.error is None and word_error_rate(FIRST_TWO, words(ended.transcript)) <= 0.2, ended
    early, *_, final = live.server.chat_streams
    assert word_error_rate(FIRST, words(early.request.body["messages"][-1]["content"])) <= 0.4
    assert early.outcome == "abandoned" and early.request.hung_up_at is not None
    assert early.request.hung_up_at < released  # dropped as soon as the speech went on
    assert words(final.request.body["messages"][-1]["content"]) == words(ended.transcript)
    assert [words(e.text) for e in live.recorder.of(TranscriptReady)] == [words(ended.transcript)]  # type: ignore[attr-defined]
    assert "".join(e.text for e in live.recorder.of(ReplyDelta)) == REPLY  # type: ignore[attr-defined]
    first_sound = live.player.first_sound_at(turn.id)
    assert first_sound is not None and first_sound >= released


def test_a_barge_in_then_stop_cuts_off_the_next_early_reply(live: Live) -> None:
    first = live.engine.press()
    assert first is not None
    live.at(3.0)
    live.engine.release()
    with live.recorder.changed:
        assert live.recorder.changed.wait_for(lambda: live.player.first_sound_at(first.id), TURN_TIMEOUT_S)
    second = live.engine.press()  # barge-in on the reply, and the user asks on over "ask not ..."
    assert second is not None
    assert live.ended(first).interrupted
    live.at(11.0)  # quiet after "... for your country": an early request for all of it goes out
    # (the pause before "ask what" may have sent, and dropped, one for the words before it)
    assert live.server.wait_for(lambda s: words(live.chats()[-1]).endswith("for your country"), 3.0)
    live.engine.cancel()  # Stop, with the key still held
    ended = live.ended(second)
    _, *early = live.server.chat_streams
    assert live.server.wait_for(lambda s: all(e.outcome == "abandoned" for e in early), 2.0)

    assert ended.interrupted and (ended.transcript, ended.reply) == ("", "")
    assert live.player.first_sound_at(second.id) is None
    assert live.engine.conversation.exchanges[-1].question == live.ended(first).transcript
