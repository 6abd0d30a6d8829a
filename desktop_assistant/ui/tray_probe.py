"""Whether this desktop session can show the app's tray icon: ``python -m desktop_assistant.ui.tray_probe``.

``doctor`` runs it in a child process, so that the command itself stays free of Qt, and a Qt that
cannot reach the display (it aborts the process) or hangs is a failed check, not a failed doctor. It
prints one JSON line, ``{"ok", "detail", "fix"}``, and exits 0 when there is a tray, else 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping

from desktop_assistant.errors import AssistantError

NO_DISPLAY_FIX = "run it in your desktop session"
NO_TRAY_FIX = (
    "install or enable a system tray, e.g. the AppIndicator extension on GNOME; without one, "
    "the window is the app and closing it quits"
)


def check_display(environ: Mapping[str, str]) -> None:
    """Qt aborts the process when it finds no display; say what to do instead (Linux only)."""
    if not sys.platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return
    if not environ.get("DISPLAY") and not environ.get("WAYLAND_DISPLAY"):
        raise AssistantError(
            "No desktop session to show the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)",
            "Start it from your desktop session, or ask without a window: desktop-assistant ask --audio FILE",
        )


def tray_state(environ: Mapping[str, str]) -> tuple[bool, str, str]:
    """Whether a system tray is available here, what was found, and the fix when there is none."""
    try:
        check_display(environ)
    except AssistantError:
        return False, "no display: neither DISPLAY nor WAYLAND_DISPLAY is set", NO_DISPLAY_FIX
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    # The tray is asked through the application's connection to the display.
    _app = QApplication.instance() or QApplication(sys.argv[:1])
    platform = QGuiApplication.platformName()
    if QSystemTrayIcon.isSystemTrayAvailable():
        return True, f"a system tray is available ({platform})", ""
    return False, f"no system tray in this session ({platform})", NO_TRAY_FIX


def main() -> int:
    """Print the tray's state as one JSON line; 0 when there is a tray."""
    ok, detail, fix = tray_state(os.environ)
    print(json.dumps({"ok": ok, "detail": detail, "fix": fix}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
