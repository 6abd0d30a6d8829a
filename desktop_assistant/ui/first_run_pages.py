"""The first-run dialog's parts: a row per missing thing, the download progress, the microphone test.

A download reports through ``QtProgress`` from its worker thread; the panel shows the file's bytes,
rate and time left and an overall bar. The microphone section is the settings dialog's audio page
(device lists, live level, saved through the same ``SettingsSaver``) with a three-second test that
plays back what it recorded.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from desktop_assistant.fetch.catalog import OLLAMA
from desktop_assistant.fetch.progress import Rate, human_bytes, human_duration
from desktop_assistant.setup_needs import SetupNeed, short_title
from desktop_assistant.ui.level_meter import level_from_rms
from desktop_assistant.ui.settings_fields import PageTools, plain_button
from desktop_assistant.ui.settings_services import MIC_RATE
from desktop_assistant.ui.settings_sound import AudioPage

# The bars count in thousandths, so a large file still moves smoothly.
BAR_STEPS = 1000
MIC_TEST_S = 3.0
# The test's loudness is the loudest block of this length, as the live meter would show it.
MIC_BLOCK_MS = 20
# The meter position (dB scale, 0..1) above which the test counts as having heard something: about
# -44 dBFS, above a quiet room and well below speech.
HEARD_LEVEL = 0.3


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
        self.show()

    @property
    def job_bytes(self) -> tuple[int, int]:
        """The job's bytes done and its total (at least what is done), as the overall line shows them."""
        done = self._finished_bytes + self._done
        return done, max(self._job_total, done)

    def finish(self, completed: bool) -> None:
        """The job ended: a completed one shows full bars; Cancel goes grey."""
        if completed:
            self.file_bar.setValue(BAR_STEPS)
            self.overall_bar.setValue(BAR_STEPS)
            self.overall_line.setText(self.tr("Done: {done}").format(done=human_bytes(self._finished_bytes)))
        self.cancel.setEnabled(False)
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


class NeedRow(QGroupBox):
    """One missing thing: why it matters, what was found, and the buttons that fix it.

    Model rows offer Download (with its size) and Import files…; the Ollama row the start hint, Check
    again and, once the server answers without the model, Pull.
    """

    def __init__(self, need: SetupNeed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.need = need
        self.ready = False
        self.error = ""
        self.reason = self._label(self.tr("Why"))
        self.problem = self._label(self.tr("Problem"))
        self.hint = self._label(self.tr("How to start Ollama"))
        self.download = QPushButton(self)
        self.download.setAutoDefault(False)
        self.import_files = plain_button(self.tr("&Import files…"), self.tr("Import files"), self)
        self.check_again = plain_button(self.tr("Check &again"), self.tr("Check Ollama again"), self)
        buttons = QHBoxLayout()
        for button in (self.download, self.import_files, self.check_again):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        for label in (self.reason, self.problem, self.hint):
            layout.addWidget(label)
        layout.addLayout(buttons)
        self.set_need(need)

    @property
    def is_ollama(self) -> bool:
        """Whether this row is the Ollama server's."""
        return self.need.kind == OLLAMA

    def set_need(self, need: SetupNeed) -> None:
        """Show ``need`` (after a check); an error from the last try stays until the next one."""
        self.need, self.ready = need, False
        self.setTitle(self.tr("Ollama") if self.is_ollama else short_title(need.entry))
        self.reason.setText(need.reason)
        self.reason.show()
        self.problem.setText(self.error or need.problem)
        self.hint.setVisible(self.is_ollama and not need.reachable)
        self.check_again.setVisible(self.is_ollama)
        self.import_files.setVisible(not self.is_ollama)
        self.download.setVisible(not self.is_ollama or need.reachable)
        self._label_download()

    def set_ready(self) -> None:
        """The need is met: say so; no buttons, and no reason ("The assistant needs…") under Ready."""
        self.ready, self.error = True, ""
        self.problem.setText(self.tr("Ready."))
        self.reason.hide()
        self.hint.hide()
        for button in (self.download, self.import_files, self.check_again):
            button.hide()

    def set_error(self, line: str) -> None:
        """The last try failed with ``line``; Download becomes Retry."""
        self.error = line
        self.problem.setText(line)
        self._label_download()

    def set_cancelled(self) -> None:
        """The download was cancelled: offer it again as at first."""
        self.error = ""
        self.problem.setText(self.tr("Cancelled."))
        self._label_download()

    def set_busy(self, busy: bool) -> None:
        """Grey the buttons while any download or import runs."""
        for button in (self.download, self.import_files, self.check_again):
            button.setEnabled(not busy)

    def _label_download(self) -> None:
        size = self.need.entry.download_bytes
        verb = self.tr("Pull") if self.is_ollama else self.tr("Download")
        text = self.tr("&Retry") if self.error else (f"&{verb} ({human_bytes(size)})" if size else f"&{verb}")
        self.download.setText(text)
        self.download.setAccessibleName(f"{verb} {self.need.entry.name}")

    def _label(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setWordWrap(True)
        label.setAccessibleName(name)
        return label


class MicrophoneSection(QGroupBox):
    """The microphone and speaker from the settings' audio page, and a test that records
    ``MIC_TEST_S``, says how loud it was, and plays it back on the speaker."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Microphone"), parent)
        self._tools = tools
        self.page = AudioPage(tools, self)
        # The first run is about hearing and being heard; these two wait in the settings.
        for box in (self.page.early_reply, self.page.voice_cues):
            self.page.form.setRowVisible(box, False)
        self.test = plain_button(self.tr("&Test microphone"), self.tr("Test microphone"), self)
        self.test.clicked.connect(self._start_test)
        self.result = QLabel(
            self.tr("Choose a microphone, press Test and say something: you will hear it played back."), self
        )
        self.result.setWordWrap(True)
        self.result.setAccessibleName(self.tr("Microphone test result"))
        row = QHBoxLayout()
        row.addWidget(self.test)
        row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.page)
        layout.addLayout(row)

    def _start_test(self) -> None:
        self.test.setEnabled(False)
        self.result.setText(self.tr("Listening… say something."))
        self.page.record(MIC_TEST_S, self._recorded, self._failed)

    def _recorded(self, samples: npt.NDArray[np.float32]) -> None:
        peak = peak_level(samples)
        percent = round(peak * 100)
        if peak < HEARD_LEVEL:
            self.test.setEnabled(True)
            self.result.setText(
                self.tr(
                    "Hardly anything was heard (peak {n} %): check the microphone is on and not muted."
                ).format(n=percent)
            )
            return
        self.result.setText(
            self.tr("Heard you (the level peaked at {n} %); playing it back…").format(n=percent)
        )
        device = self._tools.saver.current.audio.output_device
        self._tools.calls.run(
            lambda: self._tools.services.play_recording(samples, device),
            lambda _: self._played(percent),
            self._failed,
        )

    def _played(self, percent: int) -> None:
        self.test.setEnabled(True)
        self.result.setText(
            self.tr(
                "Heard you: the level peaked at {n} %, and that was you played back. If it sounded "
                "faint or muffled, try another microphone."
            ).format(n=percent)
        )

    def _failed(self, line: str) -> None:
        self.test.setEnabled(True)
        self.result.setText(line)


def peak_level(samples: npt.NDArray[np.float32]) -> float:
    """The loudest ``MIC_BLOCK_MS`` block of ``samples`` (at ``MIC_RATE``) as a meter position, 0..1."""
    size = MIC_RATE * MIC_BLOCK_MS // 1000
    blocks = samples[: len(samples) // size * size].reshape(-1, size)
    if not len(blocks):
        return 0.0
    return level_from_rms(float(np.sqrt(np.mean(blocks.astype(np.float64) ** 2, axis=1)).max()))
