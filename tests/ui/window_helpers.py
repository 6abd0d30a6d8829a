"""Builders shared by the window tests: engine events, test images, drops."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from desktop_assistant.core.events import TurnEnded
from desktop_assistant.ui.main_window import MainWindow


def ended(turn_id: str, **fields: object) -> TurnEnded:
    """A TurnEnded with a plain answered turn's defaults; ``fields`` override them."""
    values: dict[str, object] = {
        "turn_id": turn_id,
        "transcript": "What is this?",
        "reply": "An answer.",
        "spoken": "An answer.",
        "heard": "An answer.",
        "interrupted": False,
        "incomplete": False,
        "error": None,
        "timings_ms": {},
    }
    values.update(fields)
    return TurnEnded(**values)  # type: ignore[arg-type]


def write_png(
    path: Path, size: tuple[int, int] = (40, 30), colour: tuple[int, int, int] = (200, 30, 30)
) -> Path:
    """A solid-colour PNG at ``path``."""
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def drop_files(window: MainWindow, *paths: Path) -> tuple[bool, bool]:
    """Drag ``paths`` (as file URLs) over ``window`` and drop them, through its handlers (a synthetic
    drop sent through QApplication never reaches a widget). Returns whether the drag and the drop
    were accepted."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    where, action, button = QPointF(10, 10), Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton
    enter = QDragEnterEvent(where.toPoint(), action, mime, button, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    drop = QDropEvent(where, action, mime, button, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    return enter.isAccepted(), drop.isAccepted()
