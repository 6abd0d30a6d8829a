"""Screenshots of the real window for the README: ``python -m tests.e2e.screenshots [OUT_DIR]``.

The app runs exactly as in the end-to-end test (Xvfb, a private PulseAudio, the loopback Ollama, the
test models); the script acts as a user would and saves ``docs/screenshots/*.png``: the window idle,
listening while the hotkey is held, mid-reply with a pasted image, the finished reply, a search of the
history, and settings.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from PIL import Image, ImageDraw

from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.audio.pulse import PulseServer
from tests.e2e.desktop import RunningApp, app_session, speak_into_room
from tests.models_home import speech_file
from tests.xserver import XServer

REPO = Path(__file__).resolve().parents[2]
REPLY = (
    "The chart shows **monthly sales** for the first half of the year:\n\n"
    "- **March** is the best month, at about 92 units.\n"
    "- January and February are the weakest.\n\n"
    "Overall sales grow by roughly `40%` from January to June."
)


def sample_chart(path: Path) -> Path:
    """A small bar chart, standing in for a screenshot the user pastes."""
    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 14), "Monthly sales", fill="black")
    for i, value in enumerate((40, 55, 92, 70, 66, 81)):
        left = 40 + i * 95
        draw.rectangle((left, 370 - value * 3.5, left + 60, 370), fill=(37, 99, 235))
        draw.text((left + 14, 375), "JFMAMJ"[i], fill="black")
    image.save(path)
    return path


def take(out: Path) -> None:
    """Run the app and save the screenshots into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    with (
        OllamaTestServer(reply=REPLY, tokens_per_s=6.0) as server,
        app_session(server, "da-shots-") as (app, x, room, tmp),
    ):
        _act(app, x, room, server, tmp, out)


def _act(
    app: RunningApp, x: XServer, room: PulseServer, server: OllamaTestServer, tmp: Path, out: Path
) -> None:
    app.screenshot(out / "idle.png")

    # Listening: the hotkey held while a question is spoken.
    server.tokens_per_s = 40.0
    speaking = threading.Thread(target=speak_into_room, args=(room, speech_file()))
    x.run("xdotool", "keydown", "ctrl+alt+space")
    speaking.start()
    time.sleep(4.0)
    app.screenshot(out / "listening.png")
    speaking.join()
    x.run("xdotool", "keyup", "ctrl+alt+space")
    app.wait_for(lambda: app.turns_ended() == 1, 120, "the spoken turn's end")

    # A pasted screenshot, a typed question, the reply streaming in.
    server.tokens_per_s = 6.0
    chart = sample_chart(tmp / "chart.png")
    x.copy_image(chart)
    x.run("xdotool", "windowfocus", "--sync", app.window)
    x.run("xdotool", "key", "--clearmodifiers", "ctrl+v")
    x.run("xdotool", "type", "--delay", "20", "What does this chart show?")
    time.sleep(1.5)
    app.screenshot(out / "with-image.png")
    x.run("xdotool", "key", "Return")
    time.sleep(5.0)
    app.screenshot(out / "mid-reply.png")
    app.wait_for(lambda: app.turns_ended() == 2, 120, "the typed turn's end")
    time.sleep(1.0)
    app.screenshot(out / "reply.png")

    # History: a new conversation, then a search across both, the matches highlighted in the list.
    x.run("xdotool", "windowfocus", "--sync", app.window)
    x.run("xdotool", "key", "--clearmodifiers", "ctrl+n")
    x.run("xdotool", "type", "--delay", "20", "Which month had the best sales?")
    x.run("xdotool", "key", "Return")
    app.wait_for(lambda: app.turns_ended() == 3, 120, "the new conversation's turn")
    x.run("xdotool", "key", "--clearmodifiers", "ctrl+f")
    x.run("xdotool", "type", "--delay", "20", "sales")
    time.sleep(1.5)
    app.screenshot(out / "history.png")
    x.run("xdotool", "key", "Escape")

    x.run("xdotool", "windowfocus", "--sync", app.window)
    x.run("xdotool", "key", "--clearmodifiers", "ctrl+comma")
    settings = x.find_window("Settings", 20)
    time.sleep(1.5)
    app.screenshot(out / "settings.png", settings)
    x.run("xdotool", "key", "Escape")


if __name__ == "__main__":
    take(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
