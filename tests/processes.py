"""Child processes the tests start (PulseAudio, Xvfb)."""

from __future__ import annotations

import subprocess


def terminate(proc: subprocess.Popen[bytes]) -> None:
    """Ask ``proc`` to exit, kill it if it does not within 5 s, and reap it."""
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
