"""The bridge carries engine events from any thread to the GUI thread, in order; the tray shows the
state and emits the menu's actions; the windows carry the app's icon at every packaged size."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, QThread
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from desktop_assistant.assets import APP_ID, resource_path
from desktop_assistant.core.events import Event, ReplyDelta, State
from desktop_assistant.ui.app import app_icon
from desktop_assistant.ui.bridge import EventBridge
from desktop_assistant.ui.tray import TrayIcon

pytestmark = pytest.mark.gui


def test_events_from_a_worker_arrive_on_the_gui_thread_in_order(qtbot: QtBot) -> None:
    bridge = EventBridge()
    seen: list[tuple[Event, bool]] = []
    bridge.arrived.connect(lambda event: seen.append((event, QThread.currentThread() is bridge.thread())))
    sent = [ReplyDelta("t1", f"token {i}") for i in range(200)]
    worker = threading.Thread(target=lambda: [bridge(event) for event in sent])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(seen) == len(sent), timeout=5000)
    assert [event for event, _ in seen] == sent
    assert all(on_gui_thread for _, on_gui_thread in seen)


def test_the_tray_shows_the_state_and_the_error(qtbot: QtBot) -> None:
    tray = TrayIcon()
    tray.set_state(State.THINKING)
    assert tray._tray.toolTip() == "Desktop Assistant — Thinking"
    thinking = tray._tray.icon().pixmap(32, 32).toImage()
    tray.set_state(State.IDLE, "Ollama is not running. Start it with: ollama serve")
    assert tray._tray.toolTip() == "Desktop Assistant — Ollama is not running. Start it with: ollama serve"
    assert tray._tray.icon().pixmap(32, 32).toImage() != thinking


def test_the_tray_names_the_model_that_answered_last(qtbot: QtBot) -> None:
    tray = TrayIcon()
    tray.set_state(State.SPEAKING)
    tray.set_answerer("SmolLM2-135M-Instruct.Q4_1", "builtin")
    assert tray._tray.toolTip() == "Desktop Assistant — Speaking\nSmolLM2-135M-Instruct.Q4_1, built in"
    tray.set_state(State.IDLE)
    tray.set_answerer("gemma3:4b", "ollama")
    assert tray._tray.toolTip() == "Desktop Assistant — Ready\ngemma3:4b on Ollama"


def test_the_app_icon_is_the_packaged_png_at_every_size(qtbot: QtBot) -> None:
    icon = app_icon()
    sizes = [16, 24, 32, 48, 64, 128, 256, 512]
    assert icon.availableSizes() == [QSize(n, n) for n in sizes]
    png = QImage(str(resource_path(f"icons/hicolor/48x48/apps/{APP_ID}.png")))
    shown = icon.pixmap(48, 48).toImage()
    # The microphone (white) on the bubble (blue), and the transparent corner, as in the file.
    for x, y in ((24, 12), (6, 26), (0, 0)):
        assert shown.pixelColor(x, y).rgba() == png.pixelColor(x, y).rgba()
    assert shown.pixelColor(24, 12).name() == "#ffffff" and shown.pixelColor(0, 0).alpha() == 0


def test_the_tray_menu_emits_what_was_chosen(qtbot: QtBot) -> None:
    tray = TrayIcon()
    chosen: list[str] = []
    for name in (
        "show_requested",
        "talk_requested",
        "stop_requested",
        "settings_requested",
        "quit_requested",
    ):
        getattr(tray, name).connect(lambda name=name: chosen.append(name))
    menu = tray._tray.contextMenu()
    assert menu is not None
    for action in menu.actions():
        if not action.isSeparator():
            action.trigger()
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == [
        "Show window",
        "Talk (start / stop)",
        "Stop speaking",
        "Settings…",
        "Quit",
    ]
    assert chosen == [
        "show_requested",
        "talk_requested",
        "stop_requested",
        "settings_requested",
        "quit_requested",
    ]


def test_run_without_a_desktop_session_says_what_to_do(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["DESKTOP_ASSISTANT_HOME"] = str(tmp_path)
    for args in (["run"], []):
        done = subprocess.run(
            [sys.executable, "-m", "desktop_assistant", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (done.returncode, done.stdout) == (2, "")
        assert done.stderr == (
            "error: No desktop session to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Start it from your desktop session, or ask without a window: "
            "desktop-assistant ask --audio FILE\n"
        )
