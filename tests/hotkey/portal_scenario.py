"""Runs the real ``PortalBackend`` against ``FakePortal`` (or no portal) and prints what happened, a line
per step. Run it on a private bus: ``dbus-run-session -- python -m tests.hotkey.portal_scenario MODE``.

MODE: bind (the whole conversation and one hold), no-registry (an older portal), absent (no portal
service), no-shortcuts (a portal without GlobalShortcuts), declined (the session is refused).
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QTimer

from desktop_assistant.hotkey.base import HotkeyError, KeyCombo
from desktop_assistant.hotkey.portal_backend import PortalBackend
from tests.hotkey.fake_portal import TIMEOUT_S, FakePortal

APP_ID = "io.github.desktop_assistant.test"


def main(mode: str) -> int:
    app = QCoreApplication([])
    fake = None
    if mode != "absent":
        fake = FakePortal(say, registry=mode != "no-registry", shortcuts=mode != "no-shortcuts",
                          session_response=1 if mode == "declined" else 0)
    try:
        run(app, mode)
    finally:
        if fake is not None:
            if mode in ("bind", "no-registry"):
                fake.closed.wait(TIMEOUT_S)  # the session's Close travels on the backend's connection
            fake.stop()
    return 0


def run(app: QCoreApplication, mode: str) -> None:
    """Start the backend; on the GUI thread's loop, a hold ends in ``stop()``, an error ends the run."""

    def failed(error: HotkeyError) -> None:
        say(f"error: {error.line()}")
        app.quit()

    backend = PortalBackend(KeyCombo.parse("Ctrl+Alt+Space"), APP_ID, failed)

    def released() -> None:
        say("release")
        backend.stop()
        app.quit()

    try:
        backend.start(lambda: say("press"), released)
    except HotkeyError as exc:
        say(f"error: {exc.line()}")
        return
    QTimer.singleShot(int(TIMEOUT_S * 3000), lambda: failed(HotkeyError("timeout")))
    app.exec()
    backend.stop()


def say(line: str) -> None:
    """Print a step; called from the main thread and the fake portal's."""
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
