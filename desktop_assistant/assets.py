"""Files from ``resources/``: inside the package in a wheel, beside it in a source checkout."""

from __future__ import annotations

from pathlib import Path

# The app's id: the name of its desktop entry, icons, AppStream metainfo and LaunchAgent, and what the
# window tells the compositor it is (QGuiApplication.setDesktopFileName).
APP_ID = "io.github.desktopassistant.DesktopAssistant"


def resource_path(name: str) -> Path:
    """The path of ``resources/<name>``."""
    packaged = Path(__file__).with_name("resources") / name
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[1] / "resources" / name


def desktop_entry() -> Path:
    """The app's freedesktop ``.desktop`` file."""
    return resource_path(f"desktop/{APP_ID}.desktop")


def icon_files() -> list[Path]:
    """The app's PNG icons, smallest first (``resources/icons/hicolor/<N>x<N>/apps``)."""
    found = resource_path("icons/hicolor").glob(f"*x*/apps/{APP_ID}.png")
    return sorted(found, key=lambda path: int(path.parent.parent.name.partition("x")[0]))
