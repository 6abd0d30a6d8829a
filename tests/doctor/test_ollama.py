"""The Ollama checks against the loopback Ollama server, through the real ollama client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.doctor.ollama import ollama_checks
from desktop_assistant.llm.ollama_host import ollama_start_hint

pytestmark = pytest.mark.ollama


def lines(server_url: str, model: str) -> list[str]:
    return [check.line() for check in ollama_checks(LlmSettings(host=server_url, model=model), None)]


@pytest.fixture
def server() -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models={"gemma3:4b": True, "llama3.2:1b": False}) as running:
        yield running


def test_a_vision_model_passes_all_three(server: OllamaTestServer) -> None:
    assert lines(server.url, "gemma3:4b") == [
        f"✓ Ollama: reachable at {server.url} (2 models)",
        "✓ Ollama model: 'gemma3:4b' is on the server",
        "✓ Images: 'gemma3:4b' sees images",
    ]
    assert [request.path for request in server.requests] == ["/api/tags", "/api/show"]
    assert server.requests[1].body["model"] == "gemma3:4b"


def test_a_text_only_model_is_told_to_use_a_vision_model(server: OllamaTestServer) -> None:
    assert lines(server.url, "llama3.2:1b")[1:] == [
        "✓ Ollama model: 'llama3.2:1b' is on the server",
        "✗ Images: 'llama3.2:1b' is text-only: it cannot see images"
        " — fix: ollama pull gemma3:4b, then desktop-assistant config set llm.model gemma3:4b",
    ]


def test_a_missing_model_is_pulled_and_a_name_without_a_tag_means_latest(server: OllamaTestServer) -> None:
    assert lines(server.url, "qwen2.5vl:3b")[1:] == [
        f"✗ Ollama model: {server.url} does not have 'qwen2.5vl:3b' — fix: ollama pull qwen2.5vl:3b",
        "✗ Images: not checked: the model is not there",
    ]
    assert lines(server.url, "gemma3")[1].endswith("fix: ollama pull gemma3")
    server.models["gemma3:latest"] = True
    assert lines(server.url, "gemma3")[1] == "✓ Ollama model: 'gemma3' is on the server"


def test_a_dead_server_gets_the_start_hint() -> None:
    with OllamaTestServer() as stopped:
        url = stopped.url
    reached, model, images = ollama_checks(LlmSettings(host=url, model="gemma3:4b"), None)
    assert (reached.ok, reached.detail) == (False, f"Cannot reach Ollama at {url}")
    assert reached.fix == ollama_start_hint().rstrip(".")
    assert model.line() == "✗ Ollama model: 'gemma3:4b' not checked: Ollama is not reachable"
    assert images.line() == "✗ Images: not checked: Ollama is not reachable"


def test_an_address_that_is_not_this_machine_over_http_is_refused_without_asking() -> None:
    reached, *_ = ollama_checks(LlmSettings(host="http://192.0.2.1:11434", model="gemma3:4b"), None)
    assert not reached.ok and "is not this machine and the connection is not encrypted" in reached.detail
    assert reached.fix.startswith("Use an https:// address")
