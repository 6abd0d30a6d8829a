"""``ask`` answered by the built-in model: a subprocess, the packaged SmolLM2 run by llama.cpp, the real
Kokoro; with ``--backend auto`` over a dead Ollama, and Ollama again once a server answers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PIL import Image

from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.cli.test_ask import ask, one_error_line

pytestmark = [pytest.mark.cli, pytest.mark.model, pytest.mark.ollama]

BUILTIN = "SmolLM2-135M-Instruct.Q4_1"


def test_with_no_ollama_auto_has_the_builtin_model_answer_aloud(
    model_home: Path, closed_port_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "reply.wav"
    proc = ask(
        model_home,
        closed_port_url,
        "--text",
        "What is the capital of France?",
        "--backend",
        "auto",
        "--out",
        out,
        "--json",
        "--no-history",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["model"], report["backend"]) == (BUILTIN, "builtin")
    assert report["error"] is None
    assert len(report["reply"].split()) >= 3
    assert report["spoken"] and set(report["spoken"].split()) <= set(report["reply"].replace("*", "").split())
    audio, rate = soundfile.read(out, dtype="float32")
    assert rate == 24_000
    assert audio.size > rate and float(np.abs(audio).max()) > 0.05  # more than a second of speech


def test_auto_asks_ollama_when_it_answers(model_home: Path) -> None:
    with OllamaTestServer(reply="Paris is the capital.") as server:
        proc = ask(model_home, server.url, "--text", "Capital of France?", "--backend", "auto", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert (report["model"], report["backend"], report["reply"]) == (
        "gemma3:4b",
        "ollama",
        "Paris is the capital.",
    )


def test_an_image_asked_of_the_builtin_model_is_one_line(
    model_home: Path, closed_port_url: str, tmp_path: Path
) -> None:
    picture = tmp_path / "shot.png"
    Image.new("RGB", (64, 64), (200, 30, 30)).save(picture)
    proc = ask(
        model_home, closed_port_url, "--text", "What colour?", "--image", picture, "--backend", "builtin"
    )
    line = one_error_line(proc)
    assert line.startswith(f"error: The built-in model ({BUILTIN}) cannot see images.")
    assert "ollama pull gemma3:4b" in line
