"""Download progress in Qt: ``QtProgress`` carries a ``Progress`` from a worker thread to the GUI
thread, and ``DownloadPanel`` shows the file being fetched (bytes, rate, time left), an overall bar
and Cancel. The first-run dialog's downloads and the settings' Ollama pulls both use them.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from desktop_assistant.fetch.progress import Rate, human_bytes, human_duration
from desktop_assistant.ui.settings_fields import plain_button

# The bars count in thousandths, so a large file still moves smoothly.
BAR_STEPS = 1000


class QtProgress(QObject):
    """The ``Progress`` protocol for a worker thread, delivered to the GUI thread as signals.

    Every ``begin`` and ``end`` is a signal; ``advance`` only updates a counter and signals when the GUI
    has taken the last one, so a fast download cannot flood the event loop. Each file has a number, so a
    late update is never counted against the next file.
    """

    # File number, label, total bytes, bytes already done: the sizes as Python ints, since a Qt int (32
    # bits) overflows past 2 GB, which a Whisper model or an Ollama pull exceeds.
    began = Signal(int, str, object, object)
    advanced = Signal()
    ended = Signal(int)

    def __init__(self) -> None:
        super().__init__()  # no parent: the worker may still hold it while the dialog goes
        self._lock = threading.Lock()
        self._file = 0
        self._done = 0
        self._signalled = False

    def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
        with self._lock:
            self._file += 1
            self._done = done_bytes
            number = self._file
        self.began.emit(number, label, total_bytes, done_bytes)

    def advance(self, n_bytes: int) -> None:
        with self._lock:
            self._done += n_bytes
            signal, self._signalled = not self._signalled, True
        if signal:
            self.advanced.emit()

    def end(self) -> None:
        with self._lock:
            number = self._file
        self.ended.emit(number)

    def take(self) -> tuple[int, int]:
        """On the GUI thread: the current file's number and its bytes done; re-arms ``advanced``."""
        with self._lock:
            self._signalled = False
            return self._file, self._done


class DownloadPanel(QWidget):
    """The file being fetched (name, bytes, rate, time left) with its bar, the overall bar, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.file_line = QLabel(self)
        self.file_line.setAccessibleName(self.tr("Current file"))
        self.file_bar = self._bar(self.tr("Current file progress"))
        self.overall_line = QLabel(self)
        self.overall_bar = self._bar(self.tr("Overall progress"))
        self.cancel = plain_button(self.tr("&Cancel download"), self.tr("Cancel download"), self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.file_line, self.file_bar, self.overall_line, self.overall_bar):
            layout.addWidget(widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel)
        layout.addLayout(row)
        self._progress: QtProgress | None = None
        self._job_total = 0
        self._finished_bytes = 0
        self._file = 0
        self._label = ""
        self._total = 0
        self._done = 0
        self._rate = Rate()
        self.hide()

    def start(self, progress: QtProgress, job_bytes: int) -> None:
        """Follow ``progress`` for a job of about ``job_bytes`` (0: unknown)."""
        self._progress = progress
        progress.began.connect(self._began)
        progress.advanced.connect(self._advanced)
        progress.ended.connect(self._ended)
        self._job_total, self._finished_bytes, self._file, self._done = job_bytes, 0, 0, 0
        self.file_line.setText(self.tr("Starting…"))
        self.file_bar.setValue(0)
        self.overall_bar.setValue(0)
        self._show_overall()
        self.cancel.setEnabled(True)
        self.cancel.show()
        self.show()

    @property
    def job_bytes(self) -> tuple[int, int]:
        """The job's bytes done and its total (at least what is done), as the overall line shows them."""
        done = self._finished_bytes + self._done
        return done, max(self._job_total, done)

    def finish(self, completed: bool) -> None:
        """The job ended: a completed one shows full bars; Cancel goes away."""
        if completed:
            self.file_bar.setValue(BAR_STEPS)
            self.overall_bar.setValue(BAR_STEPS)
            self.overall_line.setText(self.tr("Done: {done}").format(done=human_bytes(self._finished_bytes)))
        self.cancel.hide()
        self._progress = None

    def _began(self, number: int, label: str, total: int, done: int) -> None:
        self._file, self._label, self._total, self._done = number, label, total, done
        self._rate = Rate()
        self._rate.add(done)
        self._show_file()

    def _advanced(self) -> None:
        if self._progress is None:
            return
        number, done = self._progress.take()
        if number == self._file:
            self._done = done
            self._rate.add(done)
            self._show_file()

    def _ended(self, number: int) -> None:
        if number == self._file:
            self._finished_bytes += max(self._total, self._done)
            self._done = self._total = 0
            self.file_line.setText(self.tr("{label}: complete").format(label=self._label))
            self.file_bar.setValue(BAR_STEPS)
            self._show_overall()

    def _show_file(self) -> None:
        rate = self._rate.bytes_per_s()
        parts = [f"{self._label}: {human_bytes(self._done)} of {human_bytes(self._total)}"]
        if rate > 0:
            left = human_duration(self._rate.seconds_left(self._total))
            parts += [f"{human_bytes(rate)}/s", self.tr("{left} left").format(left=left)]
        self.file_line.setText(" · ".join(parts))
        self.file_bar.setValue(_steps(self._done, self._total))
        self._show_overall()

    def _show_overall(self) -> None:
        done, total = self.job_bytes
        self.overall_bar.setValue(_steps(done, total))
        self.overall_line.setText(
            self.tr("Overall: {done} of {total}").format(done=human_bytes(done), total=human_bytes(total))
        )

    def _bar(self, name: str) -> QProgressBar:
        bar = QProgressBar(self)
        bar.setRange(0, BAR_STEPS)
        bar.setAccessibleName(name)
        return bar


def _steps(done: int, total: int) -> int:
    return min(BAR_STEPS, BAR_STEPS * done // total) if total > 0 else 0
