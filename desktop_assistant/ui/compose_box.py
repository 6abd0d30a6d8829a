"""The box for typed questions: Enter sends, Shift+Enter starts a new line, images go to the tray."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from desktop_assistant.ui.image_tray import carries_images, local_files

_VISIBLE_LINES = 3


def offers_images(mime: QMimeData) -> bool:
    """Whether a paste or drop is images rather than text: files, or image data without text."""
    return bool(local_files(mime)) or (carries_images(mime) and not mime.hasText())


class ComposeBox(QPlainTextEdit):
    """A multi-line question box; ``submitted`` on Enter, ``images_offered`` for pasted or dropped
    images (handled while the signal is delivered, as the data is only valid then)."""

    submitted = Signal()
    images_offered = Signal(QMimeData)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setAccessibleName(self.tr("Question"))
        self.setPlaceholderText(self.tr("Type a question (Enter sends, Shift+Enter starts a new line)"))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        lines = self.fontMetrics().lineSpacing() * _VISIBLE_LINES
        margins = self.contentsMargins()
        frame = margins.top() + margins.bottom() + 2 * int(self.document().documentMargin())
        return QSize(hint.width(), lines + frame)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            event.accept()
            self.submitted.emit()
        else:
            super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return offers_images(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if offers_images(source):
            self.images_offered.emit(source)
        else:
            super().insertFromMimeData(source)
