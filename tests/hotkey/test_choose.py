"""Which backend ``ui.hotkey_backend`` and the session's environment pick."""

from __future__ import annotations

import pytest

from desktop_assistant.hotkey.base import HotkeyError, KeyCombo
from desktop_assistant.hotkey.choose import choose_backend

COMBO = KeyCombo.parse("Ctrl+Alt+Space")
X11 = {"XDG_SESSION_TYPE": "x11", "DISPLAY": ":0"}
WAYLAND = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}


def chosen(setting: str, environ: dict[str, str]) -> str | None:
    backend = choose_backend(setting, COMBO, "io.github.desktop_assistant", environ)
    return None if backend is None else backend.name


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        (X11, "pynput"),
        (WAYLAND, "portal"),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "portal"),  # no session type: the Wayland socket decides
        ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, "portal"),  # XWayland beside it
        ({"XDG_SESSION_TYPE": "x11", "WAYLAND_DISPLAY": "wayland-0"}, "pynput"),  # a nested compositor
        ({"DISPLAY": ":0"}, "pynput"),
        ({}, "pynput"),  # Windows and macOS
        ({"XDG_SESSION_TYPE": "tty"}, "pynput"),
    ],
)
def test_auto_follows_the_session(environ: dict[str, str], name: str) -> None:
    assert chosen("auto", environ) == name


@pytest.mark.parametrize("environ", [X11, WAYLAND])
def test_an_explicit_setting_wins(environ: dict[str, str]) -> None:
    assert chosen("pynput", environ) == "pynput"
    assert chosen("portal", environ) == "portal"


@pytest.mark.parametrize("environ", [X11, WAYLAND])
def test_ptt_means_no_listener(environ: dict[str, str]) -> None:
    assert chosen("ptt", environ) is None


def test_an_unknown_setting_is_an_error() -> None:
    with pytest.raises(HotkeyError, match="Unknown hotkey backend 'evdev'"):
        chosen("evdev", X11)


def test_backends_stop_before_they_start() -> None:
    for setting in ("pynput", "portal"):
        backend = choose_backend(setting, COMBO, "io.github.desktop_assistant", X11)
        assert backend is not None
        backend.stop()
        backend.stop()
