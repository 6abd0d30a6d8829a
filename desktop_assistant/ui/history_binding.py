"""The history's side of the app: the store opened on the GUI thread (its reads take milliseconds), the
conversation list kept current, and which conversation the engine continues.

The engine's writer thread reports each write through ``on_written``; a queued signal brings it to the
GUI thread, where the list is read again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Qt, Signal

from desktop_assistant.app import Context, RuntimeHistory, conversation_for, open_history
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.errors import AssistantError
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.ui.history_panel import HistoryPanel
from desktop_assistant.ui.transcript_view import TranscriptView

log = logging.getLogger(__name__)


class ConversationEngine(Protocol):
    """What the binding needs of the engine: its conversation, and opening another."""

    @property
    def conversation(self) -> Conversation: ...

    def open_conversation(self, conversation: Conversation) -> None: ...


class HistoryBinding(QObject):
    """Keeps the ``panel`` and the ``transcript`` in step with the store and the engine's conversation;
    problems go to ``show_error`` as one line."""

    _written = Signal(str)  # a conversation id, from the engine's writer thread

    def __init__(
        self,
        context: Context,
        panel: HistoryPanel,
        transcript: TranscriptView,
        show_error: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._context = context
        self._panel = panel
        self._transcript = transcript
        self._show_error = show_error
        self._store: HistoryStore | None = None
        # Stores replaced by a settings change: the old runtime's writer may still finish a turn in one.
        self._retired: list[HistoryStore] = []
        self._engine: ConversationEngine | None = None
        # The conversation shown and continued (None: a new one not written yet), and the one the
        # runtime loading now was told to continue.
        self._current: str | None = None
        self._loaded_for: str | None = None
        self._written.connect(self._on_written, Qt.ConnectionType.QueuedConnection)
        panel.open_requested.connect(self.open)
        panel.new_requested.connect(self.new)
        panel.search_changed.connect(self._search)
        panel.rename_requested.connect(self._rename)
        panel.delete_requested.connect(self._delete)
        panel.delete_all_requested.connect(self._delete_all)

    @property
    def current(self) -> str | None:
        """The conversation shown and continued; None for a new one that has no turn kept yet."""
        return self._current

    def start(self) -> None:
        """Open the store and show the most recent conversation, where a restarted app left off."""
        self._open_store()
        latest = self._store.latest() if self._store is not None else None
        if latest is not None:
            self.open(latest.id)
        else:
            self._refresh()

    def runtime_history(self) -> RuntimeHistory | None:
        """What a runtime about to load keeps its turns in and continues (None: history off)."""
        self._loaded_for = self._current
        if self._store is None:
            return None
        return RuntimeHistory(self._store, self._current, self._written.emit)

    def attach(self, engine: ConversationEngine | None) -> None:
        """The runtime's engine is up (or gone: None); it continues what is shown now, also when another
        conversation was opened while it loaded."""
        self._engine = engine
        if engine is not None and self._current != self._loaded_for:
            self._continue(self._current)

    def apply_settings(self, context: Context) -> None:
        """The settings changed (the dialog closed): a changed ``history`` reopens the store (or closes
        it, history off). The controller reloads the runtime for it."""
        old = self._context.settings.history
        self._context = context
        if context.settings.history == old:
            return
        if self._store is not None:
            self._retired.append(self._store)
        self._open_store()
        if self._store is None or (self._current is not None and not self._exists(self._current)):
            self._current = None
            self._transcript.clear()
        self._refresh()

    def close(self) -> None:
        """Close the stores (the app is quitting and its engines are closed)."""
        if self._store is not None:
            self._retired.append(self._store)
            self._store = None
        for store in self._retired:
            store.close()
        self._retired.clear()

    # ----- what the user asks for ---------------------------------------------------------------

    def open(self, conversation_id: str) -> None:
        """Show a stored conversation's turns and make the engine continue it."""
        if self._store is None:
            return
        try:
            turns = self._store.turns(conversation_id)
            self._current = conversation_id
            if self._engine is not None:
                self._continue(conversation_id)
        except AssistantError as exc:
            self._show_error(exc.line())
            return
        self._transcript.show_stored(turns)
        self._refresh()

    def new(self) -> None:
        """Clear the transcript; the engine starts a new conversation (listed once a question is kept)."""
        self._current = None
        self._transcript.clear()
        if self._engine is not None:
            self._continue(None)
        self._refresh()

    # ----- inside -------------------------------------------------------------------------------

    def _open_store(self) -> None:
        try:
            self._store = open_history(self._context)
        except AssistantError as exc:
            self._store = None
            log.warning("%s", exc.line())
            self._show_error(exc.line())
        self._panel.set_available(self._store is not None)

    def _continue(self, conversation_id: str | None) -> None:
        assert self._engine is not None
        self._engine.open_conversation(conversation_for(self._context, self._store, conversation_id))

    def _exists(self, conversation_id: str) -> bool:
        assert self._store is not None
        try:
            self._store.conversation(conversation_id)
        except AssistantError:
            return False
        return True

    def _refresh(self) -> None:
        if self._store is None:
            return
        try:
            self._panel.show_conversations(self._store.conversations(), self._current)
        except AssistantError as exc:
            self._show_error(exc.line())

    def _on_written(self, conversation_id: str) -> None:
        # A new conversation gets its id once its first question is kept; an old one's late end does not.
        if (
            self._current is None
            and self._engine is not None
            and self._engine.conversation.id == conversation_id
        ):
            self._current = conversation_id
        self._refresh()
        if self._panel.showing_hits():
            self._search(self._panel.search.text().strip())

    def _search(self, text: str) -> None:
        if self._store is None:
            return
        if not text:
            self._refresh()
            return
        try:
            self._panel.show_hits(self._store.search(text))
        except AssistantError as exc:
            self._show_error(exc.line())

    def _rename(self, conversation_id: str, title: str) -> None:
        if self._store is None:
            return
        try:
            self._store.rename(conversation_id, title)
        except AssistantError as exc:
            self._show_error(exc.line())
        self._refresh()

    def _delete(self, conversation_id: str) -> None:
        if self._store is None:
            return
        try:
            self._store.delete(conversation_id)
        except AssistantError as exc:
            self._show_error(exc.line())
        if conversation_id == self._current:
            self.new()
        else:
            self._refresh()

    def _delete_all(self) -> None:
        if self._store is None:
            return
        try:
            self._store.delete_all()
        except AssistantError as exc:
            self._show_error(exc.line())
        self.new()
