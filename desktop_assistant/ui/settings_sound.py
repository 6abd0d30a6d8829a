"""The settings pages that make sound: the audio devices (with a live level and a test tone) and the voice."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QPushButton, QSlider, QWidget

from desktop_assistant.ui.level_meter import LevelMeter
from desktop_assistant.ui.settings_fields import PageTools, SettingsPage, plain_button, rule_of, side_by_side
from desktop_assistant.ui.settings_services import MicrophoneLevel

# The speed slider works in hundredths, so 1.05 is reachable by keyboard.
SPEED_STEPS = 100


class AudioPage(SettingsPage):
    """Microphone and speaker; the chosen microphone's level shows while the page is visible."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        services = tools.services
        self.input_device = self._device_combo(
            "audio.input_device", self.tr("&Microphone"), services.input_devices
        )
        self.meter = LevelMeter(self)
        self.form.addRow(QLabel(self.tr("Level"), self), self.meter)
        self.output_device = self._device_combo(
            "audio.output_device", self.tr("&Speaker"), services.output_devices
        )
        self.tone = plain_button(self.tr("Play &test tone"), self.tr("Play test tone"), self)
        self.tone.clicked.connect(self._play_tone)
        self.form.addRow("", self.tone)
        self.early_reply = self.check_box(
            "audio.early_reply",
            self.tr("Start the &reply when I pause, before I let go"),
            self.tr("The answer is prepared while the key is still held; it is heard only after you let go."),
        )
        self.voice_cues = self.check_box(
            "audio.voice_cues",
            self.tr("Tell the assistant how I &sounded"),
            self.tr(
                "A spoken question that sounded unusual for you goes with a short note (e.g. spoken quickly)."
            ),
        )
        self._visible = False
        self._meter_device: str | None = None
        self._level: MicrophoneLevel | None = None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._visible = True
        self._open_level()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._visible = False
        self._close_level()

    def _device_combo(self, key: str, label: str, listing: Callable[[], list[str]]) -> QComboBox:
        combo = QComboBox(self)
        self._fill(combo, key, [])
        combo.activated.connect(lambda index: self._choose(key, combo.itemData(index)))
        self.add_row(label, combo)
        self.tools.calls.run(listing, lambda names: self._fill(combo, key, names))
        return combo

    def _fill(self, combo: QComboBox, key: str, names: list[str]) -> None:
        """The system default, then ``names``; a configured device that is missing stays, marked."""
        current = str(self.tools.saver.current.get(key))
        combo.clear()
        combo.addItem(self.tr("System default"), "")
        for name in names:
            combo.addItem(name, name)
        if current and current not in names:
            combo.addItem(self.tr("{name} (not found)").format(name=current), current)
        combo.setCurrentIndex(combo.findData(current))

    def _choose(self, key: str, device: str) -> None:
        if self.tools.saver.save(key, device) and key == "audio.input_device" and self._visible:
            self._close_level()
            self._open_level()

    def _open_level(self) -> None:
        device = self.tools.saver.current.audio.input_device
        self._meter_device = device
        self.tools.calls.run(
            lambda: self.tools.services.open_level_meter(device),
            lambda level: self._level_opened(device, level),
            self._level_failed,
        )

    def _level_opened(self, device: str, level: MicrophoneLevel) -> None:
        if not self._visible or device != self._meter_device:
            # Opened for a page since hidden or a device since changed.
            self._release(level)
            return
        if self._level is not None:
            self._release(self._level)
        self._level = level
        self.meter.set_source(level.level)
        self.meter.start()

    def _level_failed(self, line: str) -> None:
        self.meter.stop()
        self.tools.report(line)

    def _close_level(self) -> None:
        self._meter_device = None
        self.meter.stop()
        self.meter.set_source(None)
        if self._level is not None:
            self._release(self._level)
            self._level = None

    def _release(self, level: MicrophoneLevel) -> None:
        self.tools.calls.run(level.close, lambda _: None)

    def record(
        self,
        seconds: float,
        done: Callable[[npt.NDArray[np.float32]], None],
        failed: Callable[[str], None],
    ) -> None:
        """Record ``seconds`` from the microphone whose level shows, off the GUI thread; ``failed`` gets
        one line when none is open."""
        level = self._level
        if level is None:
            failed(self.tr("The microphone is not open: choose one, and wait for its level to show."))
            return
        self.tools.calls.run(lambda: level.record(seconds), done, failed)

    def _play_tone(self) -> None:
        device = self.tools.saver.current.audio.output_device
        run_sound(self.tools, self.tone, lambda: self.tools.services.play_tone(device))


class VoicePage(SettingsPage):
    """The Kokoro voice and its speed, with a spoken preview."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        tts = tools.saver.current.tts
        self.voice = QComboBox(self)
        self.voice.addItem(tts.voice)
        self.voice.activated.connect(lambda _index: tools.saver.save("tts.voice", self.voice.currentText()))
        self.add_row(self.tr("&Voice"), self.voice)
        rule = rule_of("tts.speed")
        low, high = rule.low or 0.0, rule.high or 0.0
        self.speed_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.speed_slider.setRange(round(low * SPEED_STEPS), round(high * SPEED_STEPS))
        # Only the released position counts, so a drag saves once.
        self.speed_slider.setTracking(False)
        self.speed_slider.setAccessibleName(self.tr("Speed slider"))
        self.speed = QDoubleSpinBox(self)
        self.speed.setRange(low, high)
        self.speed.setSingleStep(0.05)
        self.speed.setToolTip(self.tr("1.00 is the voice's normal pace."))
        self.speed.setKeyboardTracking(False)
        self.speed.setValue(tts.speed)
        self.speed_slider.setValue(round(tts.speed * SPEED_STEPS))
        self.speed_slider.valueChanged.connect(lambda steps: self.speed.setValue(steps / SPEED_STEPS))
        self.speed.valueChanged.connect(self._speed_changed)
        row = side_by_side(self, self.speed_slider, self.speed)
        self.speed.setAccessibleName(self.tr("Speed"))
        caption = QLabel(self.tr("S&peed"), self)
        caption.setBuddy(self.speed)
        self.form.addRow(caption, row)
        self.preview = plain_button(self.tr("P&review"), self.tr("Preview the voice"), self)
        self.preview.clicked.connect(self._preview)
        self.form.addRow("", self.preview)
        tools.calls.run(tools.services.voices, self._fill_voices)

    def _speed_changed(self, speed: float) -> None:
        self.speed_slider.blockSignals(True)
        self.speed_slider.setValue(round(speed * SPEED_STEPS))
        self.speed_slider.blockSignals(False)
        self.tools.saver.save("tts.speed", speed)

    def _fill_voices(self, names: list[str]) -> None:
        current = self.voice.currentText()
        self.voice.clear()
        self.voice.addItems(names if current in names else [current, *names])
        self.voice.setCurrentText(current)

    def _preview(self) -> None:
        voice, speed = self.voice.currentText(), self.speed.value()
        device = self.tools.saver.current.audio.output_device
        run_sound(self.tools, self.preview, lambda: self.tools.services.preview_voice(voice, speed, device))


def run_sound(tools: PageTools, button: QPushButton, play: Callable[[], None]) -> None:
    """Run ``play`` off the GUI thread with ``button`` disabled until it ends; a failure is reported."""
    button.setEnabled(False)

    def failed(line: str) -> None:
        button.setEnabled(True)
        tools.report(line)

    tools.calls.run(play, lambda _: button.setEnabled(True), failed)
