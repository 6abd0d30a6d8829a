"""The tray icon: the engine's state at a glance, and a menu for the app's main actions."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from desktop_assistant.core.events import State
from desktop_assistant.ui.answered_by import answered_by

# One colour per state; "error" is the app's, not the engine's.
_COLOURS = {
    "idle": "#6b7280",
    "recording": "#dc2626",
    "transcribing": "#d97706",
    "thinking": "#2563eb",
    "speaking": "#16a34a",
    "error": "#7f1d1d",
}


def state_icon(kind: str, size: int = 64) -> QIcon:
    """A round badge in the state's colour with a microphone drawn on it (``kind``: a State value or
    "error")."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(_COLOURS[kind]))
    painter.drawEllipse(QRectF(2, 2, size - 4, size - 4))
    unit = size / 64
    pen = QPen(QColor("white"), 5 * unit, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
    painter.setPen(pen)
    painter.setBrush(QColor("white"))
    painter.drawRoundedRect(QRectF(25 * unit, 13 * unit, 14 * unit, 24 * unit), 7 * unit, 7 * unit)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    cup = QPainterPath(QPointF(19 * unit, 29 * unit))
    cup.cubicTo(19 * unit, 46 * unit, 45 * unit, 46 * unit, 45 * unit, 29 * unit)
    painter.drawPath(cup)
    painter.drawLine(QPointF(32 * unit, 43 * unit), QPointF(32 * unit, 51 * unit))
    painter.end()
    return QIcon(pixmap)


class TrayIcon(QObject):
    """The system-tray icon and its menu; it only emits what the user asked for."""

    show_requested = Signal()
    talk_requested = Signal()
    stop_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icons = {kind: state_icon(kind) for kind in _COLOURS}
        self._tray = QSystemTrayIcon(self._icons["idle"], self)
        self._answerer = ""
        self._shown: tuple[State, str | None] = (State.IDLE, None)
        self._menu = QMenu()
        for text, signal in (
            (self.tr("Show window"), self.show_requested),
            (self.tr("Talk (start / stop)"), self.talk_requested),
            (self.tr("Stop speaking"), self.stop_requested),
            (self.tr("Settings…"), self.settings_requested),
        ):
            action = QAction(text, self._menu)
            action.triggered.connect(signal.emit)
            self._menu.addAction(action)
        self._menu.addSeparator()
        quit_action = QAction(self.tr("Quit"), self._menu)
        quit_action.triggered.connect(self.quit_requested.emit)
        self._menu.addAction(quit_action)
        self._tray.setContextMenu(self._menu)
        self._tray.activated.connect(self._activated)
        self.set_state(State.IDLE)

    def show(self) -> None:
        """Put the icon in the tray."""
        self._tray.show()

    def hide(self) -> None:
        """Take the icon out of the tray."""
        self._tray.hide()

    def set_answerer(self, model: str, backend: str) -> None:
        """Name the model that answers (``ModelChosen``) in the tooltip from now on."""
        self._answerer = answered_by(model, backend)
        self.set_state(*self._shown)

    def set_state(self, state: State, error: str | None = None) -> None:
        """Show ``state``, or the error badge with the error as the tooltip; the model that answered
        last is named after it."""
        self._shown = (state, error)
        self._tray.setIcon(self._icons["error" if error else state.value])
        label = {
            State.IDLE: self.tr("Ready"),
            State.RECORDING: self.tr("Listening"),
            State.TRANSCRIBING: self.tr("Transcribing"),
            State.THINKING: self.tr("Thinking"),
            State.SPEAKING: self.tr("Speaking"),
        }[state]
        tip = self.tr("Desktop Assistant — {0}").format(error or label)
        self._tray.setToolTip(f"{tip}\n{self._answerer}" if self._answerer else tip)

    def notify(self, title: str, line: str) -> None:
        """A desktop notification from the tray (errors the user should see with the window hidden)."""
        self._tray.showMessage(title, line, QSystemTrayIcon.MessageIcon.Warning, 8000)

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
