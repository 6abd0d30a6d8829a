"""The conversation: one widget per turn in a scroll area; replies stream in as plain text and are
rendered as Markdown once complete, never loading a resource."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSizeF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPalette, QPixmap, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.ui.image_tray import PendingImage
from desktop_assistant.ui.timing_bar import TimingBar

_MARKDOWN = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
    | QTextDocument.MarkdownFeature.MarkdownNoHTML.value
)
_WEB_SCHEMES = ("http", "https")
_STAND_IN_SIDE = 16
# Within this many pixels of the bottom, new text keeps the view scrolled to the end.
_FOLLOW_SLACK_PX = 8


class ReplyBrowser(QTextBrowser):
    """A reply that grows with its text. It loads no resource at all (remote or local), and opens only
    web links, on click, in the system's browser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Reply"))
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._image_stand_in = icon.pixmap(_STAND_IN_SIDE, _STAND_IN_SIDE).toImage()
        self.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.anchorClicked.connect(self._open_link)

    def append_text(self, text: str) -> None:
        """Add streamed text at the end, as plain text (nothing before it is laid out again)."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    def show_markdown(self, text: str) -> None:
        """Replace the streamed text with ``text`` rendered as Markdown (raw HTML stays text)."""
        self.document().setMarkdown(text, _MARKDOWN)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Nothing is ever read or fetched: every image in a reply shows as a file icon.

        The icon, not None, for images: given no image, Qt's image handler reads a local path itself.
        """
        if type == QTextDocument.ResourceType.ImageResource.value:
            return self._image_stand_in
        return None

    def _open_link(self, url: QUrl) -> None:
        if url.scheme().lower() in _WEB_SCHEMES:
            QDesktopServices.openUrl(url)

    def _fit_height(self, size: QSizeF) -> None:
        self.setFixedHeight(math.ceil(size.height()) + 2 * self.frameWidth())


class TurnView(QFrame):
    """One turn: the question with its image thumbnails, the reply, notes and the timing bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = QLabel(self)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question.setAccessibleName(self.tr("You said"))
        self.question.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.question.setAutoFillBackground(True)
        self.question.setMargin(6)
        self.question.hide()
        self._images = QHBoxLayout()
        self._images.addStretch(1)
        self._image_count = 0
        self.reply = ReplyBrowser(self)
        self.reply.hide()
        self.note = QLabel(self)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setWordWrap(True)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.note.hide()
        self.timing_bar: TimingBar | None = None
        self.timing_caption = QLabel(self)
        self.timing_caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.timing_caption.hide()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 4)
        self._layout.addWidget(self.question)
        self._layout.addLayout(self._images)
        self._layout.addWidget(self.reply)
        self._layout.addWidget(self.note)

    def set_question(self, text: str) -> None:
        """Show what the user said or typed."""
        self.question.setText(text)
        self.question.show()

    def add_images(self, images: Sequence[PendingImage]) -> None:
        """Show thumbnails of the images that went with the question."""
        for entry in images:
            label = QLabel(self)
            label.setPixmap(QPixmap.fromImage(entry.thumbnail))
            label.setToolTip(entry.name)
            label.setAccessibleName(self.tr("Image {name}").format(name=entry.name))
            self._images.insertWidget(self._images.count() - 1, label)
        self._image_count += len(images)

    def as_text(self) -> str:
        """The turn as the user sees it, in plain text: the question, the reply and its notes."""
        parts = []
        if not self.question.isHidden():
            parts.append(self.tr("You: {text}").format(text=self.question.text()))
        if not self.reply.isHidden():
            parts.append(self.tr("Assistant: {text}").format(text=self.reply.toPlainText()))
        if not self.note.isHidden():
            parts.append(self.note.text())
        return "\n".join(parts)

    def image_count(self) -> int:
        """How many thumbnails the question shows."""
        return self._image_count

    def append_reply(self, text: str) -> None:
        """Stream a piece of the reply in."""
        self.reply.show()
        self.reply.append_text(text)

    def finish(self, event: TurnEnded) -> None:
        """Render the final reply as Markdown and add the notes and the timing bar."""
        if event.reply:
            self.reply.show_markdown(event.reply)
        self.reply.setVisible(bool(event.reply))
        notes = self._notes(event)
        if notes:
            self.note.setText("\n".join(notes))
            self.note.show()
        bar = TimingBar(event.timings_ms, self)
        if sum(bar.segments().parts()) > 0.0:
            self.timing_bar = bar
            self._layout.addWidget(bar)
        else:
            bar.deleteLater()
        first_audio = event.timings_ms.get("first_audio")
        if first_audio is not None:
            self.timing_caption.setText(
                self.tr("Spoken {seconds} s after the question").format(seconds=f"{first_audio / 1000:.1f}")
            )
            self._layout.addWidget(self.timing_caption)
            self.timing_caption.show()

    def _notes(self, event: TurnEnded) -> list[str]:
        notes = []
        if event.interrupted:
            if event.heard:
                notes.append(self.tr("Interrupted — heard: “{heard}”").format(heard=event.heard))
            else:
                notes.append(self.tr("Interrupted before any of the reply was heard"))
        if event.incomplete:
            notes.append(self.tr("The reply is incomplete: it was cut off."))
        if event.blocked:
            notes.append(self.tr("Not read aloud past a blocked phrase (Settings, Guard)."))
        if event.error:
            notes.append(self.tr("Error: {line}").format(line=event.error))
        return notes


class TranscriptView(QScrollArea):
    """The conversation, newest turn at the bottom; it follows new text while scrolled to the end."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._turns: dict[str, TurnView] = {}
        self._follow = True
        container = QWidget(self)
        self._column = QVBoxLayout(container)
        # Shown until the first turn: what to do in an empty window.
        self.hint = QLabel(container)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint.setAccessibleName(self.tr("How to ask"))
        self._column.addWidget(self.hint, 1)
        self._column.addStretch(1)
        self.setWidget(container)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAccessibleName(self.tr("Conversation"))
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._range_changed)
        bar.valueChanged.connect(self._value_changed)

    def turn(self, turn_id: str) -> TurnView | None:
        """The view of turn ``turn_id``, if it is shown."""
        return self._turns.get(turn_id)

    def as_text(self) -> str:
        """The whole conversation in plain text, oldest turn first (for the clipboard)."""
        return "\n\n".join(view.as_text() for view in self._turns.values())

    def add_question(self, turn_id: str, text: str, images: Sequence[PendingImage]) -> None:
        """A turn's question is final: show it with its images."""
        view = self._view(turn_id)
        view.set_question(text)
        view.add_images(images)

    def add_images(self, turn_id: str, images: Sequence[PendingImage]) -> None:
        """Images that went with an already shown question."""
        self._view(turn_id).add_images(images)

    def append_reply(self, turn_id: str, text: str) -> None:
        """A piece of turn ``turn_id``'s reply."""
        self._view(turn_id).append_reply(text)

    def end_turn(self, event: TurnEnded) -> None:
        """The turn is over; a turn with neither question nor reply (a dropped tap) shows nothing."""
        view = self._turns.get(event.turn_id)
        if view is None:
            if not (event.transcript or event.reply):
                return
            view = self._view(event.turn_id)
        if event.transcript and view.question.isHidden():
            view.set_question(event.transcript)
        view.finish(event)

    def _view(self, turn_id: str) -> TurnView:
        view = self._turns.get(turn_id)
        if view is None:
            self.hint.hide()
            view = TurnView(self.widget())
            self._column.insertWidget(self._column.count() - 1, view)
            self._turns[turn_id] = view
        return view

    def _range_changed(self, _low: int, high: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(high)

    def _value_changed(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - _FOLLOW_SLACK_PX

