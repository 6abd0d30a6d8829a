"""The conversation: one widget per turn in a scroll area, the user's messages in bubbles on the right
and the assistant's on the left; replies stream in as plain text and are rendered as Markdown once
complete, never loading a resource. A stored conversation is shown the same way."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.store.history_records import TurnRecord
from desktop_assistant.text.guard import GuardAction
from desktop_assistant.ui.image_tray import PendingImage
from desktop_assistant.ui.turn_view import TurnView

# Within this many pixels of the bottom, new text keeps the view scrolled to the end.
_FOLLOW_SLACK_PX = 8


class TranscriptView(QScrollArea):
    """The conversation, newest turn at the bottom; it follows new text while scrolled to the end.
    ``retry_requested`` carries a failed turn's ``Retry``."""

    retry_requested = Signal(object)

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

    def add_question(self, turn_id: str, text: str, images: Sequence[PendingImage], cues: str = "") -> None:
        """A turn's question is final: show it with its images and the note on how it sounded."""
        view = self._view(turn_id)
        view.set_question(text, cues=cues)
        view.add_images(images)

    def add_images(self, turn_id: str, images: Sequence[PendingImage]) -> None:
        """Images that went with an already shown question."""
        self._view(turn_id).add_images(images)

    def append_reply(self, turn_id: str, text: str) -> None:
        """A piece of turn ``turn_id``'s reply."""
        self._view(turn_id).append_reply(text)

    def mark_guarded(self, turn_id: str, action: GuardAction) -> None:
        """The guard changed what is read aloud of turn ``turn_id``'s reply: mark it in the reply shown."""
        view = self._turns.get(turn_id)
        if view is not None:
            view.mark_guarded(action)

    def clear(self) -> None:
        """Show no turns (a new conversation, or before another one is shown)."""
        for view in self._turns.values():
            view.deleteLater()
        self._turns.clear()
        self.hint.show()
        self._follow = True

    def show_stored(self, turns: Sequence[TurnRecord]) -> None:
        """Show a stored conversation's turns in place of what is shown; a turn that never ended shows
        as cut short."""
        self.clear()
        for record in turns:
            view = self._view(record.id)
            view.set_question(record.question, record.created_at, record.voice_cues)
            failed = record.error is not None
            retry_images = []
            for stored in record.images:
                thumbnail = QImage(str(stored.thumbnail)) if stored.thumbnail is not None else QImage()
                prepared = stored.prepared() if failed else None
                if prepared is not None:
                    retry_images.append(PendingImage(prepared, thumbnail, stored.name))
                elif not thumbnail.isNull():
                    view.add_thumbnail(thumbnail, stored.name)
            view.add_images(retry_images)
            view.finish(_stored_end(record), record.source, record.ended_at or record.created_at)

    def end_turn(self, event: TurnEnded, source: str = "spoken") -> None:
        """The turn (asked as ``source``) is over; a turn with neither question nor reply (a dropped
        tap) shows nothing."""
        view = self._turns.get(event.turn_id)
        if view is None:
            if not (event.transcript or event.reply):
                return
            view = self._view(event.turn_id)
        if event.transcript and view.question.isHidden():
            view.set_question(event.transcript)
        view.finish(event, source)

    def _view(self, turn_id: str) -> TurnView:
        view = self._turns.get(turn_id)
        if view is None:
            self.hint.hide()
            view = TurnView(self.widget())
            view.retry_requested.connect(self.retry_requested)
            self._column.insertWidget(self._column.count() - 1, view)
            self._turns[turn_id] = view
        return view

    def _range_changed(self, _low: int, high: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(high)

    def _value_changed(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum() - _FOLLOW_SLACK_PX


def _stored_end(record: TurnRecord) -> TurnEnded:
    """A stored turn as the end event the view shows (a turn that never ended counts as cut off)."""
    return TurnEnded(
        record.id,
        record.question,
        record.reply,
        record.spoken,
        record.heard,
        record.interrupted,
        record.cut_short,
        record.error,
        record.timings_ms,
        record.blocked,
        record.guard_actions,
        model=record.models.get("llm", ""),
        backend=record.models.get("llm_backend", "ollama" if record.models.get("llm") else ""),
    )
