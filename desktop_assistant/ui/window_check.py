"""The self-test's window check (``desktop_assistant/selftest.py``), run as
``python -m desktop_assistant.ui.window_check``: the app's main window, shown and painted on Qt's
offscreen platform, so a bundle missing a Qt library, plugin or font fails it anywhere, with or without
a display. Prints what it showed and exits 0, or one line on stderr and exits 1."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication

from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.errors import AssistantError, first_line
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.tray import state_icon

log = logging.getLogger(__name__)


def _to_log(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    # The offscreen platform warns of what it cannot do (size hints); the log keeps it, not the output.
    log.debug("Qt: %s", message)


def show_offscreen_window() -> str:
    """Show and paint the main window offscreen; what was shown, or an AssistantError saying what failed."""
    if QApplication.instance() is not None:
        raise AssistantError("The window check needs a process without a Qt application")
    previous = qInstallMessageHandler(_to_log)
    try:
        return _show()
    finally:
        qInstallMessageHandler(previous)


def _show() -> str:
    # -platform on the command line beats QT_QPA_PLATFORM, so the user's environment cannot move it.
    app = QApplication(["desktop-assistant", "-platform", "offscreen"])
    app.setWindowIcon(state_icon("idle"))
    window = MainWindow(LlmSettings().max_image_side)
    window.show()
    app.processEvents()
    handle = window.windowHandle()
    picture = window.grab()
    shown = window.isVisible() and handle is not None and handle.isExposed()
    window.close()
    app.processEvents()
    if not shown or picture.isNull():
        raise AssistantError(f"The main window was not shown on Qt's {app.platformName()} platform")
    return f"main window {picture.width()}x{picture.height()} on {app.platformName()}"


def main() -> int:
    """Run the check; its result on stdout, or why it failed on stderr."""
    try:
        print(show_offscreen_window())
    except Exception as exc:  # the parent reports whatever broke, in one line
        message = (
            exc.line() if isinstance(exc, AssistantError) else f"{type(exc).__name__}: {first_line(exc)}"
        )
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
