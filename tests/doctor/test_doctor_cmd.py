"""``desktop-assistant doctor`` as a user runs it: a subprocess on a fresh home with no models, no display
and no Ollama (every missing thing listed with its fix, status 1), its ``--json`` twin, and status 0
when every check passes."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.cli import doctor_cmd
from desktop_assistant.doctor.check import Check, Probe
from desktop_assistant.doctor.models import free_disk_check
from desktop_assistant.fetch.catalog import load_catalog
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.llm.ollama_host import ollama_start_hint
from desktop_assistant.store.models import GGUF_HINT

pytestmark = pytest.mark.cli


def doctor(home: Path, ollama_host: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")
    }
    env.update({"DESKTOP_ASSISTANT_HOME": str(home), "OLLAMA_HOST": ollama_host})
    return subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def dead_host() -> str:
    """The address of an Ollama server that has stopped: nothing listens there."""
    with OllamaTestServer() as server:
        url = server.url
    return url


def test_a_fresh_home_lists_exactly_what_is_missing(tmp_path: Path, dead_host: str) -> None:
    proc = doctor(tmp_path, dead_host)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    *checks, summary = lines
    assert all(line.startswith(("✓ ", "✗ ")) for line in checks), proc.stdout
    names = [line[2:].split(":", 1)[0] for line in checks]
    assert names == [
        "Settings",
        "PortAudio",
        "Microphone",
        "Speaker",
        "Speech model",
        "Voice model",
        "Voices",
        "Ollama",
        "Ollama model",
        "Images",
        "Built-in model",
        "Hotkey",
        "Tray",
        "Keyring",
        "Free disk",
    ]
    whisper = recommended_entries(load_catalog())[0].name
    assert checks[4:10] == [
        "✗ Speech model: The Whisper model 'tiny.en' is not installed"
        f" — fix: desktop-assistant models download {whisper}",
        "✗ Voice model: not installed (no official Kokoro model in the library)"
        " — fix: desktop-assistant models download kokoro-v1.0",
        "✗ Voices: no Kokoro voices file is installed"
        " — fix: desktop-assistant models download kokoro-voices-v1.0",
        f"✗ Ollama: Cannot reach Ollama at {dead_host} — fix: {ollama_start_hint().rstrip('.')}",
        "✗ Ollama model: 'gemma3:4b' not checked: Ollama is not reachable",
        "✗ Images: not checked: Ollama is not reachable",
    ]
    assert checks[10] == f"✗ Built-in model: No built-in model is installed — fix: {GGUF_HINT.rstrip('.')}"
    assert checks[12] == (
        "✗ Tray: no display: neither DISPLAY nor WAYLAND_DISPLAY is set — fix: run it in your desktop session"
    )
    assert checks[0].startswith("✓ Settings: the defaults") and checks[-1].startswith("✓ Free disk: ")
    failed = sum(line.startswith("✗") for line in checks)
    assert summary == f"{failed} of {len(checks)} checks failed."


def test_json_holds_the_same_checks(tmp_path: Path, dead_host: str) -> None:
    text = doctor(tmp_path, dead_host)
    proc = doctor(tmp_path, dead_host, "--json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert all(set(item) == {"name", "ok", "detail", "fix"} for item in report)
    lines = [Check(**item).line() for item in report]
    # The free space is measured twice, and other processes write to the disk meanwhile.
    *same, disk = text.stdout.splitlines()[:-1]
    assert lines[:-1] == same
    assert lines[-1].split(" free for ")[1] == disk.split(" free for ")[1]


def test_every_check_passing_is_status_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def probes(environ: object) -> list[Probe]:
        return [Probe("Free disk", lambda: free_disk_check(tmp_path, 1))]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(doctor_cmd, "doctor_probes", probes)
        assert doctor_cmd.run(argparse.Namespace(json=False)) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].startswith("✓ Free disk: ") and lines[1:] == ["All 1 checks passed."]
        assert doctor_cmd.run(argparse.Namespace(json=True)) == 0
        assert json.loads(capsys.readouterr().out)[0]["ok"] is True
