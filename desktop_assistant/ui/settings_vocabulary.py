"""The correction table on the Speech page: heard and meant words in two columns, with CSV import and export.

Import merges: the file's rows are added, and a heard phrase already in the table takes the file's meaning.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_assistant.config.item_checks import split_correction
from desktop_assistant.errors import ConfigError, first_line
from desktop_assistant.ui.settings_fields import PageTools, plain_button

KEY = "stt.corrections"
HEADER = ("heard", "meant")
CSV_FILTER = "CSV files (*.csv);;All files (*)"
Pair = tuple[str, str]


def read_csv(path: Path) -> list[Pair]:
    """The ``heard,meant`` rows of a UTF-8 CSV file with that header; ``ConfigError`` for a bad file."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"Cannot read {path.name}: {first_line(exc)}", "Choose another file.") from None
    except UnicodeDecodeError:
        raise ConfigError(
            f"Cannot import {path.name}: it is not UTF-8 text", "Save it as UTF-8 CSV."
        ) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    hint = "Each row needs two columns, under the header row heard,meant."
    if not rows or tuple(cell.strip().casefold() for cell in rows[0]) != HEADER:
        raise ConfigError(f"Cannot import {path.name}: its first row is not heard,meant", hint)
    pairs: list[Pair] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [cell.strip() for cell in row]
        if len(cells) != 2 or not all(cells) or "=" in cells[0]:
            raise ConfigError(
                f"Cannot import {path.name}: row {number} is not a heard word and a meant one", hint
            )
        pairs.append((cells[0], cells[1]))
    return pairs


def write_csv(path: Path, pairs: list[Pair]) -> None:
    """Write ``pairs`` under the header row ``heard,meant`` as UTF-8; ``ConfigError`` when it cannot."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(pairs)
    try:
        path.write_text(out.getvalue(), encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"Cannot write {path.name}: {first_line(exc)}", "Choose a folder you can write to."
        ) from None


def merged(pairs: list[Pair], imported: list[Pair]) -> list[Pair]:
    """``pairs`` with ``imported`` added; a heard phrase already there takes the imported meaning."""
    by_heard = {heard.casefold(): (heard, meant) for heard, meant in pairs}
    for heard, meant in imported:
        by_heard[heard.casefold()] = (by_heard.get(heard.casefold(), (heard, ""))[0], meant)
    return list(by_heard.values())


class CorrectionsEditor(QWidget):
    """The ``stt.corrections`` table: a row per correction, saved whenever a cell is edited."""

    def __init__(self, tools: PageTools, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tools = tools
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels([self.tr("Heard"), self.tr("Meant")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAccessibleName(self.tr("Corrections"))
        corner = self.table.findChild(QAbstractButton)  # the select-all button where the headers meet
        if corner is not None:
            corner.setAccessibleName(self.tr("Select all corrections"))
        self.add_button = plain_button(self.tr("A&dd"), self.tr("Add a correction"), self)
        self.remove_button = plain_button(
            self.tr("R&emove"), self.tr("Remove the selected corrections"), self
        )
        self.import_button = plain_button(
            self.tr("Im&port CSV…"), self.tr("Import corrections from CSV"), self
        )
        self.export_button = plain_button(self.tr("E&xport CSV…"), self.tr("Export corrections to CSV"), self)
        self.add_button.clicked.connect(self._add_row)
        self.remove_button.clicked.connect(self._remove_rows)
        self.import_button.clicked.connect(self._import)
        self.export_button.clicked.connect(self._export)
        note = QLabel(
            self.tr(
                "What Whisper writes (Heard) is replaced by what you meant. Import adds a file's rows "
                "(CSV with the header heard,meant); a heard phrase already here takes the file's meaning."
            ),
            self,
        )
        note.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.import_button, self.export_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        layout.addWidget(note)
        self._show([split_correction(item) for item in tools.saver.current.stt.corrections])
        self.table.itemChanged.connect(self._save)

    def pairs(self) -> list[Pair]:
        """The rows with something in them, as (heard, meant), stripped."""
        rows = [(self._cell(row, 0), self._cell(row, 1)) for row in range(self.table.rowCount())]
        return [pair for pair in rows if any(pair)]

    def complete_pairs(self) -> list[Pair]:
        """The rows with both a heard and a meant side: the ones that are saved and exported."""
        return [(heard, meant) for heard, meant in self.pairs() if heard and meant]

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def _show(self, pairs: list[Pair]) -> None:
        blocked = self.table.blockSignals(True)
        self.table.setRowCount(len(pairs))
        for row, pair in enumerate(pairs):
            for column, text in enumerate(pair):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.blockSignals(blocked)

    def _save(self) -> None:
        complete = self.complete_pairs()
        if any("=" in heard for heard, _ in complete):
            self._tools.report(self.tr("A heard phrase cannot contain '='; the corrections are not saved."))
            return
        saved = self._tools.saver.save(KEY, tuple(f"{heard}={meant}" for heard, meant in complete))
        if saved and len(complete) < len(self.pairs()):
            self._tools.report(self.tr("A row is saved once both Heard and Meant are filled in."))

    def _add_row(self) -> None:
        row = self.table.rowCount()
        heard = QTableWidgetItem("")
        blocked = self.table.blockSignals(True)
        self.table.insertRow(row)
        self.table.setItem(row, 0, heard)
        self.table.setItem(row, 1, QTableWidgetItem(""))
        self.table.blockSignals(blocked)
        self.table.setCurrentCell(row, 0)
        self.table.editItem(heard)

    def _remove_rows(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        self._save()

    def _import(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Import corrections"), "", CSV_FILTER)
        if not name:
            return
        try:
            imported = read_csv(Path(name))
        except ConfigError as exc:
            self._tools.report(exc.line())
            return
        self._show(merged(self.pairs(), imported))
        self._save()

    def _export(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self, self.tr("Export corrections"), "corrections.csv", CSV_FILTER
        )
        if not name:
            return
        try:
            write_csv(Path(name), self.complete_pairs())
        except ConfigError as exc:
            self._tools.report(exc.line())
