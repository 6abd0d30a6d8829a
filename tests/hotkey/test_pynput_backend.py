"""The pynput backend: combination tracking on plain keys and on pynput's key objects, a clear error
without a display, and real key presses on an X server (Xvfb) made with xdotool."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop_assistant.hotkey.base import HotkeyError, KeyCombo
from desktop_assistant.hotkey.pynput_backend import ComboTracker, PynputBackend, pynput_keys

ROOT = Path(__file__).resolve().parents[2]
EVENT_TIMEOUT_S = 10.0


def tracker(keys: list[str], seen: list[str]) -> ComboTracker:
    return ComboTracker(keys, str.lower, lambda: seen.append("press"), lambda: seen.append("release"))


def test_the_whole_combination_presses_once_and_any_key_up_releases_once() -> None:
    seen: list[str] = []
    combo = tracker(["ctrl", "alt", "space"], seen)
    combo.key_down("ctrl")
    combo.key_down("alt")
    assert seen == []
    combo.key_down("space")
    for _ in range(20):  # autorepeat
        combo.key_down("space")
    combo.key_up("alt")
    combo.key_up("space")
    combo.key_up("ctrl")
    assert seen == ["press", "release"]


def test_order_and_case_do_not_matter_and_extra_keys_are_allowed() -> None:
    seen: list[str] = []
    combo = tracker(["ctrl", "alt", "space"], seen)
    for key in ("SPACE", "shift", "Alt", "ctrl"):
        combo.key_down(key)
    assert (seen, combo.active) == (["press"], True)
    combo.key_up("shift")
    assert seen == ["press"]
    combo.key_up("Ctrl")
    assert (seen, combo.active) == (["press", "release"], False)


def test_pressing_the_key_again_under_held_modifiers_is_a_new_hold() -> None:
    seen: list[str] = []
    combo = tracker(["ctrl", "f9"], seen)
    for key in ("ctrl", "f9"):
        combo.key_down(key)
    combo.key_up("f9")
    combo.key_down("f9")
    combo.key_up("f9")
    assert seen == ["press", "release", "press", "release"]


def test_unnamed_keys_are_ignored() -> None:
    seen: list[str] = []
    combo = tracker(["f8"], seen)
    combo.key_down(None)
    combo.key_up(None)
    combo.key_down("f8")
    assert seen == ["press"]


def test_without_a_display_start_says_what_to_do_instead() -> None:
    script = (
        "from desktop_assistant.hotkey.base import HotkeyError, KeyCombo\n"
        "from desktop_assistant.hotkey.pynput_backend import PynputBackend\n"
        "backend = PynputBackend(KeyCombo.parse('Ctrl+Alt+Space'))\n"
        "try:\n"
        "    backend.start(print, print)\n"
        "except HotkeyError as exc:\n"
        "    print(exc.line())\n"
    )
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "PYNPUT_BACKEND")
    environ = {k: v for k, v in os.environ.items() if k not in hidden}
    if sys.platform != "linux":
        pytest.skip("pynput needs no display off Linux")
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "Global hotkeys are not available here. Bind a key to 'desktop-assistant ptt press' and "
        "'desktop-assistant ptt release', or hold the window's Talk button"
    ]


@pytest.fixture
def keyboard(x_display: str) -> Any:
    """``pynput.keyboard``, imported while an X display is set (its import connects to one)."""
    from pynput import keyboard as module

    return module


def pynput_tracker(keyboard: Any, text: str, seen: list[str]) -> ComboTracker:
    canonical = keyboard.Listener().canonical  # a listener that is never started: no thread
    keys = pynput_keys(keyboard, KeyCombo.parse(text))
    return ComboTracker(keys, canonical, lambda: seen.append("press"), lambda: seen.append("release"))


def test_left_and_right_modifiers_are_one_key(keyboard: Any) -> None:
    seen: list[str] = []
    combo = pynput_tracker(keyboard, "Ctrl+Alt+Space", seen)
    for key in (keyboard.Key.ctrl_r, keyboard.Key.alt_l, keyboard.Key.space, keyboard.Key.space):
        combo.key_down(key)
    combo.key_up(keyboard.Key.ctrl_r)
    assert seen == ["press", "release"]


def test_shifted_letters_match_their_key(keyboard: Any) -> None:
    seen: list[str] = []
    combo = pynput_tracker(keyboard, "Ctrl+Alt+A", seen)
    for key in (keyboard.Key.ctrl_l, keyboard.Key.alt_r, keyboard.KeyCode.from_char("A")):
        combo.key_down(key)
    combo.key_up(keyboard.KeyCode.from_char("a"))
    assert seen == ["press", "release"]


def test_other_keys_do_not_complete_the_combination(keyboard: Any) -> None:
    seen: list[str] = []
    combo = pynput_tracker(keyboard, "Meta+F9", seen)
    for key in (keyboard.Key.cmd, keyboard.Key.f8, keyboard.KeyCode.from_char("9"), keyboard.Key.alt):
        combo.key_down(key)
    assert seen == []
    combo.key_down(keyboard.Key.f9)
    assert seen == ["press"]


class Holds:
    """Collects a backend's callbacks from the listener thread."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.released = threading.Event()

    def press(self) -> None:
        self.seen.append("press")

    def release(self) -> None:
        self.seen.append("release")
        self.released.set()


@pytest.fixture
def listening(x_display: str) -> Iterator[Holds]:
    if shutil.which("xdotool") is None:
        pytest.skip("xdotool is not installed")
    holds = Holds()
    backend = PynputBackend(KeyCombo.parse("Ctrl+Alt+Space"))
    backend.start(holds.press, holds.release)
    try:
        yield holds
    finally:
        backend.stop()


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=30)


@pytest.mark.gui
def test_real_key_presses_on_x11(listening: Holds) -> None:
    xdotool("key", "ctrl+alt+a")  # another combination: nothing
    xdotool("keydown", "ctrl+alt+space")
    xdotool("keyup", "ctrl+alt+space")
    assert listening.released.wait(EVENT_TIMEOUT_S)
    assert listening.seen == ["press", "release"]


def test_a_display_that_does_not_answer_is_one_line_and_stop_returns(
    keyboard: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":4242")  # pynput is imported; this display has no server
    backend = PynputBackend(KeyCombo.parse("Ctrl+Alt+Space"))
    with pytest.raises(HotkeyError) as raised:
        backend.start(lambda: None, lambda: None)
    assert raised.value.line().startswith("Global hotkeys are not available here")
    backend.stop()
