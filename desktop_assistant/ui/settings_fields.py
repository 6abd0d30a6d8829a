"""The plumbing every settings page shares: saving one key, slow calls off the GUI thread, bound controls."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from desktop_assistant.config.autostart import follow_setting
from desktop_assistant.config.settings import Rule, Settings, parse_value, split_key
from desktop_assistant.config.store import SettingsStore
from desktop_assistant.errors import AssistantError, first_line
from desktop_assistant.ui.settings_services import SettingsServices

log = logging.getLogger(__name__)
T = TypeVar("T")


def rule_of(key: str) -> Rule:
    """The ``Rule`` (range, choices, doc) of a dotted setting key."""
    area, name = split_key(key)
    fields = dataclasses.fields(getattr(Settings(), area))
    rule: Rule = next(f for f in fields if f.name == name).metadata["rule"]
    return rule


class SettingsSaver(QObject):
    """Saves one setting at a time through the store; unchanged values are not written.

    ``saved`` carries the new ``Settings`` after each write; ``failed`` the one-line reason a value was
    refused (nothing is written then).
    """

    saved = Signal(object)
    failed = Signal(str)

    def __init__(self, store: SettingsStore, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._settings = settings

    @property
    def current(self) -> Settings:
        """The settings as last loaded or saved."""
        return self._settings

    def save(self, key: str, value: object) -> bool:
        """Store ``value`` under ``key``; False (and ``failed``) when it is refused. What the setting
        changes outside the file (the login entry) changes first, so the file never claims it did."""
        if self._settings.get(key) == value:
            return True
        try:
            follow_setting(key, value)
            self._settings = self._store.set(key, value)
        except AssistantError as exc:
            self.failed.emit(exc.line())
            return False
        self.saved.emit(self._settings)
        return True

    def save_text(self, key: str, text: str) -> bool:
        """Store what the user typed for ``key``, read the way ``config set`` reads it."""
        try:
            value = parse_value(key, text)
        except AssistantError as exc:
            self.failed.emit(exc.line())
            return False
        return self.save(key, value)


class BackgroundCalls(QObject):
    """Runs slow calls on short-lived worker threads; each result, or its one-line error, is handed to a
    callback on the GUI thread (the signal crosses threads as a queued call)."""

    _finished = Signal(object, object)

    def __init__(self, report: Callable[[str], None]) -> None:
        # No parent: a worker may still hold this object while the dialog is being torn down.
        super().__init__()
        self._report = report
        self._closed = False
        self._finished.connect(self._deliver)

    def close(self) -> None:
        """Drop the results still to come: the widgets they were for are gone."""
        self._closed = True

    def run(
        self,
        call: Callable[[], T],
        on_done: Callable[[T], None],
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        """Start ``call`` on a worker; ``on_done(result)`` or ``on_error(line)`` follows on the GUI thread."""
        failed = on_error or self._report
        threading.Thread(
            target=self._work, args=(call, on_done, failed), name="settings-call", daemon=True
        ).start()

    def _work(
        self, call: Callable[[], Any], on_done: Callable[[Any], None], on_error: Callable[[str], None]
    ) -> None:
        try:
            value = call()
        except AssistantError as exc:
            self._finished.emit(on_error, exc.line())
        # Device, server and keyring libraries raise their own types; the user still gets one line.
        except Exception as exc:
            log.exception("a settings call failed")
            line = AssistantError(first_line(exc), "See the log file for details.").line()
            self._finished.emit(on_error, line)
        else:
            self._finished.emit(on_done, value)

    def _deliver(self, callback: Callable[[Any], None], value: Any) -> None:
        if not self._closed:
            callback(value)


@dataclasses.dataclass(frozen=True)
class PageTools:
    """What a settings page works with."""

    saver: SettingsSaver
    calls: BackgroundCalls
    services: SettingsServices
    report: Callable[[str], None]


class CommitTextEdit(QPlainTextEdit):
    """A multi-line editor that, like ``QLineEdit``, emits ``editingFinished`` when it loses focus."""

    editingFinished = Signal()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.editingFinished.emit()

    def lines(self) -> tuple[str, ...]:
        """The non-empty lines, stripped."""
        return tuple(line.strip() for line in self.toPlainText().splitlines() if line.strip())


def plain_button(text: str, accessible: str, parent: QWidget) -> QPushButton:
    """A push button that Return in a line edit never presses by accident."""
    button = QPushButton(text, parent)
    button.setAutoDefault(False)
    button.setAccessibleName(accessible)
    return button


def side_by_side(parent: QWidget, wide: QWidget, narrow: QWidget) -> QWidget:
    """One form field made of two controls: ``wide`` takes the room, ``narrow`` sits after it."""
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(wide, 1)
    layout.addWidget(narrow)
    return row


class SettingsPage(QWidget):
    """A form of settings; its helpers build controls bound to keys that save as the user edits."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tools = tools
        self.form = QFormLayout(self)

    def add_row(self, label: str, field: QWidget, help_text: str = "") -> None:
        """Add ``field`` under ``label``; the label is its accessible name, ``help_text`` its tooltip."""
        caption = QLabel(label, self)
        caption.setBuddy(field)
        field.setAccessibleName(label.replace("&", ""))
        if help_text:
            field.setToolTip(help_text)
            field.setAccessibleDescription(help_text)
        self.form.addRow(caption, field)

    def line_edit(self, key: str, label: str, help_text: str = "") -> QLineEdit:
        """A line edit showing ``key`` (a list comma-separated), saved when editing finishes."""
        value = self.tools.saver.current.get(key)
        edit = QLineEdit(", ".join(value) if isinstance(value, tuple) else str(value), self)
        edit.editingFinished.connect(lambda: self.tools.saver.save_text(key, edit.text()))
        self.add_row(label, edit, help_text)
        return edit

    def spin_box(self, key: str, label: str, suffix: str, help_text: str = "") -> QSpinBox | QDoubleSpinBox:
        """A spin box over the key's range; saved on Return, focus loss or an arrow step."""
        rule = rule_of(key)
        value = self.tools.saver.current.get(key)
        low, high = rule.low or 0.0, rule.high or 0.0
        spin: QSpinBox | QDoubleSpinBox
        if isinstance(value, float):
            spin = QDoubleSpinBox(self)
            spin.setRange(low, high)
        else:
            spin = QSpinBox(self)
            spin.setRange(int(low), int(high))
        spin.setValue(value)
        spin.setSuffix(suffix)
        spin.setKeyboardTracking(False)
        spin.valueChanged.connect(lambda number: self.tools.saver.save(key, number))
        self.add_row(label, spin, help_text)
        return spin

    def check_box(self, key: str, text: str, help_text: str = "") -> QCheckBox:
        """A check box for a true/false key, saved when toggled; a refused change is undone on screen."""
        box = QCheckBox(text, self)
        box.setChecked(bool(self.tools.saver.current.get(key)))
        box.setAccessibleName(text.replace("&", ""))
        box.setToolTip(help_text)

        def toggled(checked: bool) -> None:
            if not self.tools.saver.save(key, checked):
                with QSignalBlocker(box):
                    box.setChecked(not checked)

        box.toggled.connect(toggled)
        self.form.addRow(box)
        return box

    def choice(self, key: str, label: str, options: list[tuple[str, str]], help_text: str = "") -> QComboBox:
        """A combo of ``(value, shown text)`` options for ``key``, saved when one is chosen."""
        combo = QComboBox(self)
        for value, text in options:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(0, combo.findData(self.tools.saver.current.get(key))))
        combo.activated.connect(lambda index: self.tools.saver.save(key, combo.itemData(index)))
        self.add_row(label, combo, help_text)
        return combo
