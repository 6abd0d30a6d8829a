"""The loopback Ollama with real completions: ``model_reply`` set to the built-in model's runner over
the packaged SmolLM2 GGUF, spoken to through the real ``ollama`` client, ``OllamaChat`` and ``ask``."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import ollama
import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer, split_tokens
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.llm.base import ChatMessage, TokenCounts
from desktop_assistant.llm.llama_cpp_chat import LlamaCppChat
from desktop_assistant.llm.ollama_chat import OllamaChat
from tests.cli.test_ask import ask
from tests.cli.test_history_cmd import cli, ok

pytestmark = [pytest.mark.model, pytest.mark.ollama]

MODEL = "smollm2:135m"
QUESTION = (ChatMessage("user", "What is the capital of France?"),)
LONG = (ChatMessage("user", "Write a long story about a dragon who learns to cook, in many paragraphs."),)


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf: Path) -> Iterator[LlamaCppChat]:
    """The built-in model's runner, greedy (temperature 0) so that its replies repeat; loaded once."""
    chat = LlamaCppChat(LlmSettings(temperature=0.0, num_ctx=2048, builtin_threads=2), smollm2_gguf)
    chat.load()
    yield chat
    chat.close()


@pytest.fixture
def server(smollm2: LlamaCppChat) -> Iterator[OllamaTestServer]:
    with OllamaTestServer(models={MODEL: False}, model_reply=smollm2) as running:
        yield running


def test_a_real_reply_streams_in_many_deltas_with_the_models_counts(
    server: OllamaTestServer, smollm2: LlamaCppChat
) -> None:
    client = ollama.Client(host=server.url)
    lines = list(
        client.chat(model=MODEL, messages=[{"role": "user", "content": QUESTION[0].content}], stream=True)
    )
    deltas = [line.message.content or "" for line in lines[:-1]]
    done = lines[-1]
    assert done.done and all(not line.done for line in lines[:-1])
    assert len(deltas) >= 3 and "Paris" in "".join(deltas)
    # The model's own counts: its tokens, not the scripted server's word count.
    direct: list[TokenCounts] = []
    assert "".join(smollm2.stream_reply(QUESTION, on_counts=direct.append)) == "".join(deltas)
    assert (
        (done.prompt_eval_count, done.eval_count)
        == (direct[0].prompt, direct[0].reply)
        == (
            direct[0].prompt,
            len(deltas),
        )
    )
    assert done.prompt_eval_count != len(split_tokens(QUESTION[0].content)) + 1

    # Through the app's Ollama client, streamed and in one answer alike.
    counts: list[TokenCounts] = []
    chat = OllamaChat(LlmSettings(host=server.url), MODEL)
    try:
        assert list(chat.stream_reply(QUESTION, on_counts=counts.append)) == deltas
    finally:
        chat.close()
    assert counts == direct
    whole = client.chat(
        model=MODEL, messages=[{"role": "user", "content": QUESTION[0].content}], stream=False
    )
    assert whole.message.content == "".join(deltas) and whole.eval_count == len(deltas)
    assert [s.outcome for s in server.chat_streams] == ["completed", "completed"]


def test_a_hang_up_mid_reply_stops_the_generation_and_the_next_chat_answers(server: OllamaTestServer) -> None:
    cancel = threading.Event()
    received: list[str] = []
    chat = OllamaChat(LlmSettings(host=server.url), MODEL)
    try:
        for delta in chat.stream_reply(LONG, cancel):
            received.append(delta)
            if len(received) == 5:
                cancel.set()
        assert len(received) == 5
        assert server.wait_for_streams(timeout=30)
        first = server.chat_streams[0]
        assert first.outcome == "abandoned" and first.request.hung_up_at is not None
        # Generation stopped between tokens: far short of the story, and the model is free again.
        assert first.tokens_sent < 40
        reply = "".join(chat.stream_reply(QUESTION))
    finally:
        chat.close()
    assert "Paris" in reply
    assert server.wait_for_streams(timeout=30)
    assert [s.outcome for s in server.chat_streams] == ["abandoned", "completed"]


@pytest.mark.cli
def test_ask_speaks_the_real_reply_through_the_text_layer(
    model_home: Path, tmp_path: Path, smollm2: LlamaCppChat
) -> None:
    home = tmp_path / "home"
    shutil.copytree(model_home / "config", home / "config")
    (home / "models").symlink_to(model_home / "models")
    ok(cli(home, "config", "set", "text.redact_patterns", "(?i)paris"))
    with OllamaTestServer(models={"gemma3:4b": True}, model_reply=smollm2) as server:
        proc = ask(
            home,
            server.url,
            "--text",
            "What is the capital of France?",
            "--backend",
            "ollama",
            "--json",
            "--no-history",
        )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["backend"], report["error"]) == ("ollama", None)
    assert "Paris" in report["reply"]
    # The guard still applies to a real reply: the word the pattern names is spoken as "redacted".
    spoken = report["spoken"]
    assert spoken and "paris" not in spoken.lower() and "redacted" in spoken
    reply_words = {w.strip(".,!?*:;\"'()").lower() for w in report["reply"].split()}
    spoken_words = {w.strip(".,!?*:;\"'()").lower() for w in spoken.split()} - {"redacted", ""}
    assert spoken_words and spoken_words <= reply_words
    assert server.chat_streams and server.chat_streams[-1].outcome == "completed"


def test_script_mode_with_gguf_serves_the_models_replies(smollm2_gguf: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "desktop_assistant.bench.ollama_api", "--port", "0"]
    command += ["--gguf", str(smollm2_gguf), "--temperature", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().split()[-1]
            with ollama.Client(host=url) as client:
                names = [m.model for m in client.list().models]
                parts = list(
                    client.chat(names[0], messages=[{"role": "user", "content": "Hi!"}], stream=True)
                )
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
    assert names == ["SmolLM2-135M-Instruct.Q4_1:latest"]
    assert len(parts) > 2 and parts[-1].done and parts[-1].eval_count == len(parts) - 1
    # A file that is not there: one line, no traceback.
    missing = subprocess.run(
        [*command[:-4], "--gguf", str(tmp_path / "none.gguf")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: The built-in model file ") and "Traceback" not in missing.stderr
