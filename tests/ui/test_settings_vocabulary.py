"""The Speech page's correction table, its CSV import and export, and the match threshold, offscreen."""

from __future__ import annotations

from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QLabel, QLineEdit, QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from desktop_assistant.config.store import SettingsStore
from desktop_assistant.ui.settings_dialog import SettingsDialog
from desktop_assistant.ui.settings_vocabulary import CorrectionsEditor
from tests.ui import test_settings_dialog as dialog_tests
from tests.ui.test_settings_dialog import OpenDialog, saved_file

pytestmark = pytest.mark.gui

# The settings dialog's own fixtures: an in-memory keyring, instant services (the home: tests/ui/conftest.py).
keyring_memory = dialog_tests.keyring_memory
services = dialog_tests.services
open_dialog = dialog_tests.open_dialog

HINT = "Each row needs two columns, under the header row heard,meant."


def editor_of(qtbot: QtBot, table: QTableWidget) -> QLineEdit:
    """The cell editor now open in ``table``."""
    found: list[QLineEdit] = []

    def open_editor() -> bool:
        found[:] = [e for e in table.viewport().findChildren(QLineEdit) if e.isVisible()]
        return len(found) == 1

    qtbot.waitUntil(open_editor)
    return found[0]


def type_cell(qtbot: QtBot, table: QTableWidget, row: int, column: int, text: str) -> None:
    """Edit a cell as a user does: open its editor, replace the text, press Return."""
    item = table.item(row, column)
    assert item is not None
    table.setCurrentCell(row, column)
    table.editItem(item)
    type_into_editor(qtbot, table, text)


def type_into_editor(qtbot: QtBot, table: QTableWidget, text: str) -> None:
    editor = editor_of(qtbot, table)
    editor.selectAll()
    QTest.keyClicks(editor, text)
    QTest.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not shiboken6.isValid(editor) or not editor.isVisible())


def open_speech(open_dialog: OpenDialog) -> tuple[SettingsDialog, CorrectionsEditor]:
    dialog = open_dialog()
    dialog.tabs.setCurrentWidget(dialog.speech_page)
    return dialog, dialog.speech_page.corrections


def choose_file(monkeypatch: pytest.MonkeyPatch, getter: str, path: Path | None) -> list[QWidget]:
    """Make ``QFileDialog.<getter>`` answer ``path`` (None: the user cancelled); returns the parents asked."""
    asked: list[QWidget] = []

    def answer(parent: QWidget, *args: object) -> tuple[str, str]:
        asked.append(parent)
        return (str(path) if path else "", "CSV files (*.csv)")

    monkeypatch.setattr(QFileDialog, getter, staticmethod(answer))
    return asked


def test_rows_are_added_edited_removed_and_saved_as_pairs(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    store.set("stt.corrections", ("comfy eye=ComfyUI",))
    dialog, editor = open_speech(open_dialog)
    table = editor.table
    assert [table.horizontalHeaderItem(i).text() for i in range(2)] == ["Heard", "Meant"]
    assert editor.pairs() == [("comfy eye", "ComfyUI")]

    editor.add_button.click()
    type_into_editor(qtbot, table, "met for men")
    # Half a row is not saved, and the dialog says why.
    assert store.load().stt.corrections == ("comfy eye=ComfyUI",)
    assert dialog.status.text() == "A row is saved once both Heard and Meant are filled in."
    type_cell(qtbot, table, 1, 1, "Metformin")
    assert saved_file(store)["stt"] == {"corrections": ["comfy eye=ComfyUI", "met for men=Metformin"]}
    assert dialog.status.text() == ""

    type_cell(qtbot, table, 0, 1, "ComfyUI app")
    assert store.load().stt.corrections == ("comfy eye=ComfyUI app", "met for men=Metformin")
    table.selectRow(0)
    editor.remove_button.click()
    assert store.load().stt.corrections == ("met for men=Metformin",)

    dialog.speech_page.threshold.setValue(92)
    assert saved_file(store)["stt"] == {"corrections": ["met for men=Metformin"], "correction_threshold": 92}
    dialog.close()
    again = open_dialog()
    assert again.speech_page.corrections.pairs() == [("met for men", "Metformin")]
    assert again.speech_page.threshold.value() == 92


def test_a_heard_phrase_with_an_equals_sign_is_refused(
    qtbot: QtBot, open_dialog: OpenDialog, store: SettingsStore
) -> None:
    dialog, editor = open_speech(open_dialog)
    editor.add_button.click()
    type_into_editor(qtbot, editor.table, "a=b")
    type_cell(qtbot, editor.table, 0, 1, "C")
    assert dialog.status.text() == "A heard phrase cannot contain '='; the corrections are not saved."
    assert not store.path.exists()


def test_import_merges_and_export_writes_what_is_saved(
    qtbot: QtBot,
    open_dialog: OpenDialog,
    store: SettingsStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.set("stt.corrections", ("comfy eye=ComfyUI", "cube control=kubectl"))
    _, editor = open_speech(open_dialog)
    source = tmp_path / "names.csv"
    source.write_text(
        'Heard,Meant\nCube Control,kube control\nzorbletics,Zorblatix\n\n"met, for men",Metformin\n',
        encoding="utf-8",
    )
    asked = choose_file(monkeypatch, "getOpenFileName", source)
    editor.import_button.click()
    assert asked == [editor]
    assert editor.pairs() == [
        ("comfy eye", "ComfyUI"),
        ("cube control", "kube control"),
        ("zorbletics", "Zorblatix"),
        ("met, for men", "Metformin"),
    ]
    assert saved_file(store)["stt"] == {
        "corrections": [
            "comfy eye=ComfyUI",
            "cube control=kube control",
            "zorbletics=Zorblatix",
            "met, for men=Metformin",
        ]
    }
    # The page says what an import does.
    assert any("Import adds a file's rows" in label.text() for label in editor.findChildren(QLabel))

    target = tmp_path / "out" / "corrections.csv"
    target.parent.mkdir()
    choose_file(monkeypatch, "getSaveFileName", target)
    editor.add_button.click()
    type_into_editor(qtbot, editor.table, "half a row")
    editor.export_button.click()
    assert target.read_text(encoding="utf-8") == (
        "heard,meant\ncomfy eye,ComfyUI\ncube control,kube control\nzorbletics,Zorblatix\n"
        '"met, for men",Metformin\n'
    )

    # Cancelling either file dialog changes nothing.
    choose_file(monkeypatch, "getOpenFileName", None)
    before = store.path.read_bytes()
    editor.import_button.click()
    assert store.path.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "line"),
    [
        (
            b"heard,meant\nzorbletics\n",
            f"Cannot import bad.csv: row 2 is not a heard word and a meant one. {HINT}",
        ),
        (
            b"heard,meant\nzorbletics,\n",
            f"Cannot import bad.csv: row 2 is not a heard word and a meant one. {HINT}",
        ),
        (
            b"heard,meant\na,b,c\n",
            f"Cannot import bad.csv: row 2 is not a heard word and a meant one. {HINT}",
        ),
        (
            b"heard,meant\nok,fine\nx=y,z\n",
            f"Cannot import bad.csv: row 3 is not a heard word and a meant one. {HINT}",
        ),
        (
            b"zorbletics,Zorblatix\n",
            f"Cannot import bad.csv: its first row is not heard,meant. {HINT}",
        ),
        (b"", f"Cannot import bad.csv: its first row is not heard,meant. {HINT}"),
        (
            "heard,meant\nnaïve,Naive\n".encode("latin-1"),
            "Cannot import bad.csv: it is not UTF-8 text. Save it as UTF-8 CSV.",
        ),
    ],
)
def test_a_bad_file_is_one_line_in_the_dialog_and_changes_nothing(
    content: bytes,
    line: str,
    qtbot: QtBot,
    open_dialog: OpenDialog,
    store: SettingsStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.set("stt.corrections", ("comfy eye=ComfyUI",))
    before = store.path.read_bytes()
    dialog, editor = open_speech(open_dialog)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    choose_file(monkeypatch, "getOpenFileName", bad)
    editor.import_button.click()
    assert dialog.status.text() == line
    assert editor.pairs() == [("comfy eye", "ComfyUI")]
    assert store.path.read_bytes() == before


def test_files_that_cannot_be_read_or_written_are_one_line(
    qtbot: QtBot, open_dialog: OpenDialog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, editor = open_speech(open_dialog)
    choose_file(monkeypatch, "getOpenFileName", tmp_path / "gone.csv")
    editor.import_button.click()
    assert dialog.status.text() == (
        "Cannot read gone.csv: [Errno 2] No such file or directory: "
        f"'{tmp_path / 'gone.csv'}'. Choose another file."
    )
    choose_file(monkeypatch, "getSaveFileName", tmp_path / "no-folder" / "out.csv")
    editor.export_button.click()
    assert dialog.status.text().startswith("Cannot write out.csv: [Errno 2] No such file or directory")
    assert dialog.status.text().endswith(". Choose a folder you can write to.")
