"""``llm.backend = auto``: the built-in model answers while no Ollama does, Ollama from the turn it is up.

The real ``ollama`` client probes a loopback port where the test server starts and stops; the built-in
model is the packaged SmolLM2 run by llama.cpp.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlparse

import pytest

from desktop_assistant.app import Context, open_chat
from desktop_assistant.bench.ollama_api import DEFAULT_REPLY, OllamaTestServer
from desktop_assistant.config.settings import LlmSettings, Settings
from desktop_assistant.config.store import AppPaths
from desktop_assistant.errors import LLMError, ModelFileError
from desktop_assistant.llm.backends import PROBE_TIMEOUT_S, AutoChat, UnavailableChat
from desktop_assistant.llm.base import ChatMessage
from desktop_assistant.llm.llama_cpp_chat import LlamaCppChat
from desktop_assistant.llm.ollama_chat import OllamaChat

pytestmark = [pytest.mark.model, pytest.mark.ollama]

QUESTION = [
    ChatMessage("system", "You are a helpful assistant. Answer in one short sentence."),
    ChatMessage("user", "What is the capital of France?"),
]


@pytest.fixture
def auto_chat(closed_port_url: str, smollm2_gguf: Path) -> Iterator[AutoChat]:
    """Auto over an Ollama URL nothing listens on (yet) and the packaged SmolLM2."""
    settings = LlmSettings(host=closed_port_url, model="gemma3:4b", temperature=0.0)
    chat = AutoChat(
        OllamaChat(settings),
        OllamaChat(replace(settings, timeout_s=PROBE_TIMEOUT_S)),
        LlamaCppChat(settings, smollm2_gguf),
    )
    yield chat
    chat.close()


def reply(chat: AutoChat) -> tuple[str, str, str]:
    """Who answered the next request, and what it said."""
    answerer = chat.answerer()
    return answerer.backend, answerer.model, "".join(answerer.stream_reply(QUESTION))


def test_no_server_the_builtin_model_answers_then_ollama_from_the_turn_it_is_up(
    auto_chat: AutoChat, closed_port_url: str
) -> None:
    backend, model, text = reply(auto_chat)
    assert (backend, model) == ("builtin", "SmolLM2-135M-Instruct.Q4_1")
    assert "Paris" in text
    assert (auto_chat.backend, auto_chat.model) == ("builtin", "SmolLM2-135M-Instruct.Q4_1")

    with OllamaTestServer(port=urlparse(closed_port_url).port or 0) as server:
        assert reply(auto_chat) == ("ollama", "gemma3:4b", DEFAULT_REPLY)
        assert [r.path for r in server.requests] == ["/api/show", "/api/chat"]
        assert (auto_chat.backend, auto_chat.model) == ("ollama", "gemma3:4b")

    assert reply(auto_chat)[:2] == ("builtin", "SmolLM2-135M-Instruct.Q4_1")


def test_a_server_without_the_model_leaves_the_answer_to_the_builtin_model(
    auto_chat: AutoChat, closed_port_url: str
) -> None:
    with OllamaTestServer(port=urlparse(closed_port_url).port or 0, models={"llama3.2:1b": False}):
        backend, _, text = reply(auto_chat)
    assert backend == "builtin"
    assert "Paris" in text


def test_auto_warms_up_the_model_that_would_answer(auto_chat: AutoChat, closed_port_url: str) -> None:
    auto_chat.load()
    assert auto_chat.backend == "builtin"
    with OllamaTestServer(port=urlparse(closed_port_url).port or 0) as server:
        auto_chat.load()
        chats = server.requests_to("/api/chat")
    assert [c.body["messages"] for c in chats] == [[]]  # Ollama's load: an empty chat


def test_an_unavailable_builtin_model_answers_every_call_with_its_line() -> None:
    chat = UnavailableChat(ModelFileError("No built-in model is imported", "Run 'models install-packaged'."))
    assert (chat.model, chat.backend, chat.answerer()) == ("built-in model", "builtin", chat)
    for call in (chat.load, lambda: chat.check_ready(False), lambda: list(chat.stream_reply(QUESTION))):
        with pytest.raises(Exception) as caught:
            call()
        assert str(caught.value) == "No built-in model is imported. Run 'models install-packaged'."


def context_for(tmp_path: Path, **llm: str) -> Context:
    """A home with no models imported and these ``llm`` settings."""
    paths = AppPaths.resolve({"DESKTOP_ASSISTANT_HOME": str(tmp_path)})
    return Context(paths, Settings(llm=LlmSettings(**llm)))  # type: ignore[arg-type]


def test_the_settings_choose_who_answers(tmp_path: Path, smollm2_gguf: Path) -> None:
    made = [
        open_chat(context_for(tmp_path, backend="ollama")),
        open_chat(context_for(tmp_path, backend="builtin", builtin_model=str(smollm2_gguf))),
        open_chat(context_for(tmp_path, backend="auto", builtin_model=str(smollm2_gguf))),
        # auto without a built-in model is Ollama alone, with Ollama's own lines.
        open_chat(context_for(tmp_path, backend="auto")),
        open_chat(context_for(tmp_path, backend="auto"), backend="builtin"),
    ]
    try:
        kinds = [type(chat).__name__ for chat in made]
        assert kinds == ["OllamaChat", "LlamaCppChat", "AutoChat", "OllamaChat", "UnavailableChat"]
        with pytest.raises(LLMError) as caught:
            made[-1].load()
        assert "desktop-assistant models install-packaged" in str(caught.value)
    finally:
        for chat in made:
            chat.close()
