"""The conversation list beside the transcript: the kept conversations (newest first), a search over
them, and what can be done to one (open, rename, delete). It shows what it is given and emits what the
user asks for; the reading and writing is ``history_binding``'s."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QDate, QDateTime, QLocale, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.store.history_records import MATCH_END, MATCH_START, ConversationSummary, SearchHit

# Typing pauses this long before the search runs, so each keystroke does not query the store.
SEARCH_DELAY_MS = 200
_ID_ROLE = Qt.ItemDataRole.UserRole
_RICH_ROLE = Qt.ItemDataRole.UserRole + 1


def when_label(when: float) -> str:
    """A conversation's date as the list shows it: the time today, else the date."""
    moment = QDateTime.fromSecsSinceEpoch(int(when))
    short = QLocale.FormatType.ShortFormat
    if moment.date() == QDate.currentDate():
        return QLocale().toString(moment.time(), short)
    return QLocale().toString(moment.date(), short)


def highlighted(snippet: str) -> str:
    """``snippet`` as rich text: escaped first, then each match between the store's markers in bold."""
    escaped = html.escape(snippet, quote=False)
    return escaped.replace(MATCH_START, "<b><u>").replace(MATCH_END, "</u></b>")


class _HitList(QListWidget):
    """Search hits; Enter opens the current one (a list has no activation on Enter everywhere)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.itemActivated.emit(self.currentItem())
            return
        super().keyPressEvent(event)


class _ConversationTree(QTreeWidget):
    """The conversation rows; Enter opens, Delete deletes the current one (F2, the edit key, renames)."""

    key_action = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        actions = {Qt.Key.Key_Return: "open", Qt.Key.Key_Enter: "open", Qt.Key.Key_Delete: "delete"}
        action = actions.get(Qt.Key(event.key()))
        # A title editor's Enter reaches the list too; it commits the edit (queued), it opens nothing.
        editing = self.state() == QAbstractItemView.State.EditingState
        if action is not None and self.currentItem() is not None and not editing:
            self.key_action.emit(action)
            return
        super().keyPressEvent(event)


class HistoryPanel(QWidget):
    """The conversation list with New conversation (Ctrl+N) and a search field (Ctrl+F).

    Signals: ``open_requested(id)``, ``new_requested()``, ``search_changed(text)`` (debounced; empty:
    the list again), ``rename_requested(id, title)``, ``delete_requested(id)``, ``delete_all_requested()``.
    ``confirm(question) -> bool`` asks before a deletion (a dialog; the tests replace it).
    """

    open_requested = Signal(str)
    new_requested = Signal()
    search_changed = Signal(str)
    rename_requested = Signal(str, str)
    delete_requested = Signal(str)
    delete_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.confirm: Callable[[str], bool] = self._ask
        self.new_button = QPushButton(self.tr("New conversation"), self)
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        self.new_button.setAutoDefault(False)
        self.new_button.setAccessibleName(self.tr("New conversation"))
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(self.tr("Search conversations (Ctrl+F)"))
        self.search.setAccessibleName(self.tr("Search conversations"))
        self.search.setClearButtonEnabled(True)
        self.conversations = _ConversationTree(self)
        self.conversations.setColumnCount(2)
        self.conversations.setHeaderHidden(True)
        self.conversations.setRootIsDecorated(False)
        header = self.conversations.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.conversations.setAccessibleName(self.tr("Conversations"))
        self.conversations.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.conversations.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.hits = _HitList(self)
        self.hits.setAccessibleName(self.tr("Search results"))
        self.hits.setWordWrap(True)
        self.notice = QLabel(self)
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._pages = QStackedWidget(self)
        for page in (self.conversations, self.hits, self.notice):
            self._pages.addWidget(page)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._lay_out()
        self._connect()

    # ----- what the binding shows ---------------------------------------------------------------

    def show_conversations(self, summaries: Sequence[ConversationSummary], current: str | None) -> None:
        """List ``summaries`` in their order (newest first), with ``current`` selected."""
        tree = self.conversations
        tree.blockSignals(True)  # filling the rows is no rename
        tree.clear()
        for summary in summaries:
            item = QTreeWidgetItem([summary.title, when_label(summary.updated_at)])
            item.setData(0, _ID_ROLE, summary.id)
            item.setToolTip(0, summary.title)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            tree.addTopLevelItem(item)
            if summary.id == current:
                tree.setCurrentItem(item)
        tree.blockSignals(False)
        if self._pages.currentWidget() is not self.notice and not self.search.text().strip():
            self._pages.setCurrentWidget(tree)

    def show_hits(self, hits: Sequence[SearchHit]) -> None:
        """Show search results: each hit's conversation title over its snippet, the matches in bold."""
        self.hits.clear()
        for hit in hits:
            rich = f"<b>{html.escape(hit.title, quote=False)}</b><br>{highlighted(hit.snippet)}"
            item = QListWidgetItem(self.hits)
            item.setData(_ID_ROLE, hit.conversation_id)
            item.setData(_RICH_ROLE, rich)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{hit.title}: {self._plain(hit.snippet)}")
            label = QLabel(rich, self.hits)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setWordWrap(True)
            label.setMargin(4)
            # The page's width: the list's own is not laid out yet while it is hidden.
            width = self._pages.width() - 2 * self.hits.frameWidth()
            item.setSizeHint(QSize(width, label.heightForWidth(width)))
            self.hits.setItemWidget(item, label)
        if not hits:
            empty = QListWidgetItem(self.tr("Nothing found."), self.hits)
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
        self._pages.setCurrentWidget(self.hits)

    def set_available(self, available: bool) -> None:
        """History on: the list; off: a notice that nothing is kept, and nothing listed."""
        self.search.setEnabled(available)
        if available:
            self._pages.setCurrentWidget(self.conversations)
            return
        self.conversations.clear()
        self.hits.clear()
        self.notice.setText(self.tr("History is off: nothing is kept. Turn it on in Settings."))
        self._pages.setCurrentWidget(self.notice)

    def is_available(self) -> bool:
        """Whether the list (not the off notice) is shown."""
        return self._pages.currentWidget() is not self.notice

    def showing_hits(self) -> bool:
        """Whether search results are shown."""
        return self._pages.currentWidget() is self.hits

    def current_id(self) -> str | None:
        """The conversation of the selected row."""
        item = self.conversations.currentItem()
        return str(item.data(0, _ID_ROLE)) if item is not None else None

    def rename_current(self) -> None:
        """Edit the selected conversation's title in place (F2)."""
        item = self.conversations.currentItem()
        if item is not None:
            self.conversations.editItem(item, 0)

    def delete_current(self) -> None:
        """Delete the selected conversation once the user confirms."""
        item = self.conversations.currentItem()
        if item is None:
            return
        title = item.text(0)
        if self.confirm(
            self.tr("Delete the conversation “{title}”? This cannot be undone.").format(title=title)
        ):
            self.delete_requested.emit(str(item.data(0, _ID_ROLE)))

    def delete_everything(self) -> None:
        """Delete every conversation once the user confirms."""
        if self.confirm(self.tr("Delete every conversation and its images? This cannot be undone.")):
            self.delete_all_requested.emit()

    # ----- inside -------------------------------------------------------------------------------

    def _lay_out(self) -> None:
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.new_button)
        column.addWidget(self.search)
        column.addWidget(self._pages, 1)
        QWidget.setTabOrder(self.new_button, self.search)
        QWidget.setTabOrder(self.search, self.conversations)
        QWidget.setTabOrder(self.conversations, self.hits)

    def _connect(self) -> None:
        self.new_button.clicked.connect(self.new_requested)
        self.search.textChanged.connect(lambda _text: self._timer.start())
        self.search.returnPressed.connect(self._search_entered)
        self._timer.timeout.connect(self._run_search)
        self.conversations.itemActivated.connect(self._activated)
        self.conversations.itemClicked.connect(self._activated)
        self.conversations.itemChanged.connect(self._renamed)
        self.conversations.key_action.connect(self._key_action)
        self.conversations.customContextMenuRequested.connect(self._menu)
        self.hits.itemActivated.connect(self._hit_activated)
        self.hits.itemClicked.connect(self._hit_activated)

    def focus_search(self) -> None:
        """Put the cursor in the search field (Ctrl+F)."""
        self.search.setFocus()
        self.search.selectAll()

    def _run_search(self) -> None:
        text = self.search.text().strip()
        if not text and self.is_available():
            self._pages.setCurrentWidget(self.conversations)
        self.search_changed.emit(text)

    def _search_entered(self) -> None:
        """Enter in the search field: search now, and go to the first hit."""
        self._timer.stop()
        self._run_search()
        if self.showing_hits() and self.hits.count():
            self.hits.setCurrentRow(0)
            self.hits.setFocus()

    def _activated(self, item: QTreeWidgetItem) -> None:
        self.open_requested.emit(str(item.data(0, _ID_ROLE)))

    def _hit_activated(self, item: QListWidgetItem) -> None:
        conversation_id = item.data(_ID_ROLE)
        if conversation_id is not None:
            self.open_requested.emit(str(conversation_id))

    def _renamed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0:
            self.rename_requested.emit(str(item.data(0, _ID_ROLE)), item.text(0))

    def _key_action(self, action: str) -> None:
        if action == "open":
            item = self.conversations.currentItem()
            if item is not None:
                self._activated(item)
        else:
            self.delete_current()

    def _menu(self, where: QPoint) -> None:
        menu = QMenu(self)
        item = self.conversations.itemAt(where)
        if item is not None:
            self.conversations.setCurrentItem(item)
            menu.addAction(self.tr("Open"), lambda: self._activated(item))
            menu.addAction(self.tr("Rename"), QKeySequence("F2"), self.rename_current)
            menu.addAction(self.tr("Delete…"), QKeySequence(Qt.Key.Key_Delete), self.delete_current)
            menu.addSeparator()
        menu.addAction(self.tr("Delete all…"), self.delete_everything)
        menu.exec(self.conversations.viewport().mapToGlobal(where))
        menu.deleteLater()

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, self.tr("Delete"), question)
        return answer == QMessageBox.StandardButton.Yes

    @staticmethod
    def _plain(snippet: str) -> str:
        return snippet.replace(MATCH_START, "").replace(MATCH_END, "")
