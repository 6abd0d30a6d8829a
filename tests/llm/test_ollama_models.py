"""Pulling and deleting models with the real ``ollama`` client against the loopback Ollama server."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import LLMError
from desktop_assistant.llm.catalog import list_models
from desktop_assistant.llm.ollama_host import ollama_start_hint
from desktop_assistant.llm.ollama_models import delete_model, pull_model

pytestmark = pytest.mark.ollama


@dataclass
class RecordingProgress:
    """A ``Progress`` that records its calls, and can set a token at its first ``begin``."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    cancel_at_begin: CancelToken | None = None

    def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
        self.calls.append(("begin", label, str(total_bytes), str(done_bytes)))
        if self.cancel_at_begin is not None:
            self.cancel_at_begin.set()

    def advance(self, n_bytes: int) -> None:
        self.calls.append(("advance", str(n_bytes)))

    def end(self) -> None:
        self.calls.append(("end",))

    def done_bytes(self) -> int:
        """The bytes done by the calls so far: the latest begin's, plus the advances after it."""
        done = 0
        for call in self.calls:
            if call[0] == "begin":
                done = int(call[3])
            elif call[0] == "advance":
                done += int(call[1])
        return done


def test_a_pull_sums_its_layers_then_loads_the_model(ollama_server: OllamaTestServer) -> None:
    progress = RecordingProgress()
    settings = LlmSettings(host=ollama_server.url)
    pull_model(settings, "llama3.2:1b", progress)
    begins = [call for call in progress.calls if call[0] == "begin"]
    assert {call[1] for call in begins} == {"llama3.2:1b"}
    totals = [int(call[2]) for call in begins]
    assert len(totals) == 3 and totals == sorted(totals)
    assert progress.calls[-1] == ("end",)
    assert progress.done_bytes() == totals[-1]
    assert all(int(call[1]) > 0 for call in progress.calls if call[0] == "advance")
    assert "llama3.2:1b" in [m.name for m in list_models(settings)]
    loads = [r.body for r in ollama_server.requests_to("/api/chat")]
    assert [(body["model"], body["messages"]) for body in loads] == [("llama3.2:1b", [])]


def test_a_cancelled_pull_hangs_up_at_once_and_loads_nothing(ollama_server: OllamaTestServer) -> None:
    # The second progress line would come a minute later: only the hang-up can end this pull.
    ollama_server.pull_line_delay_s = 60.0
    cancel = CancelToken()
    progress = RecordingProgress(cancel_at_begin=cancel)
    with pytest.raises(LLMError) as caught:
        pull_model(LlmSettings(host=ollama_server.url), "llama3.2:1b", progress, cancel)
    assert caught.value.line() == (
        "The pull of 'llama3.2:1b' was cancelled. Pull it again to go on where it stopped."
    )
    assert ollama_server.wait_for(lambda s: s.requests_to("/api/pull")[0].hung_up_at is not None)
    assert ("end",) not in progress.calls
    assert ollama_server.requests_to("/api/chat") == []
    assert "llama3.2:1b" not in ollama_server.models


def test_an_unknown_model_fails_with_the_servers_reason(ollama_server: OllamaTestServer) -> None:
    with pytest.raises(LLMError) as caught:
        pull_model(LlmSettings(host=ollama_server.url), "nosuch:7b", RecordingProgress())
    assert caught.value.line() == (
        f"Ollama at {ollama_server.url} could not pull 'nosuch:7b': pull model manifest: file does not "
        "exist. Check the name at https://ollama.com/library (e.g. gemma3:4b) and the server's disk space."
    )


def test_a_dead_server_says_how_to_start_ollama() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    for attempt in (
        lambda: pull_model(LlmSettings(host=url), "gemma3:4b", RecordingProgress()),
        lambda: delete_model(LlmSettings(host=url), "gemma3:4b"),
    ):
        with pytest.raises(LLMError) as caught:
            attempt()
        assert caught.value.line() == f"Cannot reach Ollama at {url}. {ollama_start_hint()}"


def test_delete_removes_the_model_and_an_unknown_one_is_one_line(ollama_server: OllamaTestServer) -> None:
    settings = LlmSettings(host=ollama_server.url)
    delete_model(settings, "gemma3:4b", api_key="sk-test")
    assert list_models(settings) == []
    with pytest.raises(LLMError) as caught:
        delete_model(settings, "gemma3:4b")
    assert caught.value.line() == (
        f"Model 'gemma3:4b' is not on {ollama_server.url}. Refresh the model list: it may be gone already."
    )
    assert ollama_server.requests_to("/api/delete")[0].headers["authorization"] == "Bearer sk-test"
