"""A private X display (Xvfb) for the pynput tests."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Iterator

import pytest

_XVFB_START_TIMEOUT_S = 10.0


def _read_display_number(fd: int) -> str:
    """What Xvfb writes to ``-displayfd`` once it accepts clients: its display number and a newline."""
    text = b""
    while not text.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], _XVFB_START_TIMEOUT_S)
        chunk = os.read(fd, 16) if ready else b""
        if not chunk:
            pytest.fail("Xvfb did not report its display")
        text += chunk
    return text.decode().strip()


@pytest.fixture(scope="module")
def x_display() -> Iterator[str]:
    """A private Xvfb on a free display number, as ``DISPLAY`` for the module's tests: key presses made
    there never reach the desktop of whoever runs the tests."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    read_fd, write_fd = os.pipe()
    command = [xvfb, "-displayfd", str(write_fd), "-nolisten", "tcp", "-screen", "0", "640x480x24"]
    quiet = subprocess.DEVNULL
    server = subprocess.Popen(command, pass_fds=(write_fd,), stdout=quiet, stderr=quiet)
    os.close(write_fd)
    before = os.environ.get("DISPLAY")
    try:
        display = f":{_read_display_number(read_fd)}"
        os.environ["DISPLAY"] = display
        yield display
    finally:
        os.close(read_fd)
        if before is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = before
        server.terminate()
        server.wait(timeout=10)
