"""Pulling and deleting Ollama models from the Assistant settings page.

Pull… asks for a name (the catalog's vision models with their sizes, or any name typed), then pulls it
on a settings worker while ``PullDialog`` shows the bytes of all its layers, the rate and the time left
through the first-run dialog's ``QtProgress`` and ``DownloadPanel``. Cancel, Escape or the dialog going
away with the settings sets the pull's ``CancelToken``, and the pull fails at once with one line. Delete
asks first, naming the model and its size. Every dialog opens window-modal without a nested event loop.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QDialog, QInputDialog, QMessageBox, QVBoxLayout, QWidget

from desktop_assistant.cancel import CancelToken
from desktop_assistant.fetch.catalog import CatalogEntry
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.llm.ollama_host import resolve_host
from desktop_assistant.llm.ollama_models import full_name
from desktop_assistant.ui.download_progress import DownloadPanel, QtProgress
from desktop_assistant.ui.settings_fields import PageTools, plain_button
from desktop_assistant.ui.settings_services import ModelInfo

# Room for the progress line's bytes, rate and time left.
PULL_DIALOG_WIDTH = 460
# The server to ask: its configured host (empty: the default) and the API key, if any.
Server = Callable[[], tuple[str, str | None]]


class PullDialog(QDialog):
    """One pull's progress: the bytes of its layers together, the rate, the time left, and Cancel.

    ``progress`` and ``cancel_token`` go to the worker; ``finish`` closes the dialog once it ended. Closing
    it earlier (Escape, the title bar) cancels the pull, and so does its destruction.
    """

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Pulling {name}").format(name=name))
        self.setMinimumWidth(PULL_DIALOG_WIDTH)
        self.name = name
        self.progress = QtProgress()
        self.cancel_token = CancelToken()
        self._ended = False
        self.panel = DownloadPanel(self)
        # A pull is a job of one: an overall line would repeat the pull's own.
        self.panel.overall_line.hide()
        self.panel.overall_bar.hide()
        self.panel.cancel.setText(self.tr("&Cancel pull"))
        self.panel.cancel.setAccessibleName(self.tr("Cancel pull"))
        self.panel.cancel.clicked.connect(self.cancel)
        self.panel.start(self.progress, 0)
        # Connected after the panel's own slot, so this line replaces its "complete".
        self.progress.ended.connect(self._loading)
        self.destroyed.connect(self.cancel_token.set)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)

    def cancel(self) -> None:
        """Set the pull's token; the worker's failure closes the dialog a moment later."""
        self.cancel_token.set()
        self.panel.cancel.setEnabled(False)
        self.panel.file_line.setText(self.tr("Cancelling…"))

    def finish(self, completed: bool) -> None:
        """The pull ended (``completed``: pulled and loaded): close."""
        self._ended = True
        self.panel.finish(completed)
        super().done(QDialog.DialogCode.Accepted if completed else QDialog.DialogCode.Rejected)

    def done(self, result: int) -> None:
        """Close; a pull still running is cancelled."""
        if not self._ended:
            self.cancel()
        super().done(result)

    def _loading(self) -> None:
        self.panel.cancel.setEnabled(False)
        self.panel.file_line.setText(
            self.tr("Loading {name} so that it answers sooner…").format(name=self.name)
        )


class ModelActions(QObject):
    """The page's Pull… and Delete buttons and the work they start, one at a time.

    The outcome comes back as signals on the GUI thread: ``pulled`` (the model's full name, pulled and
    loaded), ``deleted`` (its name), or ``failed`` (one line, a cancelled pull included).
    """

    pulled = Signal(str)
    deleted = Signal(str)
    failed = Signal(str)

    def __init__(self, tools: PageTools, server: Server, parent: QWidget) -> None:
        super().__init__(parent)
        self._tools = tools
        self._server = server
        self._parent = parent
        self._selected: ModelInfo | None = None
        self._working = False
        self.pull_button = plain_button(self.tr("P&ull…"), self.tr("Pull a model onto the server"), parent)
        self.pull_button.clicked.connect(self._ask_name)
        self.delete_button = plain_button(self.tr("&Delete"), self.tr("Delete the chosen model"), parent)
        self.delete_button.clicked.connect(self._confirm_delete)
        # The dialog of each step while it is open (None otherwise).
        self.name_dialog: QInputDialog | None = None
        self.pull_dialog: PullDialog | None = None
        self.confirmation: QMessageBox | None = None
        self.select(None)

    def select(self, info: ModelInfo | None) -> None:
        """The model chosen in the list (None: one the server does not have); Delete is for it."""
        self._selected = info
        self._enable()

    def _set_working(self, working: bool) -> None:
        """One step at a time: the buttons are grey while a step runs on a worker."""
        self._working = working
        self._enable()

    def _enable(self) -> None:
        self.pull_button.setEnabled(not self._working)
        self.delete_button.setEnabled(not self._working and self._selected is not None)

    # ----- pull ------------------------------------------------------------------------------

    def _ask_name(self) -> None:
        self._set_working(True)
        self._tools.calls.run(self._tools.services.ollama_catalog, self._show_names, self._no_catalog)

    def _no_catalog(self, line: str) -> None:
        self.failed.emit(line)
        self._show_names([])

    def _show_names(self, entries: list[CatalogEntry]) -> None:
        """The name dialog: an editable list of ``entries`` shown with their download sizes."""
        self._set_working(False)
        names = {f"{e.name} — {human_bytes(e.download_bytes)}": e.name for e in entries}
        dialog = QInputDialog(self._parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowTitle(self.tr("Pull a model"))
        dialog.setLabelText(self.tr("A vision model from the catalog, or any name from ollama.com/library:"))
        dialog.setComboBoxItems(list(names))
        dialog.setComboBoxEditable(True)
        dialog.setOkButtonText(self.tr("&Pull"))
        dialog.textValueSelected.connect(lambda text: self._pull(_name(names, text)))
        self.name_dialog = dialog
        dialog.finished.connect(self._names_closed)
        dialog.open()

    def _names_closed(self) -> None:
        self.name_dialog = None

    def _pull(self, name: str) -> None:
        host, key = self._server()
        dialog = PullDialog(name, self._parent)
        self.pull_dialog = dialog
        self._set_working(True)
        services = self._tools.services
        self._tools.calls.run(
            lambda: services.pull_ollama_model(host, key, name, dialog.progress, dialog.cancel_token),
            lambda _: self._pull_ended(dialog, ""),
            lambda line: self._pull_ended(dialog, line),
        )
        dialog.open()

    def _pull_ended(self, dialog: PullDialog, line: str) -> None:
        dialog.finish(not line)
        dialog.deleteLater()
        self.pull_dialog = None
        self._set_working(False)
        if line:
            self.failed.emit(line)
        else:
            self.pulled.emit(full_name(dialog.name))

    # ----- delete ----------------------------------------------------------------------------

    def _confirm_delete(self) -> None:
        info = self._selected
        if info is None:
            return
        host, _key = self._server()
        size = f" ({human_bytes(info.size_bytes)})" if info.size_bytes else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Delete model"),
            self.tr("Delete {name}{size} from Ollama at {host}?").format(
                name=info.name, size=size, host=resolve_host(host)
            ),
            QMessageBox.StandardButton.Cancel,
            self._parent,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # The chosen model is the one in use: the assistant cannot answer until another is chosen.
        box.setInformativeText(self.tr("The assistant uses it now: choose or pull another one after."))
        box.addButton(self.tr("&Delete"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: self._answered(box, button, info.name))
        self.confirmation = box
        box.finished.connect(self._confirmation_closed)
        box.open()

    def _confirmation_closed(self) -> None:
        self.confirmation = None

    def _answered(self, box: QMessageBox, button: QAbstractButton, name: str) -> None:
        if box.buttonRole(button) == QMessageBox.ButtonRole.DestructiveRole:
            self._delete(name)

    def _delete(self, name: str) -> None:
        host, key = self._server()
        self._set_working(True)
        services = self._tools.services
        self._tools.calls.run(
            lambda: services.delete_ollama_model(host, key, name),
            lambda _: self._delete_ended(name, ""),
            lambda line: self._delete_ended(name, line),
        )

    def _delete_ended(self, name: str, line: str) -> None:
        self._set_working(False)
        if line:
            self.failed.emit(line)
        else:
            self.deleted.emit(name)


def _name(names: dict[str, str], text: str) -> str:
    """The model a choice in the name dialog means: the listed entry's name, else the text as typed."""
    return names.get(text, text).strip()
