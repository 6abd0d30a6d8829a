"""Render the app's icons from its hand-drawn SVG, so they never drift apart from it.

    python packaging/render_icons.py            # rewrites the committed icons (below)
    python packaging/render_icons.py --out DIR  # writes them all into DIR instead

The hicolor PNGs (resources/icons/hicolor/<N>x<N>/apps/) for Linux desktops and the app's windows,
packaging/windows/desktop-assistant.ico for the Windows executable and installer, and
packaging/macos/desktop-assistant.icns for the macOS bundle. Qt's own SVG renderer (QtSvg, part of
PySide6-Essentials) draws each size from the vector, so a 16-pixel icon is drawn at 16 pixels rather
than shrunk from a large bitmap; Pillow packs those same images into the .ico and .icns.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons" / "hicolor"
ICO = ROOT / "packaging" / "windows" / "desktop-assistant.ico"
ICNS = ROOT / "packaging" / "macos" / "desktop-assistant.icns"
APP_ID = "io.github.desktopassistant.DesktopAssistant"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows reads no larger
ICNS_LARGEST = 1024  # the .icns's 512x512@2x


def draw(sizes: tuple[int, ...]) -> dict[int, bytes]:
    """The SVG drawn at each of ``sizes``, as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ICONS / "scalable" / "apps" / f"{APP_ID}.svg"))
    if not renderer.isValid():
        raise SystemExit("the SVG icon cannot be read")
    drawn = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        drawn[size] = bytes(data.data())
    return drawn


def write(drawn: dict[int, bytes], hicolor: Path, ico: Path, icns: Path) -> list[Path]:
    """The hicolor PNGs, and the same images packed into the Windows .ico and the macOS .icns (each size
    they hold is the one drawn at that size, not a larger one scaled down); returns the files written."""
    from PIL import Image

    written = []
    for size in SIZES:
        target = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(drawn[size])
        written.append(target)
    images = {size: Image.open(io.BytesIO(data)) for size, data in drawn.items()}
    for target in (ico, icns):
        target.parent.mkdir(parents=True, exist_ok=True)
    smaller = [images[n] for n in ICO_SIZES[:-1]]
    images[ICO_SIZES[-1]].save(ico, sizes=[(n, n) for n in ICO_SIZES], append_images=smaller)
    retina = [image for size, image in images.items() if size != ICNS_LARGEST]
    images[ICNS_LARGEST].save(icns, append_images=retina)
    return [*written, ico, icns]


def main() -> None:
    """Render into the repository (or every file into ``--out``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every icon into this folder instead")
    out = parser.parse_args().out
    targets = (ICONS, ICO, ICNS) if out is None else (out, out / ICO.name, out / ICNS.name)
    for path in write(draw((*SIZES, ICNS_LARGEST)), *targets):
        print(path)


if __name__ == "__main__":
    main()
