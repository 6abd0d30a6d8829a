"""The settings dialog's Guard page: the phone region and the never-speak words, saved to a real settings
file and used by the guard built from it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.text.guard import SpeechGuard
from desktop_assistant.ui.settings_fields import BackgroundCalls, PageTools, SettingsSaver
from desktop_assistant.ui.settings_pages import GuardPage
from tests.ui.test_settings_dialog import FakeServices, choose, saved_file, type_and_leave

pytestmark = pytest.mark.gui

OpenPage = Callable[[], GuardPage]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsStore:
    monkeypatch.setenv("DESKTOP_ASSISTANT_HOME", str(tmp_path))
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    return SettingsStore(AppPaths.resolve())


@pytest.fixture
def reports() -> list[str]:
    return []


@pytest.fixture
def open_page(qtbot: QtBot, store: SettingsStore, reports: list[str]) -> OpenPage:
    """Show a Guard page over the settings file as it is now; what it reports lands in ``reports``."""

    def open_() -> GuardPage:
        saver = SettingsSaver(store, store.load())
        saver.failed.connect(reports.append)
        calls = BackgroundCalls(reports.append)
        page = GuardPage(PageTools(saver, calls, FakeServices(), reports.append))
        page.destroyed.connect(calls.close)
        qtbot.addWidget(page)
        with qtbot.waitActive(page):
            page.show()
            page.activateWindow()
        return page

    return open_


def test_an_empty_phone_region_shows_the_locales_and_a_chosen_or_typed_one_is_saved(
    qtbot: QtBot, open_page: OpenPage, store: SettingsStore, reports: list[str]
) -> None:
    page = open_page()
    line = page.phone_region.lineEdit()
    assert line is not None
    assert page.phone_region.currentText() == ""
    assert line.placeholderText() == "From the system locale: GB"
    index = page.phone_region.findText("ES")
    assert page.phone_region.itemData(index, Qt.ItemDataRole.ToolTipRole) == "Spain"
    choose(page.phone_region, "ES")
    assert saved_file(store)["text"] == {"phone_region": "ES"}
    type_and_leave(qtbot, line, "pt", page)
    assert saved_file(store)["text"] == {"phone_region": "PT"}
    assert reports == []
    page.close()
    assert open_page().phone_region.currentText() == "PT"


def test_a_region_phonenumbers_does_not_know_is_refused_with_a_line(
    qtbot: QtBot, open_page: OpenPage, store: SettingsStore, reports: list[str]
) -> None:
    page = open_page()
    line = page.phone_region.lineEdit()
    assert line is not None
    type_and_leave(qtbot, line, "UK", page)
    assert reports == [
        "Setting 'text.phone_region' cannot be 'UK': phonenumbers knows no such region. Use a two-letter "
        "country code such as US, GB or DE, or leave it empty for the system locale's."
    ]
    assert not store.path.exists()
    type_and_leave(qtbot, line, "", page)
    assert not store.path.exists()


def test_never_speak_words_are_saved_shown_again_and_spoken_as_something(
    qtbot: QtBot, open_page: OpenPage, store: SettingsStore
) -> None:
    page = open_page()
    type_and_leave(qtbot, page.never_speak, "Voldemort\n  Project Falcon \n", page)
    choose(page.phone_region, "ES")
    assert saved_file(store)["text"] == {"never_speak": ["Voldemort", "Project Falcon"], "phone_region": "ES"}
    page.close()
    again = open_page()
    assert again.never_speak.toPlainText() == "Voldemort\nProject Falcon"
    reply = SpeechGuard.from_settings(store.load().text).for_reply()
    assert reply.screen("Voldemort runs project falcon on 912 345 678.") == (
        "something runs something on redacted."
    )
