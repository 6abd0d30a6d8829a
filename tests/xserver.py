"""A private X server (Xvfb) for the end-to-end tests, and the X tools that drive it like a user."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.processes import terminate

START_TIMEOUT_S = 10.0
TOOLS = ("Xvfb", "xdotool", "xclip")


class XUnavailable(Exception):
    """Xvfb or the X tools are missing or would not start; the message says why."""


class XServer:
    """``Xvfb`` on a free display number, 1280x800, with XTEST and RECORD (pynput needs RECORD)."""

    def __init__(self) -> None:
        self.display = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._folder: Path | None = None

    @property
    def env(self) -> dict[str, str]:
        """What a client needs to reach this server (and nothing of a real session)."""
        return {"DISPLAY": self.display, "XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": ""}

    def start(self) -> None:
        """Start Xvfb and wait until it answers."""
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise XUnavailable(f"{', '.join(missing)} not installed (apt install xvfb xdotool xclip)")
        self._folder = Path(tempfile.mkdtemp(prefix="da-x-"))
        display_file = self._folder / "display"
        with open(display_file, "wb") as out, open(self._folder / "xvfb.log", "wb") as log:
            self._proc = subprocess.Popen(
                ["Xvfb", "-displayfd", str(out.fileno()), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                pass_fds=(out.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            number = display_file.read_text().strip()
            if number.isdigit() and self.run("xdotool", "getmouselocation", check=False).returncode == 0:
                self.display = f":{number}"
                return
            if self._proc.poll() is not None:
                break
            self.display = f":{number}" if number.isdigit() else ""
            time.sleep(0.05)
        reason = (self._folder / "xvfb.log").read_text(errors="replace").strip()[-300:]
        self.stop()
        raise XUnavailable(f"Xvfb did not start: {reason}")

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        proc, self._proc = self._proc, None
        if proc is not None:
            terminate(proc)
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run an X client (xdotool, xclip) against this server."""
        return subprocess.run(
            list(command),
            env={**os.environ, **self.env},
            capture_output=True,
            text=True,
            timeout=20,
            check=check,
        )

    def find_window(self, title: str, timeout: float) -> str:
        """The id of the first visible window whose title matches ``title``, a regular expression
        (xdotool's ``search --name``: a plain title matches any title containing it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.run("xdotool", "search", "--onlyvisible", "--name", title, check=False)
            ids = found.stdout.split()
            if ids:
                return ids[0]
            time.sleep(0.2)
        raise AssertionError(f"no window titled {title!r} appeared within {timeout:.0f} s")

    def clipboard(self) -> str:
        """The clipboard's text, as another application would paste it."""
        done = self.run("xclip", "-selection", "clipboard", "-o", check=False)
        return done.stdout if done.returncode == 0 else ""

    def copy_image(self, path: Path) -> None:
        """Put a PNG on the clipboard, as a screenshot tool would (xclip stays behind to serve it)."""
        subprocess.run(
            ["xclip", "-selection", "clipboard", "-t", "image/png", "-i", str(path)],
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=20,
            check=True,
        )
