"""The settings dialog's start-at-login check box: it adds and removes the real XDG autostart entry (in a
temporary XDG_CONFIG_HOME) along with the setting, and a refused change is one line and undone."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from desktop_assistant.config.autostart import launch_command
from desktop_assistant.config.store import SettingsStore
from tests.desktop_entries import ENTRY_NAME, desktop_file_validate, exec_argv

# With the dialog's own fixtures, which ``dialogs`` reaches by name (a parameter would shadow the import).
from tests.ui.test_settings_dialog import (  # noqa: F401
    OpenDialog,
    keyring_memory,
    open_dialog,
    saved_file,
    services,
)

pytestmark = pytest.mark.gui


@dataclass(frozen=True)
class Dialogs:
    """Opens settings dialogs over one settings file, with the autostart folder under ``xdg``."""

    open: OpenDialog
    store: SettingsStore
    xdg: Path


@pytest.fixture
def dialogs(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    folder = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    return Dialogs(request.getfixturevalue("open_dialog"), request.getfixturevalue("store"), folder)


def test_the_check_box_adds_and_removes_the_autostart_entry(dialogs: Dialogs) -> None:
    xdg = dialogs.xdg
    dialog = dialogs.open()
    box = dialog.hotkey_page.start_at_login
    entry = xdg / "autostart" / ENTRY_NAME
    assert not box.isChecked() and not entry.exists()
    dialog.tabs.setCurrentWidget(dialog.hotkey_page)
    box.click()
    assert saved_file(dialogs.store)["ui"] == {"start_at_login": True}
    desktop_file_validate(entry)
    assert exec_argv(entry) == launch_command()
    assert dialog.status.text() == ""
    dialog.close()

    again = dialogs.open()
    assert again.hotkey_page.start_at_login.isChecked()
    again.hotkey_page.start_at_login.click()
    assert saved_file(dialogs.store)["ui"] == {"start_at_login": False}
    assert not entry.exists()


def test_a_folder_that_cannot_be_written_is_one_line_and_the_box_springs_back(dialogs: Dialogs) -> None:
    xdg = dialogs.xdg
    xdg.mkdir()
    (xdg / "autostart").write_text("a file where the folder should be")
    dialog = dialogs.open()
    box = dialog.hotkey_page.start_at_login
    box.click()
    assert dialog.status.text() == (
        f"Cannot write the start-at-login entry {xdg}/autostart/{ENTRY_NAME}: File exists. "
        "Check that its folder is writable, or leave ui.start_at_login off."
    )
    assert not box.isChecked()
    assert not dialogs.store.path.exists()
