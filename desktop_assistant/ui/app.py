"""``desktop-assistant run``: the Qt application around the controller, one instance per user; the
composition root of the desktop app, which hands the controller what it drives."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from desktop_assistant.app import Context, RuntimeLoad
from desktop_assistant.assets import APP_ID, icon_files
from desktop_assistant.config.settings import UiSettings
from desktop_assistant.errors import AssistantError
from desktop_assistant.hotkey.base import HotkeyBackend, HotkeyError, KeyCombo
from desktop_assistant.hotkey.choose import choose_backend
from desktop_assistant.ui.controller import AppController, AppServices
from desktop_assistant.ui.first_run_services import AppFirstRunServices
from desktop_assistant.ui.instance import InstanceGuard, send_command
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.settings_services import AppSettingsServices
from desktop_assistant.ui.tray import TrayIcon
from desktop_assistant.ui.tray_probe import check_display

log = logging.getLogger(__name__)


def system_hotkeys(ui: UiSettings, on_error: Callable[[HotkeyError], None]) -> HotkeyBackend | None:
    """The global hotkey backend the ``ui`` settings and this desktop session call for."""
    return choose_backend(ui.hotkey_backend, KeyCombo.parse(ui.hotkey), APP_ID, os.environ, on_error)


SERVICES = AppServices(
    open_runtime=RuntimeLoad,
    settings_services=AppSettingsServices,
    hotkeys=system_hotkeys,
    first_run=AppFirstRunServices,
)


def run_app() -> int:
    """Show the app (or, when one already runs, its window) and run until the user quits."""
    context = Context.load()
    check_display(os.environ)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Desktop Assistant")
    # Wayland compositors match the window to the installed desktop entry (and its icon) by this name.
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    controller: AppController | None = None

    def handle(command: str) -> str | None:
        if controller is None:
            return app.translate("App", "still starting")
        return controller.command(command)

    guard = InstanceGuard(context.paths, handle)
    if not guard.acquire():
        error = send_command(context.paths, "show")
        if error is not None:
            raise AssistantError(app.translate("App", "The running app did not answer: {0}").format(error))
        print(app.translate("App", "Desktop Assistant is already running; its window is now shown."))
        return 0
    window = MainWindow(context.settings.llm.max_image_side)
    tray = TrayIcon() if QSystemTrayIcon.isSystemTrayAvailable() else None
    window.hide_on_close = tray is not None
    app.setQuitOnLastWindowClosed(tray is None)
    controller = AppController(context, window, tray, SERVICES)
    if tray is not None:
        tray.quit_requested.connect(app.quit)
        tray.show()
    else:
        window.show_status(
            app.translate("App", "No system tray here: this window is the app; closing it quits.")
        )
    signals = SignalWatcher(app)
    window.show()
    controller.start()
    try:
        status = app.exec()
    finally:
        signals.close()
        stopped = controller.shutdown()
        if tray is not None:
            tray.hide()
        guard.release()
    if not stopped:
        # A model load or a synthesis cannot be interrupted; leaving its thread to the interpreter's
        # exit can crash inside the model library, so end the process here (all else is closed).
        logging.shutdown()
        os._exit(status)
    return status


def app_icon() -> QIcon:
    """The app's icon at every packaged size, so each place it is shown gets a sharp one."""
    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon


class SignalWatcher(QObject):
    """Ctrl+C and SIGTERM quit through the event loop, so the engine and devices close cleanly."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)
        signal.set_wakeup_fd(self._writer.fileno())
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda *_: None)  # the wake-up byte does the work
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._woke)
        self._app = app

    def close(self) -> None:
        """Stop watching and give the signals back to Python."""
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL if number == signal.SIGTERM else signal.default_int_handler)
        self._reader.close()
        self._writer.close()

    def _woke(self) -> None:
        self._reader.recv(64)
        self._app.quit()
