"""When the first-run dialog shows: at start-up when something is missing, and when a load fails for a
missing model; not again in this session once the user closed it with something still missing ("Not
now"). The check runs off the GUI thread; ``closed`` tells the controller to re-read the settings, with
what is still missing.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from desktop_assistant.config.store import SettingsStore
from desktop_assistant.setup_needs import SetupNeeds
from desktop_assistant.ui.first_run import FirstRunDialog
from desktop_assistant.ui.first_run_services import FirstRunServices
from desktop_assistant.ui.settings_fields import BackgroundCalls
from desktop_assistant.ui.settings_services import SettingsServices

log = logging.getLogger(__name__)


class FirstRunGate(QObject):
    """Shows the first-run dialog when something is missing, once per session after "Not now";
    ``closed`` follows each close (not the one ``close()`` makes at quit), with the needs still unmet
    (a ``list[SetupNeed]``)."""

    closed = Signal(object)

    def __init__(self, store: SettingsStore, window: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._window = window
        self._declined = False
        self.dialog: FirstRunDialog | None = None
        self._calls = BackgroundCalls(lambda line: log.warning("The first-run check failed: %s", line))

    def check(self, services: FirstRunServices, settings_services: SettingsServices) -> None:
        """Ask ``services`` what is missing (off the GUI thread) and show the dialog if anything is."""
        if self._declined or self.dialog is not None:
            return
        self._calls.run(
            lambda: services.needs(True), lambda needs: self._show(needs, services, settings_services)
        )

    def close(self) -> None:
        """The app is quitting: close the dialog (cancelling a download) and drop checks under way."""
        self._calls.close()
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.finished.disconnect(self._finished)
            dialog.reject()

    def _show(
        self, needs: SetupNeeds, services: FirstRunServices, settings_services: SettingsServices
    ) -> None:
        if not needs or self._declined or self.dialog is not None:
            return
        dialog = self.dialog = FirstRunDialog(needs, services, settings_services, self._store, self._window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._finished)
        dialog.show()

    def _finished(self) -> None:
        dialog, self.dialog = self.dialog, None
        missing = dialog.missing() if dialog is not None else []
        if missing:
            self._declined = True
        self.closed.emit(missing)
