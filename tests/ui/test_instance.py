"""One app per user: the lock, the command socket, and ``desktop-assistant ptt`` talking to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.config.store import AppPaths
from desktop_assistant.ui.instance import InstanceGuard, lock_path

pytestmark = pytest.mark.gui


def cli(*args: str) -> subprocess.Popen[str]:
    """The real command line, as a compositor key binding would run it."""
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_assistant", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


def finish(qtbot: QtBot, process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Serve the socket (the event loop runs) until the command line is done."""
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=20_000)
    out, err = process.communicate()
    return process.returncode, out, err


def test_ptt_commands_reach_the_running_app_in_order(qtbot: QtBot, paths: AppPaths) -> None:
    seen: list[str] = []
    guard = InstanceGuard(paths, lambda command: seen.append(command))
    assert guard.acquire()
    try:
        for action in ("press", "release", "toggle"):
            assert finish(qtbot, cli("ptt", action)) == (0, "", "")
    finally:
        guard.release()
    assert seen == ["press", "release", "toggle"]


def test_an_error_from_the_app_is_one_line(qtbot: QtBot, paths: AppPaths) -> None:
    guard = InstanceGuard(paths, lambda command: "still starting")
    assert guard.acquire()
    try:
        status, out, err = finish(qtbot, cli("ptt", "press"))
    finally:
        guard.release()
    assert (status, out) == (2, "")
    assert err == "error: The running app refused 'press': still starting.\n"


def test_ptt_without_a_running_app_says_how_to_start_it(qtbot: QtBot, paths: AppPaths) -> None:
    status, out, err = finish(qtbot, cli("ptt", "release"))
    assert (status, out) == (2, "")
    assert err == "error: Desktop Assistant is not running. Start it with: desktop-assistant run\n"


def test_a_second_guard_is_refused_while_the_first_holds_the_lock(paths: AppPaths) -> None:
    first = InstanceGuard(paths, lambda command: None)
    second = InstanceGuard(paths, lambda command: None)
    assert first.acquire()
    try:
        assert not second.acquire()
    finally:
        first.release()
    assert second.acquire()
    second.release()


def test_the_lock_of_a_crashed_app_is_taken_over(paths: AppPaths) -> None:
    lock = lock_path(paths)
    lock.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from PySide6.QtCore import QLockFile\n"
            f"lock = QLockFile({str(lock)!r}); assert lock.tryLock(0)\n"
            "print('locked', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
    guard = InstanceGuard(paths, lambda command: None)
    assert not guard.acquire()
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock.exists()  # the crash left it behind
    assert guard.acquire()
    guard.release()
