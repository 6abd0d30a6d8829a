"""``desktop-assistant --self-test`` from the source tree: every check passes on a fresh home with the
packaged models, and a failing check is named on its line and in the exit status."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.doctor.check import Check, Probe
from desktop_assistant.errors import ModelFileError
from desktop_assistant.selftest import PROBES, run_self_test


def _missing_model() -> str:
    raise ModelFileError("The Kokoro model is missing: /x.onnx", "Import it.")


def _broken_library() -> str:
    raise OSError("libportaudio.so.2: cannot open shared object file")


def test_each_check_gets_a_line_and_a_failure_names_the_check() -> None:
    out = io.StringIO()
    probes = (
        Probe("one", lambda: Check.passed("one", "fine")),
        Probe("Kokoro", _missing_model),
        Probe("PortAudio", _broken_library),
    )
    assert run_self_test(out, probes) == 1
    lines = out.getvalue().splitlines()
    assert lines[:2] == ["✓ one: fine", "✗ Kokoro: The Kokoro model is missing: /x.onnx — fix: Import it"]
    assert lines[2].startswith("✗ PortAudio: the check itself failed (OSError: libportaudio.so.2: cannot")
    assert lines[3:] == ["Self-test failed: Kokoro, PortAudio."]


def test_all_passing_checks_exit_zero() -> None:
    out = io.StringIO()
    assert run_self_test(out, (Probe("one", lambda: Check.passed("one", "fine")),)) == 0
    assert out.getvalue().splitlines() == ["✓ one: fine", "Self-test passed: all 1 checks."]


def self_test(home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "desktop_assistant", "--self-test"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.cli
@pytest.mark.model
@pytest.mark.gui
def test_self_test_from_source_passes_with_the_packaged_models(tmp_path: Path) -> None:
    proc = self_test(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line.split(":")[0] for line in proc.stdout.splitlines()] == [
        *(f"✓ {probe.name}" for probe in PROBES),
        "Self-test passed",
    ]
    assert "✓ Whisper: packaged tiny.en" in proc.stdout and "✓ Kokoro: packaged" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]


@pytest.mark.cli
@pytest.mark.model
@pytest.mark.gui
def test_self_test_runs_the_models_the_settings_name(model_home: Path) -> None:
    proc = self_test(model_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✓ Whisper: user's tiny.en" in proc.stdout
    assert "✓ Kokoro: user's kokoro-v1.0.int8.onnx" in proc.stdout
