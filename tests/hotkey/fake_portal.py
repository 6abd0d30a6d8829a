"""A stand-in for xdg-desktop-portal's GlobalShortcuts on a private session bus (``dbus-run-session``).

It answers like the real portal (Request handles named from the caller's tokens, Response signals on them)
and, once the shortcut is bound, plays one hold: Activated then Deactivated, after two activations that are
not ours (another shortcut id, another session). Every call it serves goes to ``record`` as one line. It
serves from its own thread, since ``PortalBackend.start()`` waits for the first answers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    message_bus,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection

from desktop_assistant.hotkey.portal_backend import (
    PORTAL,
    PORTAL_PATH,
    REGISTRY,
    REQUEST,
    SESSION,
    SHORTCUTS,
)

PROPERTIES = "org.freedesktop.DBus.Properties"
DBUS_ERROR = "org.freedesktop.DBus.Error"
CONTROL = "test.FakePortal"  # the scenario's own interface: Quit ends the serving thread
TIMEOUT_S = 5.0


class FakePortal:
    """Serves ``org.freedesktop.portal.Desktop`` on a thread until ``stop()``."""

    def __init__(
        self, record: Callable[[str], None], *, registry: bool, shortcuts: bool, session_response: int
    ) -> None:
        self._record = record
        self._registry = registry
        self._shortcuts = shortcuts
        self._session_response = session_response
        self._session = ""
        self.closed = threading.Event()  # set once the client closed its session
        self._conn = open_dbus_connection("SESSION")
        owner = self._conn.send_and_get_reply(message_bus.RequestName(PORTAL), timeout=TIMEOUT_S)
        assert owner.body == (1,), f"could not own {PORTAL}: {owner.body}"
        self._thread = threading.Thread(target=self._serve_until_quit, name="fake-portal")
        self._thread.start()

    def stop(self) -> None:
        """Ask the serving thread to quit (over the bus, from another connection) and join it."""
        with open_dbus_connection("SESSION") as conn:
            quit_call = new_method_call(DBusAddress("/", PORTAL, CONTROL), "Quit")
            conn.send_and_get_reply(quit_call, timeout=TIMEOUT_S)
        self._thread.join(TIMEOUT_S)
        self._conn.close()

    def _serve_until_quit(self) -> None:
        while True:
            call = self._conn.receive(timeout=None)
            if call.header.message_type != MessageType.method_call:
                continue
            if call.header.fields.get(HeaderFields.interface) == CONTROL:
                self._conn.send(new_method_return(call))
                return
            self._serve(call)

    def _serve(self, call: Any) -> None:
        fields = call.header.fields
        method = (fields.get(HeaderFields.interface), fields.get(HeaderFields.member))
        if method == (PROPERTIES, "Get") and self._shortcuts and call.body == (SHORTCUTS, "version"):
            self._conn.send(new_method_return(call, "v", (("u", 2),)))
        elif method == (PROPERTIES, "Get"):
            self._conn.send(new_error(call, f"{DBUS_ERROR}.InvalidArgs", "s", ("No such interface",)))
        elif method == (REGISTRY, "Register") and self._registry:
            self._record(f"Register {call.body[0]}")
            self._conn.send(new_method_return(call))
        elif method == (SHORTCUTS, "CreateSession") and self._shortcuts:
            self._create_session(call)
        elif method == (SHORTCUTS, "BindShortcuts") and self._shortcuts:
            self._bind_shortcuts(call)
        elif method == (SESSION, "Close") and fields.get(HeaderFields.path) == self._session:
            self._record("Close")
            self._conn.send(new_method_return(call))
            self.closed.set()
        else:
            self._conn.send(new_error(call, f"{DBUS_ERROR}.UnknownMethod", "s", (str(method),)))

    def _handle(self, call: Any, options: dict[str, Any]) -> str:
        """The Request path the portal derives from the caller's name and ``handle_token``; reply with it."""
        sender = call.header.fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        handle = f"{PORTAL_PATH}/request/{sender}/{options['handle_token'][1]}"
        self._conn.send(new_method_return(call, "o", (handle,)))
        return handle

    def _respond(self, handle: str, code: int, results: dict[str, Any]) -> None:
        response = new_signal(DBusAddress(handle, interface=REQUEST), "Response", "ua{sv}", (code, results))
        self._conn.send(response)

    def _create_session(self, call: Any) -> None:
        (options,) = call.body
        self._record("CreateSession")
        sender = call.header.fields[HeaderFields.sender].lstrip(":").replace(".", "_")
        self._session = f"{PORTAL_PATH}/session/{sender}/{options['session_handle_token'][1]}"
        handle = self._handle(call, options)
        results = {"session_handle": ("s", self._session)} if self._session_response == 0 else {}
        self._respond(handle, self._session_response, results)

    def _bind_shortcuts(self, call: Any) -> None:
        session, shortcuts, _parent, options = call.body
        for shortcut_id, info in shortcuts:
            which = "own-session" if session == self._session else session
            self._record(f"BindShortcuts {which} {shortcut_id} {info['preferred_trigger'][1]}")
        handle = self._handle(call, options)
        trigger = ("s", "Ctrl+Alt+Space")
        bound = [(shortcut_id, {"description": info["description"], "trigger_description": trigger})
                 for shortcut_id, info in shortcuts]
        self._respond(handle, 0, {"shortcuts": ("a(sa{sv})", bound)})
        emitter = DBusAddress(PORTAL_PATH, interface=SHORTCUTS)
        for member, path, shortcut_id in [
            ("Activated", session, "another-shortcut"),
            ("Activated", f"{PORTAL_PATH}/session/someone/else", shortcuts[0][0]),
            ("Activated", session, shortcuts[0][0]),
            ("Deactivated", session, shortcuts[0][0]),
        ]:
            self._conn.send(new_signal(emitter, member, "osta{sv}", (path, shortcut_id, 1000, {})))
