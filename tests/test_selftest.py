"""``desktop-assistant --self-test`` from the source tree: every check passes on a fresh home with the
packaged models, and a failing check is named on its line and in the exit status."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.errors import ModelFileError
from desktop_assistant.selftest import CHECKS, Check, run_self_test


def _missing_model() -> str:
    raise ModelFileError("The Kokoro model is missing: /x.onnx", "Import it.")


def _broken_library() -> str:
    raise OSError("libportaudio.so.2: cannot open shared object file")


def test_each_check_gets_a_line_and_a_failure_names_the_check() -> None:
    out = io.StringIO()
    checks = (Check("one", lambda: "fine"), Check("tts", _missing_model), Check("portaudio", _broken_library))
    assert run_self_test(out, checks) == 1
    assert out.getvalue().splitlines() == [
        "ok   one: fine",
        "FAIL tts: The Kokoro model is missing: /x.onnx. Import it.",
        "FAIL portaudio: OSError: libportaudio.so.2: cannot open shared object file",
        "self-test failed: tts, portaudio",
    ]


def test_all_passing_checks_exit_zero() -> None:
    out = io.StringIO()
    assert run_self_test(out, (Check("one", lambda: "fine"),)) == 0
    assert out.getvalue().splitlines() == ["ok   one: fine", "self-test passed"]


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
        *(f"ok   {check.name}" for check in CHECKS),
        "self-test passed",
    ]
    assert "ok   stt: packaged tiny.en" in proc.stdout and "ok   tts: packaged" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]


@pytest.mark.cli
@pytest.mark.model
@pytest.mark.gui
def test_self_test_runs_the_models_the_settings_name(model_home: Path) -> None:
    proc = self_test(model_home)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ok   stt: user's tiny.en" in proc.stdout
    assert "ok   tts: user's kokoro-v1.0.int8.onnx" in proc.stdout
