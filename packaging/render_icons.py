"""Render the app's hicolor PNG icons from its hand-drawn SVG, so the two never drift apart.

    python packaging/render_icons.py            # rewrites resources/icons/hicolor/<N>x<N>/apps/*.png
    python packaging/render_icons.py --out DIR  # writes DIR/<N>x<N>/apps/*.png instead

Qt's own SVG renderer (QtSvg, part of PySide6-Essentials) draws each size from the vector, so a
16-pixel icon is drawn at 16 pixels rather than shrunk from a large bitmap.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons" / "hicolor"
APP_ID = "io.github.desktopassistant.DesktopAssistant"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(out: Path) -> list[Path]:
    """Write ``out/<N>x<N>/apps/<APP_ID>.png`` for every size; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "scalable" / "apps" / f"{APP_ID}.svg"))
    if not renderer.isValid():
        raise SystemExit("the SVG icon cannot be read")
    written = []
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    return written


def main() -> None:
    """Render into ``--out`` (default: the repository's hicolor folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ICONS, help="the hicolor folder to write into")
    for path in render(parser.parse_args().out):
        print(path)


if __name__ == "__main__":
    main()
