"""A hold-to-talk button: held while the mouse button or Space is down, whatever the pointer does."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QPushButton, QWidget


class HoldButton(QPushButton):
    """Emits ``held`` when pressed (left mouse button, or Space while focused; key autorepeat is ignored)
    and ``let_go`` when released, when it loses focus or when it is disabled while held."""

    held = Signal()
    let_go = Signal()

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._held = False

    def is_held(self) -> bool:
        """Whether the button is held down now."""
        return self._held

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() is Qt.MouseButton.LeftButton:
            event.accept()
            self._press()
        else:
            super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() is Qt.MouseButton.LeftButton:
            event.accept()
            self._release()
        else:
            super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        # A plain button lets go when the pointer leaves it; a hold must last until the release.
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            event.accept()
            if not event.isAutoRepeat():
                self._press()
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space:
            event.accept()
            if not event.isAutoRepeat():
                self._release()
        else:
            super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._release()
        super().focusOutEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.EnabledChange and not self.isEnabled():
            self._release()
        super().changeEvent(event)

    def _press(self) -> None:
        if not self._held:
            self._held = True
            self.setDown(True)
            self.held.emit()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self.setDown(False)
            self.let_go.emit()
