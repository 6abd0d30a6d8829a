"""How a spoken question sounded, beside its time in the window: live from ``TranscriptReady`` and in a
kept turn reopened from the history; a typed question shows only its time."""

from __future__ import annotations

import re

import pytest
from pytestqt.qtbot import QtBot

from desktop_assistant.config.store import AppPaths
from desktop_assistant.core.events import TranscriptReady
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.ui.main_window import MainWindow
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.store.test_history import ended as turn_end
from tests.ui.test_guard_marks import turn
from tests.ui.test_guard_marks import window as window  # the fixture: a shown main window
from tests.ui.test_history_window import HistoryLoader, start_app

pytestmark = pytest.mark.gui

NOTE = "(spoken quickly and loudly, rising at the end)"
TIME = r"\d\d:\d\d"
TIP = "How you sounded, as the model was told"


def test_a_spoken_question_shows_how_it_sounded_and_a_typed_one_only_its_time(window: MainWindow) -> None:
    window.apply(TranscriptReady("t1", "Where is my train?", NOTE))
    spoken = turn(window, "t1").question_time
    assert re.fullmatch(rf"spoken quickly and loudly, rising at the end · {TIME}", spoken.text())
    assert spoken.toolTip() == TIP
    window.apply(TranscriptReady("t2", "And the next one?"))
    typed = turn(window, "t2").question_time
    assert re.fullmatch(TIME, typed.text()) and typed.toolTip() == ""


def test_a_kept_turn_shows_its_note_when_reopened(qtbot: QtBot, app_paths: AppPaths) -> None:
    store = HistoryStore(history_folder(app_paths.data_dir))
    store.begin_turn("c1", "k1", "spoken", "Where is my train?", voice=(NOTE, {"words_per_s": 6.1}))
    store.end_turn("k1", turn_end("Platform 4."))
    store.close()
    with use_keyring(MemoryKeyring()):
        controller, window, _ = start_app(qtbot, app_paths, HistoryLoader())
        try:
            shown = turn(window, "k1").question_time  # the last conversation is reopened at start
            assert re.fullmatch(rf"spoken quickly and loudly, rising at the end · {TIME}", shown.text())
        finally:
            controller.shutdown()
