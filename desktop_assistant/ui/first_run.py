"""The first-run dialog: what the assistant still needs, with downloads, imports and a microphone test.

``ui/first_run_gate.py`` decides when it shows: at start-up when something is missing, and when a load fails
for a missing model; not again in this session once the user closed it with something still missing ("Not
now"). Downloads run one job at a time on a worker thread (``DownloadWorker``) whose ``CancelToken``
Cancel sets at once; closing the dialog cancels the job and joins the worker. When the dialog closes the
controller re-reads the settings file (a download changes ``stt.model`` and ``tts.*``) and reloads.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.errors import ConfigError
from desktop_assistant.fetch.catalog import OLLAMA, WHISPER
from desktop_assistant.fetch.progress import Progress, human_bytes
from desktop_assistant.setup_needs import SetupNeed, SetupNeeds
from desktop_assistant.ui.download_progress import DownloadPanel, QtProgress
from desktop_assistant.ui.first_run_pages import MicrophoneSection, NeedRow
from desktop_assistant.ui.first_run_services import FirstRunServices
from desktop_assistant.ui.first_run_worker import DownloadWorker, Task
from desktop_assistant.ui.settings_fields import BackgroundCalls, PageTools, SettingsSaver, plain_button
from desktop_assistant.ui.settings_services import SettingsServices

log = logging.getLogger(__name__)

# Closing the dialog waits this long for a cancelled download to let go (it is a daemon thread after).
JOIN_S = 2.0
MIN_WIDTH = 560
# Room around the scrolled content for the dialog's margins, its status line and buttons.
FRAME_PX = 24


class FirstRunDialog(QDialog):
    """What is missing and why, a Download and Import per need, Download all, progress, and the
    microphone. Every slow call runs off the GUI thread."""

    def __init__(
        self,
        needs: SetupNeeds,
        services: FirstRunServices,
        settings_services: SettingsServices,
        store: SettingsStore,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Set up Desktop Assistant"))
        self.setMinimumWidth(MIN_WIDTH)
        self._services = services
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        self._calls = BackgroundCalls(self.show_status)
        self.destroyed.connect(self._calls.close)
        try:
            settings = store.load()
        except ConfigError as exc:
            settings = Settings()
            self.show_status(exc.line())
        saver = SettingsSaver(store, settings, self)
        saver.failed.connect(self.show_status)
        self.rows: dict[str, NeedRow] = {}
        self._rows_layout = QVBoxLayout()
        self.download_all = plain_button("", self.tr("Download all"), self)
        self.download_all.clicked.connect(
            lambda: self._run([r.need for r in self.rows.values() if _fetchable(r)])
        )
        self.panel = DownloadPanel(self)
        self.panel.cancel.clicked.connect(self._cancel)
        self.microphone = MicrophoneSection(
            PageTools(saver, self._calls, settings_services, self.show_status), self
        )
        self.close_button = QPushButton(self)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_all)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        # The needs, progress and microphone scroll, so the dialog fits a small screen at 2x.
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.addWidget(self.intro)
        inner.addLayout(self._rows_layout)
        inner.addWidget(self.panel)
        inner.addWidget(self.microphone)
        inner.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._content = content
        self._worker = DownloadWorker()
        self._worker.task_ended.connect(self._task_ended)
        self._worker.job_ended.connect(self._job_ended)
        self._importing = False
        self._completed = True
        self._closed = False
        self._apply(needs)
        self._fit_screen()

    def _fit_screen(self) -> None:
        """As tall as the content, within nine tenths of the screen (the rest scrolls)."""
        room = self.screen().availableGeometry()
        wanted = self._content.sizeHint() + QSize(FRAME_PX, FRAME_PX * 5)
        width = min(max(wanted.width(), MIN_WIDTH), room.width())
        self.resize(width, min(wanted.height(), room.height() * 9 // 10))

    def missing(self) -> list[SetupNeed]:
        """The needs not met yet."""
        return [row.need for row in self.rows.values() if not row.ready]

    def show_status(self, line: str) -> None:
        """Show one line (a failed check or import, a refused setting) above the buttons."""
        self.status.setText(line)

    def done(self, result: int) -> None:
        """Close; a download in progress is cancelled and its worker joined first."""
        if self._worker.busy:
            self._worker.cancel()
            if not self._worker.join(JOIN_S):
                log.warning("A cancelled download is still finishing; leaving it behind")
        if not self._closed:
            # What the worker still reports is for a dialog that has gone.
            self._closed = True
            self._worker.task_ended.disconnect(self._task_ended)
            self._worker.job_ended.disconnect(self._job_ended)
            self._calls.close()
        super().done(result)

    # ----- needs -----------------------------------------------------------------------------

    def _apply(self, needs: SetupNeeds) -> None:
        """Show ``needs``: rows no longer needed say Ready; new ones get a row."""
        found = {need.kind: need for need in needs.needs}
        for kind, row in self.rows.items():
            if kind == OLLAMA and not needs.ollama_checked:
                continue
            if kind in found:
                row.set_need(found[kind])
            elif not row.ready:
                row.set_ready()
        for need in needs.needs:
            if need.kind not in self.rows:
                self._add_row(need)
        self._update()

    def _add_row(self, need: SetupNeed) -> None:
        row = NeedRow(need, self)
        self.rows[need.kind] = row
        self._rows_layout.addWidget(row)
        row.download.clicked.connect(lambda: self._run([row.need]))
        row.import_files.clicked.connect(lambda: self._import(row))
        row.check_again.clicked.connect(lambda: self._recheck(True))
        if row.is_ollama:
            self._calls.run(self._services.ollama_hint, row.hint.setText)

    def _recheck(self, check_ollama: bool) -> None:
        if check_ollama and OLLAMA in self.rows:
            self.rows[OLLAMA].check_again.setEnabled(False)
        self._calls.run(lambda: self._services.needs(check_ollama), self._apply, self._check_failed)

    def _check_failed(self, line: str) -> None:
        self.show_status(line)
        self._update()

    def _update(self) -> None:
        busy = self._worker.busy or self._importing
        for row in self.rows.values():
            row.set_busy(busy)
        fetchable = [row.need for row in self.rows.values() if _fetchable(row)]
        total = sum(need.entry.download_bytes for need in fetchable)
        self.download_all.setText(self.tr("Download &all ({size})").format(size=human_bytes(total)))
        self.download_all.setVisible(len(fetchable) > 1)
        self.download_all.setEnabled(not busy)
        missing = bool(self.missing())
        self.intro.setText(
            self.tr("A few things are missing before the assistant can talk with you.")
            if missing
            else self.tr("Everything is ready: press Done and ask your first question.")
        )
        self.close_button.setText(self.tr("&Not now") if missing else self.tr("&Done"))
        self.close_button.setAccessibleName(self.tr("Not now") if missing else self.tr("Done"))
        self.close_button.setDefault(not missing)
        self._order_tabs()

    def _order_tabs(self) -> None:
        """Rows first, in order, then Download all, the progress, the microphone and Close."""
        page = self.microphone.page
        chain: list[QWidget] = [
            w for r in self.rows.values() for w in (r.download, r.import_files, r.check_again)
        ]
        chain += [self.download_all, self.panel.cancel, page.input_device, page.output_device, page.tone]
        chain += [self.microphone.test, self.close_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    # ----- downloads and imports -------------------------------------------------------------

    def _run(self, needs: list[SetupNeed]) -> None:
        if self._worker.busy or self._importing or not needs:
            return
        tasks: list[Task] = [(need, self._task(need)) for need in needs]
        for need in needs:
            self.rows[need.kind].problem.setText(self.tr("Waiting to download…"))
        progress = QtProgress()
        self.panel.start(progress, sum(need.entry.download_bytes for need in needs))
        self._completed = True
        self._worker.start(tasks, progress)
        self._update()

    def _task(self, need: SetupNeed) -> Callable[[Progress, CancelToken], None]:
        if need.kind == OLLAMA:
            return lambda progress, cancel: self._services.pull(need.entry.name, progress, cancel)
        return lambda progress, cancel: self._services.install(need.entry, progress, cancel)

    def _cancel(self) -> None:
        self._worker.cancel()
        self.panel.cancel.setEnabled(False)
        self.panel.file_line.setText(self.tr("Cancelling…"))

    def _task_ended(self, kind: str, line: str, cancelled: bool) -> None:
        row = self.rows[kind]
        if cancelled:
            row.set_cancelled()
        elif line:
            row.set_error(line)
        else:
            row.set_ready()
        self._completed = self._completed and not line

    def _job_ended(self) -> None:
        self._worker.join()
        self.panel.finish(self._completed)
        self._update()
        left = ", ".join(need.entry.name for need in self.missing()) or "nothing"
        log.info("First run: the downloads are over; still missing: %s", left)
        self._recheck(OLLAMA in self.rows and self.rows[OLLAMA].ready)

    def _import(self, row: NeedRow) -> None:
        if row.need.kind == WHISPER:
            folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a Whisper model folder"))
            if not folder:
                return
            call: Callable[[], None] = lambda: self._services.import_whisper(Path(folder))  # noqa: E731
        else:
            files, _ = QFileDialog.getOpenFileNames(
                self,
                self.tr("Choose the Kokoro model (.onnx), its voices file, or both"),
                "",
                self.tr("Kokoro files (*.onnx *.bin *.npz);;All files (*)"),
            )
            if not files:
                return
            call = lambda: self._services.import_kokoro([Path(f) for f in files])  # noqa: E731
        self._importing = True
        row.problem.setText(self.tr("Checking and copying the files…"))
        self._update()
        self._calls.run(call, lambda _: self._imported(row, ""), lambda line: self._imported(row, line))

    def _imported(self, row: NeedRow, line: str) -> None:
        self._importing = False
        if line:
            row.set_error(line)
        self._update()
        self._recheck(False)


def _fetchable(row: NeedRow) -> bool:
    """Whether the row's need is still missing and a download (or a pull) fixes it."""
    return not row.ready and (not row.is_ollama or row.need.reachable)
