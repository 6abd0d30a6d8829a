"""The first-run dialog's parts: a row per missing thing and the microphone test.

The microphone section is the settings dialog's audio page (device lists, live level, saved through
the same ``SettingsSaver``) with a three-second test that plays back what it recorded. The download
progress is ``ui/download_progress.py``'s, shared with the settings' model pulls.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_assistant.fetch.catalog import OLLAMA
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.setup_needs import SetupNeed, short_title
from desktop_assistant.ui.level_meter import level_from_rms
from desktop_assistant.ui.settings_fields import PageTools, plain_button
from desktop_assistant.ui.settings_services import MIC_RATE
from desktop_assistant.ui.settings_sound import AudioPage

MIC_TEST_S = 3.0
# The test's loudness is the loudest block of this length, as the live meter would show it.
MIC_BLOCK_MS = 20
# The meter position (dB scale, 0..1) above which the test counts as having heard something: about
# -44 dBFS, above a quiet room and well below speech.
HEARD_LEVEL = 0.3


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
