"""A small stacked bar of a turn's stage timings: STT | thinking | speech synthesis | the rest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

# Shades of the palette's highlight tell the stages apart in light and dark schemes alike.
_STAGE_ALPHAS = (1.0, 0.7, 0.45)


@dataclass(frozen=True)
class TimingSegments:
    """The bar's four parts in ms: speech to text, thinking until the first token, synthesis until the
    first audio, and the rest of the turn."""

    stt: float
    thinking: float
    synthesis: float
    rest: float

    @classmethod
    def from_timings(cls, timings: Mapping[str, float | None]) -> TimingSegments:
        """Split a turn's ``timings_ms`` (values may be None) into the bar's parts."""
        stt = timings.get("stt") or 0.0
        thinking = timings.get("llm_first_token") or 0.0
        first_audio = timings.get("first_audio")
        if first_audio is not None:
            synthesis = max(0.0, first_audio - stt - thinking)
        else:
            synthesis = timings.get("tts_first_chunk") or 0.0
        total = timings.get("total")
        rest = max(0.0, total - stt - thinking - synthesis) if total is not None else 0.0
        return cls(stt, thinking, synthesis, rest)

    def parts(self) -> tuple[float, float, float, float]:
        """The four parts in order."""
        return (self.stt, self.thinking, self.synthesis, self.rest)


class TimingBar(QWidget):
    """Paints a turn's timings as a stacked bar; the numbers are in the tooltip and accessible text."""

    def __init__(self, timings: Mapping[str, float | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._segments = TimingSegments.from_timings(timings)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Timings"))
        details = self._describe(timings)
        self.setToolTip(details)
        self.setAccessibleDescription(details.replace("\n", "; "))

    def segments(self) -> TimingSegments:
        """The parts this bar shows."""
        return self._segments

    def sizeHint(self) -> QSize:
        return QSize(160, 6)

    def _describe(self, timings: Mapping[str, float | None]) -> str:
        labels = (
            ("stt", self.tr("Speech to text")),
            ("llm_first_token", self.tr("First token")),
            ("tts_first_chunk", self.tr("First speech synthesized")),
            ("first_audio", self.tr("First audio")),
            ("llm_total", self.tr("Whole reply generated")),
            ("total", self.tr("Whole turn")),
        )
        lines = []
        for key, label in labels:
            value = timings.get(key)
            shown = self.tr("{ms} ms").format(ms=round(value)) if value is not None else self.tr("n/a")
            lines.append(f"{label}: {shown}")
        return "\n".join(lines)

    def paintEvent(self, event: QPaintEvent) -> None:
        parts = self._segments.parts()
        total = sum(parts)
        if total <= 0.0:
            return
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        colours = [QColor(highlight) for _ in _STAGE_ALPHAS]
        for colour, alpha in zip(colours, _STAGE_ALPHAS, strict=True):
            colour.setAlphaF(alpha)
        colours.append(palette.color(QPalette.ColorRole.Mid))
        painter = QPainter(self)
        x = 0.0
        for value, colour in zip(parts, colours, strict=True):
            width = self.width() * value / total
            painter.fillRect(QRectF(x, 0.0, width, self.height()), colour)
            x += width
        painter.end()
