"""One turn of the conversation: the user's message in a bubble on the right, the assistant's reply on
the left (streamed as plain text, then rendered as Markdown, never loading a resource; what the speech
guard changed when it was read aloud marked in it), with the time, the notes, the timing bar and, for a
failed turn, Retry."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QDate, QDateTime, QEvent, QLocale, QSizeF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QImage,
    QPalette,
    QPixmap,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.text.guard import GuardAction
from desktop_assistant.ui.answered_by import answered_by
from desktop_assistant.ui.guard_marks import GuardMarks
from desktop_assistant.ui.image_tray import PendingImage
from desktop_assistant.ui.timing_bar import TimingBar

_MARKDOWN = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
    | QTextDocument.MarkdownFeature.MarkdownNoHTML.value
)
_WEB_SCHEMES = ("http", "https")
_STAND_IN_SIDE = 16
# The most of a turn's width the user's bubble takes.
_USER_SHARE = 0.8
# The background of what the guard changed when the reply was read aloud: amber over the bubble.
_GUARD_TINT = QColor(255, 176, 0)


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

    def append_text(self, text: str, char_format: QTextCharFormat) -> None:
        """Add streamed text at the end, as plain text in ``char_format`` (nothing before it is laid out
        again)."""
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text, char_format)

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


@dataclass(frozen=True)
class Retry:
    """A failed turn's question to send again: its text, its images, how it was asked and, for a spoken
    one, the note on how it sounded."""

    question: str
    images: tuple[PendingImage, ...]
    source: str
    cues: str = ""


def clock(when: float) -> str:
    """A message's time as the transcript shows it: the time today, else the date and time."""
    moment = QDateTime.fromSecsSinceEpoch(int(when))
    locale = QLocale()
    short = QLocale.FormatType.ShortFormat
    if moment.date() == QDate.currentDate():
        return locale.toString(moment.time(), short)
    return locale.toString(moment, short)


def _blend(base: QColor, tint: QColor, amount: float) -> QColor:
    """``amount`` of ``tint`` over ``base``: palette-derived colours that suit light and dark schemes."""
    return QColor.fromRgbF(
        base.redF() + (tint.redF() - base.redF()) * amount,
        base.greenF() + (tint.greenF() - base.greenF()) * amount,
        base.blueF() + (tint.blueF() - base.blueF()) * amount,
    )


class TurnView(QFrame):
    """One turn: the question in the user's bubble (right) with its image thumbnails and time; the reply
    in the assistant's bubble (left) with its notes, the timing bar, its time and, for a failed turn, a
    Retry button (``retry_requested`` carries the ``Retry``)."""

    retry_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._retry: Retry | None = None
        self._cues = ""  # the question's voice note
        self._sent: list[PendingImage] = []
        self.user_bubble = QFrame(self)
        self.user_bubble.setObjectName("userBubble")
        self.assistant_bubble = QFrame(self)
        self.assistant_bubble.setObjectName("assistantBubble")
        self.question = QLabel(self.user_bubble)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.question.setAccessibleName(self.tr("You said"))
        self.question.hide()
        self.question_time = self._small_label(self.user_bubble)
        self.question_time.setAlignment(Qt.AlignmentFlag.AlignRight)
        self._images = QHBoxLayout()
        self._images.addStretch(1)
        self._image_count = 0
        self.reply = ReplyBrowser(self.assistant_bubble)
        self.reply.hide()
        self._marks = GuardMarks(self.reply.document(), _GUARD_TINT)
        self.note = self._small_label(self.assistant_bubble)
        self.note.setWordWrap(True)
        self.timing_bar: TimingBar | None = None
        self.timing_caption = self._small_label(self.assistant_bubble)
        self.reply_time = self._small_label(self.assistant_bubble)
        self._answered_by = ""
        self.retry_button = QPushButton(self.tr("Retry"), self.assistant_bubble)
        self.retry_button.setToolTip(self.tr("Send this question again"))
        self.retry_button.setAutoDefault(False)
        self.retry_button.setAccessibleName(self.tr("Retry"))
        self.retry_button.hide()
        self.retry_button.clicked.connect(self._retry_clicked)
        self._user = QVBoxLayout(self.user_bubble)
        self._user.setContentsMargins(10, 6, 10, 4)
        self._user.addWidget(self.question)
        self._user.addLayout(self._images)
        self._user.addWidget(self.question_time)
        self._assistant = QVBoxLayout(self.assistant_bubble)
        self._assistant.setContentsMargins(10, 6, 10, 4)
        self._assistant.addWidget(self.reply)
        self._assistant.addWidget(self.note)
        self._footer = QHBoxLayout()
        self._footer.addWidget(self.reply_time, 1)
        self._footer.addWidget(self.retry_button)
        self.user_bubble.hide()
        self.assistant_bubble.hide()
        user_row = QHBoxLayout()
        user_row.addStretch(1)
        user_row.addWidget(self.user_bubble)
        assistant_row = QHBoxLayout()
        assistant_row.addWidget(self.assistant_bubble, 5)
        assistant_row.addStretch(1)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 4, 0, 4)
        self._layout.addLayout(user_row)
        self._layout.addLayout(assistant_row)
        self._style_bubbles()

    def set_question(self, text: str, when: float | None = None, cues: str = "") -> None:
        """Show what the user said or typed, at ``when`` (default: now), and beside the time how a spoken
        question sounded (``cues``, the note the model got with it)."""
        self.question.setText(text)
        self.question.show()
        self._cues = cues
        stamp = clock(time.time() if when is None else when)
        sounded = cues.strip().strip("()")
        self.question_time.setText(f"{sounded} · {stamp}" if sounded else stamp)
        self.question_time.setToolTip(self.tr("How you sounded, as the model was told") if sounded else "")
        self.question_time.show()
        self.user_bubble.show()
        self._fit_user_bubble(self.width())

    def add_images(self, images: Sequence[PendingImage]) -> None:
        """Show thumbnails of the images that went with the question (kept for a retry)."""
        for entry in images:
            self.add_thumbnail(entry.thumbnail, entry.name)
        self._sent.extend(images)

    def add_thumbnail(self, thumbnail: QImage, name: str) -> None:
        """Show one image's thumbnail under the question."""
        label = QLabel(self.user_bubble)
        label.setPixmap(QPixmap.fromImage(thumbnail))
        label.setToolTip(name)
        label.setAccessibleName(self.tr("Image {name}").format(name=name))
        self._images.insertWidget(self._images.count() - 1, label)
        self._image_count += 1
        self.user_bubble.show()
        self._fit_user_bubble(self.width())

    def as_text(self) -> str:
        """The turn as the user sees it, in plain text: the question, the reply and its notes."""
        parts = []
        if not self.question.isHidden():
            parts.append(self.tr("You: {text}").format(text=self.question.text()))
        if not self.reply.isHidden():
            parts.append(self.tr("Assistant: {text}").format(text=self.reply.toPlainText()))
        if not self.note.isHidden():
            parts.append(self.note.text())
        if self._answered_by:
            parts.append(self.tr("Answered by {model}").format(model=self._answered_by))
        return "\n".join(parts)

    def image_count(self) -> int:
        """How many thumbnails the question shows."""
        return self._image_count

    def append_reply(self, text: str) -> None:
        """Stream a piece of the reply in."""
        self.assistant_bubble.show()
        self.reply.show()
        self.reply.append_text(text, self._marks.tail_format())

    def mark_guarded(self, action: GuardAction) -> None:
        """The guard changed what is read aloud of the reply streaming in: mark it there."""
        self._marks.mark(action)

    def finish(self, event: TurnEnded, source: str = "spoken", when: float | None = None) -> None:
        """Render the final reply as Markdown and add the notes, the timing bar and the time; a failed
        turn asked as ``source`` offers a Retry with its question and images."""
        if event.reply:
            self.reply.show_markdown(event.reply)
            self._marks.mark_all(event.guard_actions)
        self.reply.setVisible(bool(event.reply))
        notes = self._notes(event)
        if notes:
            self.note.setText("\n".join(notes))
            self.note.show()
        bar = TimingBar(event.timings_ms, self.assistant_bubble)
        if sum(bar.segments().parts()) > 0.0:
            self.timing_bar = bar
            self._assistant.addWidget(bar)
        else:
            bar.deleteLater()
        first_audio = event.timings_ms.get("first_audio")
        if first_audio is not None:
            self.timing_caption.setText(
                self.tr("Spoken {seconds} s after the question").format(seconds=f"{first_audio / 1000:.1f}")
            )
            self._assistant.addWidget(self.timing_caption)
            self.timing_caption.show()
        self._assistant.addLayout(self._footer)
        self._answered_by = answered_by(event.model, event.backend)
        stamp = clock(time.time() if when is None else when)
        self.reply_time.setText(f"{stamp} · {self._answered_by}" if self._answered_by else stamp)
        self.reply_time.show()
        question = self.question.text() if not self.question.isHidden() else event.transcript
        if event.error and question:
            self._retry = Retry(question, tuple(self._sent), source, self._cues)
            self.retry_button.show()
        self.assistant_bubble.show()

    def retry(self) -> Retry | None:
        """What Retry sends again, for a failed turn with a question."""
        return self._retry

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._fit_user_bubble(event.size().width())
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._style_bubbles()
        super().changeEvent(event)

    def _fit_user_bubble(self, width: int) -> None:
        # The bubble fits its longest line (or its images), up to most of the width: a wrapped label
        # alone would shrink to a narrow column, a layout stretch would always fill the row.
        lines = self.question.text().splitlines() or [""]
        text = max(self.question.fontMetrics().horizontalAdvance(line) for line in lines)
        images = self._images.sizeHint().width()
        margins = self._user.contentsMargins()
        need = max(text, images) + margins.left() + margins.right() + 4
        self.user_bubble.setFixedWidth(min(need, int(width * _USER_SHARE)))

    def _small_label(self, parent: QWidget) -> QLabel:
        label = QLabel(parent)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        font = label.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        label.setFont(font)
        label.hide()
        return label

    def _style_bubbles(self) -> None:
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        window = palette.color(QPalette.ColorRole.Window)
        highlight = palette.color(QPalette.ColorRole.Highlight)
        text = palette.color(QPalette.ColorRole.Text)
        user = _blend(base, highlight, 0.28)
        assistant = _blend(window, base, 0.6)
        border = _blend(window, text, 0.15)
        self._marks.tint = _blend(assistant, _GUARD_TINT, 0.45)
        self.user_bubble.setStyleSheet(
            f"QFrame#userBubble {{ background-color: {user.name()};"
            f" border: 1px solid {user.darker(115).name()}; border-radius: 12px; }}"
        )
        self.assistant_bubble.setStyleSheet(
            f"QFrame#assistantBubble {{ background-color: {assistant.name()};"
            f" border: 1px solid {border.name()}; border-radius: 12px; }}"
            " QTextBrowser { background: transparent; }"
        )

    def _retry_clicked(self) -> None:
        if self._retry is not None:
            self.retry_requested.emit(self._retry)

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
        redacted = [action.rule for action in event.guard_actions if action.kind == "redacted"]
        if redacted:
            notes.append(
                self.tr("Left out when read aloud: {rules}").format(rules=", ".join(dict.fromkeys(redacted)))
            )
        replaced = [action.text for action in event.guard_actions if action.kind == "replaced"]
        if replaced:
            notes.append(
                self.tr("Said as a neutral word: {words}").format(words=", ".join(dict.fromkeys(replaced)))
            )
        if event.error:
            notes.append(self.tr("Error: {line}").format(line=event.error))
        return notes
