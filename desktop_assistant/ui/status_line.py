"""The window's status line: the assistant's state, the microphone level and one message line."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStyle, QToolButton, QWidget

from desktop_assistant.ui.level_meter import LevelMeter

_ICON_SIDE = 16
FLASH_MS = 4000


class StatusLine(QWidget):
    """Shows the state, a live level meter and a message; an error message stays until cleared or
    dismissed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._error = False
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self.clear_message)
        self._state = QLabel(self)
        self._state.setAccessibleName(self.tr("State"))
        self.meter = LevelMeter(self)
        self._icon = QLabel(self)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._icon.setPixmap(warning.pixmap(_ICON_SIDE, _ICON_SIDE))
        self._icon.hide()
        self._message = QLabel(self)
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setAccessibleName(self.tr("Status message"))
        self.dismiss_button = QToolButton(self)
        self.dismiss_button.setText(self.tr("Dismiss"))
        self.dismiss_button.setAccessibleName(self.tr("Dismiss message"))
        self.dismiss_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.dismiss_button.clicked.connect(self.clear_message)
        self.dismiss_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._state)
        layout.addWidget(self.meter)
        layout.addWidget(self._icon)
        layout.addWidget(self._message, 1)
        layout.addWidget(self.dismiss_button)

    def show_state(self, text: str) -> None:
        """Show what the assistant is doing."""
        self._state.setText(text)

    def show_message(self, line: str, error: bool = False) -> None:
        """Show one line; an error gets a warning icon and stays until cleared or dismissed."""
        self._flash_timer.stop()  # a new line replaces a flashed one for good
        self._error = error
        self._message.setText(line)
        self._icon.setVisible(error)
        self.dismiss_button.setVisible(bool(line))

    def flash(self, line: str) -> None:
        """Show an info line that goes away by itself after a few seconds (unless replaced)."""
        self.show_message(line)
        self._flash_timer.start()

    def clear_message(self) -> None:
        """Remove the message, error or not."""
        self.show_message("")

    def clear_info(self) -> None:
        """Remove the message unless it is an error."""
        if not self._error:
            self.clear_message()

    def state(self) -> str:
        """The state shown now."""
        return self._state.text()

    def message(self) -> str:
        """The message shown now ("" for none)."""
        return self._message.text()

    def is_error(self) -> bool:
        """Whether the message shown is an error."""
        return self._error and bool(self._message.text())
