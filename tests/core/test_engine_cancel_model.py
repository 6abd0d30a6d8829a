"""A cancel reaches a model that has not answered yet: the engine over the real ``ollama`` client and the
loopback server, whose first reply would take its first token 10 s after the question."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.core.conversation import NOTHING_HEARD, Conversation
from desktop_assistant.core.engine import Engine, Stages
from desktop_assistant.core.events import State, TurnEnded
from desktop_assistant.llm.ollama_chat import OllamaChat
from tests.core.fakes import WAIT, FakeEars, FakeOutput, FakeVoice, Recorder

pytestmark = pytest.mark.ollama

REPLY = "Paris is the capital of France."


@pytest.fixture
def engine(ollama_server: OllamaTestServer) -> Iterator[tuple[Engine, Recorder]]:
    ollama_server.reply = REPLY
    ollama_server.first_token_delays = [10.0]
    chat = OllamaChat(LlmSettings(host=ollama_server.url, model="gemma3:4b"))
    recorder = Recorder()
    engine = Engine(
        Stages(FakeEars({0: ""}), chat, FakeVoice()), FakeOutput(), recorder, Conversation.with_persona("")
    )
    engine.start()
    try:
        yield engine, recorder
    finally:
        engine.close()
        chat.close()


@pytest.mark.parametrize("how", ["stop", "barge-in"])
def test_a_cancel_before_the_first_token_frees_the_model_stage_at_once(
    engine: tuple[Engine, Recorder], ollama_server: OllamaTestServer, how: str
) -> None:
    engine_, recorder = engine
    engine_.ask_text("What is the capital of France?")
    assert ollama_server.wait_for(lambda s: len(s.chat_streams) == 1, WAIT)
    time.sleep(1.0)  # the model is "loading": no token for 10 s
    if how == "stop":
        engine_.cancel()
        recorder.wait_for(TurnEnded)
        assert engine_.state is State.IDLE
    asked = time.perf_counter()
    second = engine_.ask_text("And of Italy?")  # a typed question's transcript is ready at once
    assert ollama_server.wait_for(lambda s: len(s.requests_to("/api/chat")) == 2, WAIT)
    ended = recorder.wait_for(TurnEnded, 2)
    first_stream, second_stream = ollama_server.chat_streams
    request = second_stream.request

    assert request.received_at - asked < 0.1, "the next request waited behind the abandoned one"
    assert first_stream.outcome == "abandoned"
    hung_up = first_stream.request.hung_up_at
    assert hung_up is not None and hung_up < request.received_at + 0.1
    assert isinstance(ended[-1], TurnEnded) and ended[-1].turn_id == second.id
    assert (ended[-1].reply, ended[-1].error) == (REPLY, None)
    assert isinstance(ended[0], TurnEnded) and ended[0].interrupted and ended[0].reply == ""
    # The abandoned question is in the context as an answer nobody heard.
    history = [m["content"] for m in request.body["messages"][1:]]
    assert history == ["What is the capital of France?", NOTHING_HEARD, "And of Italy?"]
