"""Reaching the desktop portal's GlobalShortcuts interface on the session bus, without Qt.

``PortalBackend`` keeps the connection this opens; ``doctor`` only asks whether the portal is there.
"""

from __future__ import annotations

import logging
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, Properties
from jeepney.io.blocking import open_dbus_connection

from desktop_assistant.errors import HotkeyError, first_line

log = logging.getLogger(__name__)

PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SHORTCUTS = "org.freedesktop.portal.GlobalShortcuts"
CALL_TIMEOUT_S = 3.0
NO_PORTAL = "This desktop has no global-shortcut portal"
NO_PORTAL_HINT = (
    "Bind a key in your compositor to 'desktop-assistant ptt press' and its release to "
    "'desktop-assistant ptt release' (Sway: bindsym --release, Hyprland: bindr)"
)


class PortalMissing(Exception):
    """No session bus, or no GlobalShortcuts portal on it; the text says which."""


def open_portal() -> tuple[Any, int]:
    """A blocking jeepney connection to the session bus and the portal's GlobalShortcuts version;
    ``PortalMissing`` when either is not there (each call waits at most ``CALL_TIMEOUT_S``)."""
    try:
        conn = open_dbus_connection("SESSION", auth_timeout=CALL_TIMEOUT_S)
    except Exception as exc:  # no session bus, or one that does not answer
        raise PortalMissing(first_line(exc)) from exc
    address = DBusAddress(PORTAL_PATH, PORTAL, SHORTCUTS)
    try:
        reply = conn.send_and_get_reply(Properties(address).get("version"), timeout=CALL_TIMEOUT_S)
        if reply.header.message_type == MessageType.error:
            raise PortalMissing(error_text(reply))
    except (TimeoutError, OSError) as exc:
        conn.close()
        raise PortalMissing(first_line(exc)) from exc
    except PortalMissing:
        conn.close()
        raise
    version = int(reply.body[0][1])
    log.info("the desktop portal offers GlobalShortcuts version %s", version)
    return conn, version


def portal_version() -> int:
    """The GlobalShortcuts version the portal offers, asked on a connection of its own that is closed
    again; ``HotkeyError`` (what to do instead) when there is none."""
    try:
        conn, version = open_portal()
    except PortalMissing as exc:
        log.info("no global-shortcut portal: %s", exc)
        raise HotkeyError(NO_PORTAL, NO_PORTAL_HINT) from None
    conn.close()
    return version


def error_text(reply: Any) -> str:
    """A D-Bus error reply as ``name: detail``."""
    name = reply.header.fields.get(HeaderFields.error_name, "error")
    detail = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
    return f"{name}: {detail}" if detail else str(name)
