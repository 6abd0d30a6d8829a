"""Global hotkeys on Wayland through the XDG desktop portal's GlobalShortcuts interface.

The conversation: (Registry.Register) → CreateSession → Request.Response with the session → BindShortcuts →
Request.Response with what the desktop bound → Activated / Deactivated for every hold. It speaks D-Bus with
jeepney rather than QtDBus because PySide6 cannot marshal BindShortcuts' ``a(sa{sv})`` argument; the
socket is watched by a ``QSocketNotifier``, so every reply and signal is handled on the GUI thread's event
loop. Only the first two calls block, each for at most a few seconds, so that a missing portal is an error
``start()`` can raise.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import Any

from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, message_bus, new_method_call
from PySide6.QtCore import QObject, QSocketNotifier, QTimer

from desktop_assistant.errors import HotkeyError, first_line
from desktop_assistant.hotkey.base import KeyCombo
from desktop_assistant.hotkey.portal_bus import (
    CALL_TIMEOUT_S,
    NO_PORTAL,
    NO_PORTAL_HINT,
    PORTAL,
    PORTAL_PATH,
    SHORTCUTS,
    PortalMissing,
    error_text,
    open_portal,
)

__all__ = ["PORTAL", "PORTAL_PATH", "REGISTRY", "REQUEST", "SESSION", "SHORTCUTS", "PortalBackend"]

log = logging.getLogger(__name__)

REQUEST = "org.freedesktop.portal.Request"
REGISTRY = "org.freedesktop.host.portal.Registry"
SESSION = "org.freedesktop.portal.Session"
SHORTCUT_ID = "push-to-talk"

ResponseHandler = Callable[[int, dict[str, Any]], None]


class PortalBackend(QObject):
    """Asks the desktop's portal for ``combo`` as a global shortcut and reports its holds.

    The callbacks run on the GUI thread. A failure after ``start()`` returned (the user declined, the
    portal went away) stops the backend and goes to ``on_error``.
    """

    def __init__(
        self,
        combo: KeyCombo,
        app_id: str,
        on_error: Callable[[HotkeyError], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._combo = combo
        self._app_id = app_id
        self._on_error = on_error
        self._conn: Any = None
        self._notifier: QSocketNotifier | None = None
        self._on_press: Callable[[], None] = _nothing
        self._on_release: Callable[[], None] = _nothing
        self._replies: dict[int, Callable[[Any], None]] = {}
        self._responses: dict[str, ResponseHandler] = {}
        self._session = ""
        self._request_prefix = ""
        self._tokens = itertools.count(1)

    @property
    def name(self) -> str:
        """Always "portal"."""
        return "portal"

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        """Check the portal, register the app and ask for the shortcut; the rest follows asynchronously."""
        if self._conn is not None:
            return
        try:
            conn, _version = open_portal()
        except PortalMissing as exc:
            raise self._no_portal(str(exc)) from exc
        try:
            self._register(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        self._on_press, self._on_release = on_press, on_release
        self._notifier = QSocketNotifier(conn.sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._read)
        self._subscribe(conn)
        self._request(
            "CreateSession",
            "a{sv}",
            (),
            {"session_handle_token": ("s", self._token())},
            self._session_created,
        )
        # The blocking calls may have buffered messages the notifier will not announce; read them from the
        # event loop, so that what they cause (on_error included) happens after start() returned.
        QTimer.singleShot(0, self._read)

    def stop(self) -> None:
        """Close the portal session and the bus connection; the shortcut is released."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._session:
            try:
                conn.send(new_method_call(DBusAddress(self._session, PORTAL, SESSION), "Close"))
            except OSError as exc:
                log.info("closing the portal session failed: %s", first_line(exc))
        conn.close()
        self._replies.clear()
        self._responses.clear()
        self._session = ""

    # ----- the blocking start ----------------------------------------------------------------

    def _register(self, conn: Any) -> None:
        """Tell newer portals which app this unsandboxed process is; older ones lack the call."""
        call = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL, REGISTRY), "Register", "sa{sv}", (self._app_id, {})
        )
        try:
            reply = conn.send_and_get_reply(call, timeout=CALL_TIMEOUT_S)
        except TimeoutError:
            log.info("the portal did not answer Register; going on without it")
            return
        if reply.header.message_type == MessageType.error:
            log.info("no portal registration: %s", error_text(reply))

    def _no_portal(self, reason: str) -> HotkeyError:
        log.info("no global-shortcut portal: %s", reason)
        return HotkeyError(self.tr(NO_PORTAL), self.tr(NO_PORTAL_HINT))

    # ----- the asynchronous conversation -----------------------------------------------------

    def _subscribe(self, conn: Any) -> None:
        sender = conn.unique_name.lstrip(":").replace(".", "_")
        self._request_prefix = f"{PORTAL_PATH}/request/{sender}/"
        rules = [
            MatchRule(
                type="signal",
                sender=PORTAL,
                interface=REQUEST,
                member="Response",
                path_namespace=self._request_prefix.rstrip("/"),
            ),
            MatchRule(type="signal", sender=PORTAL, interface=SHORTCUTS, path=PORTAL_PATH),
        ]
        for rule in rules:
            conn.send(message_bus.AddMatch(rule))

    def _request(
        self,
        method: str,
        signature: str,
        args: tuple[Any, ...],
        options: dict[str, Any],
        on_response: ResponseHandler,
    ) -> None:
        """Call a portal method that answers later with ``Request.Response`` on a handle we name."""
        token = self._token()
        handle = self._request_prefix + token
        self._responses[handle] = on_response
        call = new_method_call(
            DBusAddress(PORTAL_PATH, PORTAL, SHORTCUTS),
            method,
            signature,
            (*args, {**options, "handle_token": ("s", token)}),
        )
        serial = next(self._conn.outgoing_serial)
        self._replies[serial] = self._request_sent
        self._conn.send(call, serial=serial)

    def _request_sent(self, reply: Any) -> None:
        """The method's immediate reply: the Request handle (as predicted), or an error."""
        if reply.header.message_type == MessageType.error:
            self._fail(self.tr("The desktop portal refused the global shortcut"), error_text(reply))

    def _session_created(self, code: int, results: dict[str, Any]) -> None:
        if code != 0 or "session_handle" not in results:
            self._fail(self.tr("The desktop declined a global-shortcut session"), f"response {code}")
            return
        self._session = str(results["session_handle"][1])
        shortcut = {
            "description": ("s", self.tr("Hold to talk to the assistant")),
            "preferred_trigger": ("s", self._combo.portal_trigger()),
        }
        self._request(
            "BindShortcuts",
            "oa(sa{sv})sa{sv}",
            (self._session, [(SHORTCUT_ID, shortcut)], ""),
            {},
            self._shortcuts_bound,
        )

    def _shortcuts_bound(self, code: int, results: dict[str, Any]) -> None:
        bound = {shortcut_id: info for shortcut_id, info in results.get("shortcuts", ("", []))[1]}
        if code != 0 or SHORTCUT_ID not in bound:
            self._fail(self.tr("The desktop did not bind the push-to-talk shortcut"), f"response {code}")
            return
        trigger = bound[SHORTCUT_ID].get("trigger_description", ("s", ""))[1]
        log.info("the portal bound push-to-talk to %r (asked for %s)", trigger, self._combo.portal_trigger())

    def _fail(self, message: str, reason: str) -> None:
        error = HotkeyError(message, self.tr("Use 'desktop-assistant ptt' or the window's Talk button"))
        log.warning("%s (%s)", error.line(), reason)
        self.stop()
        if self._on_error is not None:
            self._on_error(error)

    def _read(self) -> None:
        """Handle every message that has arrived, without waiting for more."""
        while self._conn is not None:
            try:
                message = self._conn.receive(timeout=0)
            except TimeoutError:
                return
            except (OSError, ValueError) as exc:  # the bus went away or sent garbage
                self._fail(self.tr("The connection to the desktop portal was lost"), first_line(exc))
                return
            self._dispatch(message)

    def _dispatch(self, message: Any) -> None:
        kind = message.header.message_type
        fields = message.header.fields
        if kind in (MessageType.method_return, MessageType.error):
            on_reply = self._replies.pop(fields.get(HeaderFields.reply_serial, -1), None)
            if on_reply is not None:
                on_reply(message)
            return
        if kind != MessageType.signal:
            return
        interface, member = fields.get(HeaderFields.interface), fields.get(HeaderFields.member)
        if interface == REQUEST and member == "Response":
            on_response = self._responses.pop(str(fields.get(HeaderFields.path)), None)
            if on_response is not None:
                on_response(message.body[0], message.body[1])
        elif interface == SHORTCUTS and member in ("Activated", "Deactivated"):
            session, shortcut_id = str(message.body[0]), message.body[1]
            if self._session and session == self._session and shortcut_id == SHORTCUT_ID:
                (self._on_press if member == "Activated" else self._on_release)()

    def _token(self) -> str:
        return f"desktop_assistant_{next(self._tokens)}"


def _nothing() -> None:
    """The callbacks before ``start()``."""
