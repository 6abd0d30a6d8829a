"""House rules that the code's shape can check: the engine never knows Qt, and the app never loads Praat."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "desktop_assistant"
QT_FREE = ("core", "audio", "stt", "llm", "text", "tts", "store", "config", "cli", "bench", "doctor")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_non_ui_packages_never_import_qt() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for folder in QT_FREE
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] in ("PySide6", "shiboken6")
    ]
    assert offenders == []


def test_the_app_never_imports_praat() -> None:
    """parselmouth costs the app 75 MB of memory on import; pitch is YIN in audio/prosody.py."""
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in imported_modules(path)
        if name.split(".")[0] == "parselmouth"
    ]
    assert offenders == []


def test_the_rule_sees_an_import(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("from PySide6.QtCore import QObject\nimport os\n")
    assert imported_modules(sample) == {"PySide6.QtCore", "os"}
