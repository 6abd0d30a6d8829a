"""A live microphone level meter: samples a level source while listening, paints a palette-coloured bar."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QRectF, QSize, QTimer
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

SAMPLE_INTERVAL_MS = 33
# Speech sits around -30..-10 dBFS RMS; the floor hides room noise, the ceiling leaves headroom.
FLOOR_DB = -60.0
CEILING_DB = -6.0
# Fall back gently so the bar reads as a level, not a flicker; it rises at once.
DECAY = 0.85


def level_from_rms(rms: float) -> float:
    """Map an RMS amplitude (0..1) to a 0..1 meter position on a dB scale."""
    if rms <= 0.0:
        return 0.0
    db = 20.0 * math.log10(min(rms, 1.0))
    return min(1.0, max(0.0, (db - FLOOR_DB) / (CEILING_DB - FLOOR_DB)))


class LevelMeter(QWidget):
    """A horizontal bar showing the microphone level; it samples its source only while running."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._source: Callable[[], float] | None = None
        self._value = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(SAMPLE_INTERVAL_MS)
        self._timer.timeout.connect(self._sample)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Microphone level"))

    def set_source(self, source: Callable[[], float] | None) -> None:
        """Sample ``source`` (an RMS value, 0..1) from now on; None shows no level."""
        self._source = source

    def start(self) -> None:
        """Begin sampling (while listening)."""
        self._timer.start()

    def stop(self) -> None:
        """Stop sampling and show an empty bar."""
        self._timer.stop()
        self._set_value(0.0)

    def is_running(self) -> bool:
        """Whether the meter is sampling now."""
        return self._timer.isActive()

    def value(self) -> float:
        """The level shown, 0..1."""
        return self._value

    def sizeHint(self) -> QSize:
        return QSize(120, 10)

    def _sample(self) -> None:
        target = level_from_rms(self._source()) if self._source is not None else 0.0
        self._set_value(max(target, self._value * DECAY))

    def _set_value(self, value: float) -> None:
        if value != self._value:
            self._value = value
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        groove = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = groove.height() / 2
        palette = self.palette()
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(groove, radius, radius)
        if self._value > 0.0:
            filled = QRectF(groove)
            filled.setWidth(max(groove.height(), groove.width() * self._value))
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(filled, radius, radius)
        painter.end()
