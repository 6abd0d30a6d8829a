"""The macOS and Windows recipes, which are built elsewhere (never here), agree with the app: the
entitlements let the signed app hear the microphone, and the Inno Setup script installs the version in
pyproject.toml under the app's id and starts it at login through the same Run value the app's setting
changes."""

from __future__ import annotations

import plistlib
import re
import tomllib
from pathlib import Path

from desktop_assistant.assets import APP_ID
from desktop_assistant.config.autostart import RUN_KEY, RUN_VALUE

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def test_the_macos_entitlements_allow_the_microphone_and_nothing_unneeded() -> None:
    entitlements = plistlib.loads((PACKAGING / "macos" / "entitlements.plist").read_bytes())
    assert entitlements == {
        "com.apple.security.device.audio-input": True,
        "com.apple.security.cs.allow-unsigned-executable-memory": True,
    }


def iss_sections() -> dict[str, list[str]]:
    """The Inno Setup script's sections, each a list of its lines (comments and continuations joined)."""
    text = (PACKAGING / "windows" / "desktop-assistant.iss").read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.replace("\\\n", "").splitlines():
        line = line.strip()
        if not line or line.startswith((";", "//")):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            sections[current] = []
        else:
            sections[current].append(line)
    return sections


def test_the_inno_script_installs_this_version_under_the_apps_id() -> None:
    sections = iss_sections()
    assert f'#define AppVersion "{VERSION}"' in sections[""]
    assert f"AppId={APP_ID}" in sections["Setup"]
    assert "DefaultDirName={autopf}\\{#AppName}" in sections["Setup"]
    assert any(line.startswith('Source: "dist\\desktop-assistant\\*"') for line in sections["Files"])
    assert '#define AppExe "desktop-assistant.exe"' in sections[""]
    assert any(line.startswith('Name: "{autoprograms}\\{#AppName}"') for line in sections["Icons"])


def test_the_inno_script_starts_it_at_login_through_the_apps_own_setting() -> None:
    sections = iss_sections()
    on = [line for line in sections["Run"] if "ui.start_at_login true" in line]
    assert len(on) == 1 and "Tasks: autostart" in on[0] and "runasoriginaluser" in on[0]
    assert any("ui.start_at_login false" in line for line in sections["UninstallRun"])
    assert f"'{RUN_KEY}', '{RUN_VALUE}'" in " ".join(sections["Code"])
