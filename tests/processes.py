"""Child processes the tests start (PulseAudio, Xvfb)."""

from __future__ import annotations

import os
import subprocess
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """A service the tests need could not start: under CI (where it must be tested) fail, elsewhere skip."""
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """Ask ``proc`` to exit, kill it if it does not within 5 s, and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
