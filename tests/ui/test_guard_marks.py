"""What the speech guard did, marked in the reply as the window shows it: live from ``GuardApplied`` while
the reply streams, again once it is rendered as Markdown, and in a kept turn reopened from the history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QHelpEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from desktop_assistant.config.store import AppPaths
from desktop_assistant.core.events import GuardApplied, ReplyDelta, TranscriptReady
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.text.guard import GuardAction
from desktop_assistant.ui.main_window import MainWindow
from desktop_assistant.ui.turn_view import TurnView
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.store.test_history import ended as turn_end
from tests.ui.test_history_window import HistoryLoader, start_app
from tests.ui.window_helpers import ended

pytestmark = pytest.mark.gui

EMAIL = GuardAction("redacted", "e-mail address", "bob.smith@example.com", (9, 30))
NOT_READ = "Not read aloud: e-mail address"
BLOCKED = "Not read aloud from here on: a blocked phrase (Settings, Guard)"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    win = MainWindow(max_image_side=256)
    qtbot.addWidget(win)
    win.set_ready(True)
    win.show()
    qtbot.waitExposed(win)
    yield win


def marks(view: TurnView) -> list[tuple[str, str]]:
    """Each marked stretch of the shown reply (runs of characters with one tooltip) and its tooltip;
    every marked character has a background, and no unmarked one has."""
    document = view.reply.document()
    text = document.toPlainText()
    found: list[tuple[int, int, str]] = []
    cursor = QTextCursor(document)
    for position in range(len(text)):
        cursor.setPosition(position + 1)  # the format of the character before the cursor
        char_format = cursor.charFormat()
        tip = char_format.toolTip()
        if text[position] == "\n":
            continue
        painted = char_format.background().style() != Qt.BrushStyle.NoBrush
        assert painted == bool(tip), (text[position], tip)
        if not tip:
            continue
        if found and found[-1][2] == tip and found[-1][1] >= position - 1:
            found[-1] = (found[-1][0], position + 1, tip)
        else:
            found.append((position, position + 1, tip))
    return [(text[start:end], tip) for start, end, tip in found]


def turn(window: MainWindow, turn_id: str = "t1") -> TurnView:
    view = window.transcript.turn(turn_id)
    assert view is not None
    return view


def test_a_redaction_is_marked_as_it_comes_and_again_once_the_reply_is_rendered(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "Who do I write to?"))
    window.apply(ReplyDelta("t1", "Write to **bob.smith@"))
    window.apply(ReplyDelta("t1", "example.com"))
    assert marks(turn(window)) == []
    window.apply(GuardApplied("t1", EMAIL))
    assert marks(turn(window)) == [("bob.smith@example.com", NOT_READ)]
    window.apply(ReplyDelta("t1", "** today. Thanks!"))  # what streams in after a mark is not marked
    assert marks(turn(window)) == [("bob.smith@example.com", NOT_READ)]

    reply = "Write to **bob.smith@example.com** today. Thanks!"
    window.apply(ended("t1", reply=reply, guard_actions=(EMAIL,)))

    view = turn(window)
    assert view.reply.toPlainText() == "Write to bob.smith@example.com today. Thanks!"
    assert marks(view) == [("bob.smith@example.com", NOT_READ)]
    cursor = QTextCursor(view.reply.document())
    cursor.setPosition(len("Write to bob"))
    assert cursor.charFormat().fontWeight() >= QFont.Weight.Bold.value  # the mark keeps the bold
    assert "Left out when read aloud: e-mail address" in view.note.text()


def test_the_same_words_twice_are_marked_where_each_action_found_them(window: MainWindow) -> None:
    phone = GuardAction("redacted", "phone number", "555-1234", (0, 0))
    reply = "Call 555-1234 or,\nif busy, 555-1234 again; not 555-1234 here."
    window.apply(TranscriptReady("t1", "Numbers?"))
    window.apply(ReplyDelta("t1", reply))
    window.apply(GuardApplied("t1", phone))
    window.apply(GuardApplied("t1", phone))
    tip = "Not read aloud: phone number"
    assert marks(turn(window)) == [("555-1234", tip), ("555-1234", tip)]
    document = turn(window).reply.document()
    cursor = QTextCursor(document)
    cursor.setPosition(reply.rindex("555-1234") + 1)
    assert cursor.charFormat().toolTip() == ""  # the third, that the guard did not report, is not marked


def test_words_across_a_line_break_are_found_and_unknown_words_mark_nothing(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "Address?"))
    window.apply(ReplyDelta("t1", "It is\nDE89 3704\n0044 0532 0130 00 and that is all."))
    window.apply(GuardApplied("t1", GuardAction("redacted", "IBAN", "DE89 3704 0044 0532 0130 00")))
    window.apply(GuardApplied("t1", GuardAction("redacted", "e-mail address", "not@shown.org")))
    assert marks(turn(window)) == [("DE89 3704\n0044 0532 0130 00", "Not read aloud: IBAN")]


def test_a_blocked_phrase_marks_the_rest_of_the_reply_and_what_streams_in_after_it(
    window: MainWindow,
) -> None:
    blocked = GuardAction("blocked", "block phrase", "Secret plan", (33, 44))
    window.apply(TranscriptReady("t1", "What now?"))
    window.apply(ReplyDelta("t1", "The first part is fine. Then the Secret"))
    window.apply(ReplyDelta("t1", "\nplan appears."))
    window.apply(GuardApplied("t1", blocked))
    window.apply(ReplyDelta("t1", " And more after it."))
    assert marks(turn(window)) == [("Secret\nplan appears. And more after it.", BLOCKED)]

    reply = "The first part is fine. Then the Secret\nplan appears. And more after it.\n\n- a list item"
    window.apply(ended("t1", reply=reply, blocked=True, guard_actions=(blocked,)))
    view = turn(window)
    assert marks(view) == [("Secret plan appears. And more after it.\na list item", BLOCKED)]
    assert "blocked phrase" in view.note.text()


def test_a_replaced_word_is_marked_and_noted(window: MainWindow) -> None:
    replaced = GuardAction("replaced", "never-speak word", "Darn", (0, 4))
    window.apply(TranscriptReady("t1", "How did it go?"))
    window.apply(ReplyDelta("t1", "Darn, it broke."))
    window.apply(GuardApplied("t1", replaced))
    tip = "Said as a neutral word: never-speak word"
    assert marks(turn(window)) == [("Darn", tip)]
    window.apply(ended("t1", reply="Darn, it broke.", guard_actions=(replaced,)))
    assert marks(turn(window)) == [("Darn", tip)]
    assert "Said as a neutral word: Darn" in turn(window).note.text()


def test_a_mark_shows_its_tooltip_under_the_pointer(window: MainWindow, qtbot: QtBot) -> None:
    window.apply(TranscriptReady("t1", "Mail?"))
    window.apply(ended("t1", reply="Write to bob.smith@example.com today.", guard_actions=(EMAIL,)))
    reply = turn(window).reply
    qtbot.waitUntil(lambda: reply.isVisible())
    cursor = QTextCursor(reply.document())
    cursor.setPosition(len("Write to bob.sm"))
    inside = reply.cursorRect(cursor).center()
    cursor.setPosition(len("Wri"))
    outside = reply.cursorRect(cursor).center()
    for where, tip in ((outside, ""), (inside, NOT_READ)):  # (a tooltip once shown fades out slowly)
        event = QHelpEvent(QEvent.Type.ToolTip, where, reply.viewport().mapToGlobal(where))
        QApplication.sendEvent(reply.viewport(), event)
        assert (QToolTip.text() if QToolTip.isVisible() else "") == tip


def test_a_kept_turn_reopened_from_the_history_is_marked_the_same_way(
    qtbot: QtBot, app_paths: AppPaths
) -> None:
    blocked = GuardAction("blocked", "block phrase", "secret plan", (50, 61))
    store = HistoryStore(history_folder(app_paths.data_dir))
    store.begin_turn("c1", "k1", "typed", "Tell me everything")
    reply = "Mail **bob.smith@example.com** first. Then the secret plan: step one."
    store.end_turn("k1", turn_end(reply, blocked=True, guard_actions=(EMAIL, blocked)))
    store.close()
    with use_keyring(MemoryKeyring()):
        controller, window, _ = start_app(qtbot, app_paths, HistoryLoader())
        try:
            view = turn(window, "k1")  # the last conversation is reopened at start
            assert marks(view) == [
                ("bob.smith@example.com", NOT_READ),
                ("secret plan: step one.", BLOCKED),
            ]
            assert "Left out when read aloud: e-mail address" in view.note.text()
        finally:
            controller.shutdown()
