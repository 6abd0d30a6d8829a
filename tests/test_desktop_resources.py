"""What desktops and software centres read from ``resources/``: the desktop entry and the AppStream
metainfo pass their validators and agree with pyproject.toml, and the icons (the hicolor PNGs, the
Windows .ico and the macOS .icns) are the SVG rendered."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_assistant.assets import APP_ID, desktop_entry, icon_files, resource_path
from tests.desktop_entries import desktop_file_validate
from tests.processes import unavailable

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
METAINFO = resource_path(f"desktop/{APP_ID}.metainfo.xml")
SIZES = [16, 24, 32, 48, 64, 128, 256, 512]


def entry_keys() -> dict[str, str]:
    lines = desktop_entry().read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line)


def test_the_desktop_entry_validates_and_starts_the_installed_script() -> None:
    assert desktop_file_validate(desktop_entry()) == ""
    keys = entry_keys()
    assert keys["Exec"] == "desktop-assistant"
    assert "desktop-assistant" in PROJECT["scripts"]
    assert keys["Icon"] == APP_ID
    assert keys["Categories"].split(";")[:2] == ["Utility", "Accessibility"]
    assert {"voice", "assistant", "speech"} <= set(keys["Keywords"].split(";"))
    assert keys["StartupNotify"] == "true"


def test_the_metainfo_validates() -> None:
    if shutil.which("appstreamcli") is None:
        unavailable("appstreamcli is not installed (apt install appstream)")
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_metainfo_names_the_app_its_binary_and_this_release() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == desktop_entry().name
    assert [b.text for b in root.iterfind("provides/binary")] == ["desktop-assistant"]
    assert root.findtext("project_license") == PROJECT["license"]["text"]
    assert root.find("content_rating") is not None
    assert root.findtext("developer/name")
    assert root.findtext("url[@type='homepage']", "").startswith("https://")
    releases = root.findall("releases/release")
    assert releases[0].get("version") == PROJECT["version"]
    for image in root.iterfind("screenshots/screenshot/image"):
        # Served from the repository: the file it names must be in it.
        assert image.text is not None
        assert (ROOT / image.text.split("/main/", 1)[1]).is_file(), image.text


def test_every_icon_size_is_there_at_its_size() -> None:
    assert icon_files() == [resource_path(f"icons/hicolor/{n}x{n}/apps/{APP_ID}.png") for n in SIZES]
    for n, path in zip(SIZES, icon_files(), strict=True):
        with Image.open(path) as image:
            assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (n, n))
            # Transparent corners: the bubble is drawn on nothing.
            assert image.getpixel((0, 0))[3] == 0
    assert resource_path(f"icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()


def test_the_pngs_are_the_svg_rendered_by_the_script(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for n, committed in zip(SIZES, icon_files(), strict=True):
        with Image.open(committed) as old, Image.open(tmp_path / f"{n}x{n}/apps/{APP_ID}.png") as new:
            difference = np.abs(np.asarray(old, np.int16) - np.asarray(new, np.int16))
        # Another Qt may antialias an edge a shade differently; a changed shape or colour moves far more.
        assert difference.mean() < 0.5, f"{committed} is not the SVG as rendered now"


def pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA"), np.int16)


def test_the_windows_and_macos_icons_hold_the_rendered_sizes() -> None:
    pngs = dict(zip(SIZES, icon_files(), strict=True))
    with Image.open(ROOT / "packaging" / "windows" / "desktop-assistant.ico") as ico:
        assert sorted(ico.info["sizes"]) == [(n, n) for n in SIZES[:-1]]
        for n in SIZES[:-1]:
            ico.size = (n, n)
            with Image.open(pngs[n]) as png:
                assert np.abs(pixels(ico) - pixels(png)).mean() < 0.5, f"the .ico's {n}x{n}"
    icns_file = ROOT / "packaging" / "macos" / "desktop-assistant.icns"
    with Image.open(icns_file) as icns:
        held = icns.info["sizes"]
    assert {(512, 512, 2), (512, 512, 1), (128, 128, 1), (32, 32, 2), (16, 16, 2)} <= set(held)
    for side, _, scale in held:
        if side * scale in pngs:  # all but the 1024 pixels of 512x512@2x
            with Image.open(icns_file) as icns, Image.open(pngs[side * scale]) as png:
                icns.best_size = (side, side, scale)
                assert np.abs(pixels(icns) - pixels(png)).mean() < 0.5, f"the .icns's {side}@{scale}x"


@pytest.mark.parametrize("size", [16, 512])
def test_the_icon_is_a_blue_bubble_with_a_white_microphone(size: int) -> None:
    with Image.open(resource_path(f"icons/hicolor/{size}x{size}/apps/{APP_ID}.png")) as image:
        pixels = np.asarray(image.convert("RGBA"), np.int16)
    middle = pixels[int(size * 0.3), size // 2]  # the microphone's capsule
    assert middle[3] == 255 and min(middle[:3]) > 200
    bubble = pixels[int(size * 0.55), int(size * 0.12)]  # the bubble, left of the sound waves
    assert bubble[3] == 255 and bubble[2] > 180 and bubble[0] < 100
