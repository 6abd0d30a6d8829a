"""packaging/install.sh and packaging/bootstrap.sh run for real against stand-ins (a ``.venv/bin/python``,
a ``desktop-assistant`` and a ``dpkg-query`` that write down how they were called): the built-in model is
installed by default with its compiler packages, DESKTOP_ASSISTANT_BUILTIN_LLM=0 leaves it out, the
question is asked only on a terminal, and pip builds llama.cpp with the portable flags unless CMAKE_ARGS
says otherwise."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RECORDER = '#!/bin/sh\necho "{name} CMAKE_ARGS=${{CMAKE_ARGS-unset}} $*" >> "$CALLS"\n'
# dpkg-query -W -f='${Status}' PKG: every package is installed, so apt-get is never run.
DPKG_QUERY = (
    '#!/bin/sh\nfor last; do :; done\necho "dpkg-query $last" >> "$CALLS"\necho "install ok installed"\n'
)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A folder with the two scripts, a ``.venv`` of stand-ins, and a ``bin/`` with dpkg-query."""
    (tmp_path / "packaging").mkdir()
    for name in ("install.sh", "bootstrap.sh"):
        shutil.copy(REPO / "packaging" / name, tmp_path / "packaging" / name)
    for folder, name, text in (
        (".venv/bin", "python", RECORDER.format(name="python")),
        (".venv/bin", "desktop-assistant", RECORDER.format(name="desktop-assistant")),
        ("bin", "dpkg-query", DPKG_QUERY),
    ):
        path = tmp_path / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        path.chmod(0o755)
    return tmp_path


def environment(checkout: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CMAKE_ARGS", "DESKTOP_ASSISTANT_BUILTIN_LLM")}
    env.update(PATH=f"{checkout / 'bin'}:{env['PATH']}", CALLS=str(checkout / "calls"))
    env.update(extra)
    return env


def calls(checkout: Path, program: str) -> list[str]:
    lines = (checkout / "calls").read_text().splitlines()
    return [line.removeprefix(program + " ") for line in lines if line.startswith(program + " ")]


def run_install(checkout: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "packaging/install.sh"],
        cwd=checkout,
        env=environment(checkout, DESKTOP_ASSISTANT_NO_START="1", **extra),
        # A "no" on a pipe, not a terminal: the script must not read it as an answer.
        input="n\n",
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_install_sh_adds_the_built_in_model_by_default_with_its_build_packages(checkout: Path) -> None:
    done = run_install(checkout)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no question without a terminal, and the piped "n" was not taken as one
    assert "==> Installing desktop-assistant[models,builtin-llm] into .venv" in done.stdout
    assert (
        calls(checkout, "python")[-1]
        == "CMAKE_ARGS=-DGGML_NATIVE=OFF -m pip install -q -e .[models,builtin-llm]"
    )
    assert {"build-essential", "cmake", "python3-dev", "libportaudio2"} <= set(calls(checkout, "dpkg-query"))
    assert calls(checkout, "desktop-assistant")[-1].endswith(" models install-default")


def test_install_sh_leaves_it_out_when_asked_to(checkout: Path) -> None:
    done = run_install(checkout, DESKTOP_ASSISTANT_BUILTIN_LLM="0")
    assert done.returncode == 0, done.stderr
    assert calls(checkout, "python")[-1].endswith(" -m pip install -q -e .[models]")
    packages = set(calls(checkout, "dpkg-query"))
    assert "libportaudio2" in packages and not packages & {"build-essential", "cmake", "python3-dev"}


@pytest.mark.parametrize(
    ("cmake_args", "seen"),
    [("-DGGML_CUDA=on", "-DGGML_CUDA=on"), ("", "")],
)
def test_cmake_args_already_set_are_kept(checkout: Path, cmake_args: str, seen: str) -> None:
    done = subprocess.run(
        ["bash", "-c", "source packaging/bootstrap.sh && make_venv dev"],
        cwd=checkout,
        env=environment(checkout, CMAKE_ARGS=cmake_args),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert calls(checkout, "python")[-1] == f"CMAKE_ARGS={seen} -m pip install -q -e .[dev]"


def wanted_on_a_terminal(checkout: Path, typed: bytes) -> tuple[bool, str]:
    """``builtin_llm_wanted`` with a terminal on its standard input, ``typed`` typed in; (the answer,
    what the terminal showed)."""
    main, child = pty.openpty()
    script = "source packaging/bootstrap.sh; if builtin_llm_wanted; then echo WANTED; else echo LEFT-OUT; fi"
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=checkout,
        env=environment(checkout),
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    os.write(main, typed)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(main, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    assert proc.wait(timeout=30) == 0
    text = shown.decode(errors="replace")
    assert "WANTED" in text or "LEFT-OUT" in text, text
    return "WANTED" in text, text


def test_on_a_terminal_the_question_is_asked_and_enter_means_yes(checkout: Path) -> None:
    yes, shown = wanted_on_a_terminal(checkout, b"\n")
    assert yes and "Install the built-in model, which answers without Ollama" in shown and "[Y/n]" in shown
    no, _ = wanted_on_a_terminal(checkout, b"n\n")
    assert not no
