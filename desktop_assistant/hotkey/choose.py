"""Which hotkey backend the setting ``ui.hotkey_backend`` and the session call for."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from desktop_assistant.errors import HotkeyError
from desktop_assistant.hotkey.base import HotkeyBackend, KeyCombo
from desktop_assistant.hotkey.pynput_backend import PynputBackend

BACKEND_SETTINGS = ("auto", "pynput", "portal", "ptt")


def is_wayland(environ: Mapping[str, str]) -> bool:
    """Whether this is a Wayland session, where X11 key listening sees only XWayland windows.

    ``XDG_SESSION_TYPE`` decides where it is set; otherwise a Wayland socket name means Wayland, even beside
    an XWayland ``DISPLAY``.
    """
    session = environ.get("XDG_SESSION_TYPE", "").strip().lower()
    if session in ("wayland", "x11"):
        return session == "wayland"
    return bool(environ.get("WAYLAND_DISPLAY"))


def backend_name(setting: str, environ: Mapping[str, str]) -> str:
    """ "pynput", "portal" or "ptt": what ``setting`` (auto, pynput, portal or ptt) calls for in the
    session ``environ`` describes (auto: the portal on Wayland, else pynput)."""
    if setting not in BACKEND_SETTINGS:
        raise HotkeyError(f"Unknown hotkey backend {setting!r}", "Use auto, pynput, portal or ptt")
    if setting != "auto":
        return setting
    return "portal" if is_wayland(environ) else "pynput"


def choose_backend(
    setting: str,
    combo: KeyCombo,
    app_id: str,
    environ: Mapping[str, str],
    on_error: Callable[[HotkeyError], None] | None = None,
) -> HotkeyBackend | None:
    """The backend for ``setting`` (auto, pynput, portal or ptt); None for "ptt", where only the
    ``desktop-assistant ptt`` command and the window's Talk button drive talking.

    ``on_error`` hears of failures the portal reports after ``start()`` returned.
    """
    name = backend_name(setting, environ)
    if name == "ptt":
        return None
    if name == "pynput":
        return PynputBackend(combo)
    try:
        # Only Linux has the portal and jeepney (keyring's D-Bus library there).
        from desktop_assistant.hotkey.portal_backend import PortalBackend
    except ImportError as exc:
        hint = "Set the hotkey backend to pynput"
        raise HotkeyError("This system has no global-shortcut portal", hint) from exc
    return PortalBackend(combo, app_id, on_error)
