"""Listing an Ollama server's models and which see images: the real client against the loopback server."""

from __future__ import annotations

import socket

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.bench.ollama_bodies import MODEL_SIZE
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError
from desktop_assistant.llm.catalog import ModelInfo, list_models
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.llm.ollama_host import ollama_start_hint

pytestmark = pytest.mark.ollama


def test_models_are_listed_by_name_with_their_vision_and_size(ollama_server: OllamaTestServer) -> None:
    ollama_server.add_model("llama3.2:1b", vision=False)
    ollama_server.add_model("llava", vision=True)
    models = list_models(LlmSettings(host=ollama_server.url))
    assert models == [
        ModelInfo("gemma3:4b", True, MODEL_SIZE),
        ModelInfo("llama3.2:1b", False, MODEL_SIZE),
        ModelInfo("llava:latest", True, MODEL_SIZE),
    ]
    assert [r.body["model"] for r in ollama_server.requests_to("/api/show")] == [m.name for m in models]


def test_the_api_key_is_sent_as_a_bearer_token(ollama_server: OllamaTestServer) -> None:
    list_models(LlmSettings(host=ollama_server.url), api_key="sk-1")
    chat = OllamaChat(LlmSettings(host=ollama_server.url), api_key="sk-1")
    try:
        chat.check_ready(needs_vision=True)
    finally:
        chat.close()
    assert {r.headers.get("authorization") for r in ollama_server.requests} == {"Bearer sk-1"}


def test_without_a_key_no_authorization_is_sent(
    ollama_server: OllamaTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    list_models(LlmSettings(host=ollama_server.url))
    assert all("authorization" not in r.headers for r in ollama_server.requests)


def test_a_refused_key_names_the_setting(ollama_server: OllamaTestServer) -> None:
    ollama_server.http_error = (401, "unauthorized")
    chat = OllamaChat(LlmSettings(host=ollama_server.url), api_key="sk-wrong")
    try:
        with pytest.raises(LLMError) as caught:
            list(chat.stream_reply([]))
    finally:
        chat.close()
    assert caught.value.line() == (
        f"Ollama at {ollama_server.url} refused the request (401: unauthorized). "
        "Check the API key in the settings (Assistant page)."
    )


def test_a_server_that_is_down_is_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    with pytest.raises(LLMError) as caught:
        list_models(LlmSettings(host=url))
    assert caught.value.line() == f"Cannot reach Ollama at {url}. {ollama_start_hint()}"
