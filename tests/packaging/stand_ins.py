"""Stand-ins for the desktop entry, metainfo and icons another change adds to ``resources/``, written to
a temporary folder so the .deb can be built and installed before they land (never committed)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from desktop_assistant.assets import resource_path

APP_ID = "io.github.desktopassistant.DesktopAssistant"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
DESKTOP_FILES = (
    f"desktop/{APP_ID}.desktop",
    f"desktop/{APP_ID}.metainfo.xml",
    f"icons/hicolor/scalable/apps/{APP_ID}.svg",
    *(f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES),
)

_DESKTOP_ENTRY = f"""[Desktop Entry]
Type=Application
Name=Desktop Assistant
Exec=desktop-assistant
Icon={APP_ID}
Categories=Utility;
"""
_METAINFO = f"""<?xml version="1.0" encoding="UTF-8"?>
<component type="desktop-application"><id>{APP_ID}</id><name>Desktop Assistant</name></component>
"""
_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"><circle cx="8" cy="8" r="7"/></svg>\n'


def desktop_resources(folder: Path) -> Path:
    """``resources/`` where it has every file the .deb installs, else stand-ins written under ``folder``."""
    real = resource_path(".")
    if all((real / name).is_file() for name in DESKTOP_FILES):
        return real
    apps = folder / "icons" / "hicolor" / "scalable" / "apps"
    apps.mkdir(parents=True)
    (folder / "desktop").mkdir()
    (folder / DESKTOP_FILES[0]).write_text(_DESKTOP_ENTRY)
    (folder / DESKTOP_FILES[1]).write_text(_METAINFO)
    (folder / DESKTOP_FILES[2]).write_text(_SVG)
    for size, name in zip(ICON_SIZES, DESKTOP_FILES[3:], strict=True):
        (folder / name).parent.mkdir(parents=True)
        Image.new("RGBA", (size, size), (40, 120, 200, 255)).save(folder / name)
    return folder
