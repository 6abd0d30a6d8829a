"""Warm-up: one tiny inference per model, and an Ollama load with exactly the real turns' options."""

from __future__ import annotations

import numpy as np

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, Stages
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.stt.base import Transcript
from tests.core.fakes import FakeOutput, FakeVoice, Recorder


class CountingEars:
    def __init__(self) -> None:
        self.heard: list[int] = []

    def transcribe(self, audio: np.ndarray) -> Transcript:
        self.heard.append(len(audio))
        return Transcript("", "en", len(audio) / 16_000)


def test_warm_up_loads_every_model_with_the_turns_options(ollama_server: OllamaTestServer) -> None:
    ears, voice, recorder = CountingEars(), FakeVoice(), Recorder()
    chat = OllamaChat(LlmSettings(host=ollama_server.url, keep_alive="1h", num_ctx=8192))
    engine = Engine(Stages(ears, chat, voice), FakeOutput(), recorder, Conversation.with_persona(""))
    try:
        assert engine.warm_up() is None
        engine.start()
        engine.ask_text("Hello?")
        recorder.wait_for(TurnEnded)
    finally:
        engine.close()
        chat.close()
    assert ears.heard == [8_000]
    assert voice.said[0] == "Hello."
    load, turn = ollama_server.requests_to("/api/chat")
    assert load.body["messages"] == []
    for key in ("model", "keep_alive", "options"):
        assert load.body[key] == turn.body[key], key
    assert turn.body["keep_alive"] == "1h" and turn.body["options"]["num_ctx"] == 8192


def test_warm_up_reports_a_dead_server_without_failing() -> None:
    chat = OllamaChat(LlmSettings(host="http://127.0.0.1:9"))
    engine = Engine(
        Stages(CountingEars(), chat, FakeVoice()), FakeOutput(), Recorder(), Conversation.with_persona("")
    )
    error = engine.warm_up()
    chat.close()
    assert error is not None and error.line().startswith("Cannot reach Ollama at http://127.0.0.1:9")
