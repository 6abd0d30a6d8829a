"""Start at login: the XDG autostart file as real files (validated and run), the macOS LaunchAgent's
property list, and the Windows Run value through a registry object that stands in for winreg."""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_assistant.assets import APP_ID, desktop_entry
from desktop_assistant.config.autostart import (
    LaunchAgent,
    RunValue,
    XdgAutostart,
    exec_value,
    follow_setting,
    launch_command,
    login_entry,
    xdg_config_home,
)
from desktop_assistant.errors import AutostartError
from tests.desktop_entries import ENTRY_NAME, desktop_file_validate, exec_argv


def run_config_path(argv: list[str], home: Path) -> str:
    """Run ``argv config path`` with the app's folders under ``home``; its output."""
    env = {**os.environ, "DESKTOP_ASSISTANT_HOME": str(home)}
    done = subprocess.run([*argv, "config", "path"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_turning_it_on_writes_a_valid_autostart_entry_that_starts_the_app(
    config_home: Path, tmp_path: Path
) -> None:
    follow_setting("ui.start_at_login", True)
    entry = config_home / "autostart" / ENTRY_NAME
    assert login_entry().is_installed()
    assert desktop_file_validate(entry) == ""
    lines = entry.read_text(encoding="utf-8").splitlines()
    assert "X-GNOME-Autostart-enabled=true" in lines
    assert "Icon=io.github.desktopassistant.DesktopAssistant" in lines
    # The rest is the app's own desktop entry, line for line.
    original = desktop_entry().read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if not line.startswith(("Exec=", "X-GNOME"))] == [
        line for line in original if not line.startswith("Exec=")
    ]
    assert exec_argv(entry) == launch_command()
    assert run_config_path(exec_argv(entry), tmp_path) == (
        f"settings: {tmp_path}/config/settings.toml\ndata: {tmp_path}/data\n"
        f"models: {tmp_path}/models\nlogs: {tmp_path}/logs\n"
    )

    follow_setting("ui.start_at_login", False)
    assert not entry.exists()
    assert not login_entry().is_installed()
    follow_setting("ui.start_at_login", False)  # nothing to remove is fine


def test_an_exec_path_with_spaces_dollars_and_percents_is_quoted_so_it_still_runs(
    config_home: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "my apps $HOME 100%"
    folder.mkdir()
    script = folder / "desktop-assistant"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m desktop_assistant "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    command = launch_command(executable=str(folder / "python"), frozen=False)
    assert command == [str(script)]
    XdgAutostart(config_home).install(command)
    entry = config_home / "autostart" / ENTRY_NAME
    desktop_file_validate(entry)
    assert exec_argv(entry) == [str(script)]
    assert run_config_path(exec_argv(entry), tmp_path).startswith(f"settings: {tmp_path}/config/")


def test_exec_values_follow_the_desktop_entry_quoting_rules() -> None:
    assert exec_value(["/usr/bin/desktop-assistant"]) == "/usr/bin/desktop-assistant"
    assert exec_value(["/opt/My App/python", "-m", "desktop_assistant"]) == (
        '"/opt/My App/python" -m desktop_assistant'
    )
    assert exec_value(['/a/$x`y"z']) == '"/a/\\\\$x\\\\`y\\\\"z"'
    assert exec_value(["C:\\Apps\\da.exe"]) == '"C:\\\\\\\\Apps\\\\\\\\da.exe"'
    assert exec_value(["/a/100%"]) == "/a/100%%"


def test_how_the_app_is_started_depends_on_how_it_runs(tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python"
    assert launch_command(str(python), frozen=True) == [str(python)]
    assert launch_command(str(python), frozen=False) == [str(python), "-m", "desktop_assistant"]
    python.parent.mkdir()
    (python.parent / "desktop-assistant").write_text("")
    assert launch_command(str(python), frozen=False) == [str(python.parent / "desktop-assistant")]


def test_a_folder_that_cannot_be_written_is_one_line(config_home: Path) -> None:
    config_home.mkdir()
    (config_home / "autostart").write_text("a file where the folder should be")
    with pytest.raises(AutostartError) as caught:
        follow_setting("ui.start_at_login", True)
    assert caught.value.line() == (
        f"Cannot write the start-at-login entry {config_home}/autostart/{ENTRY_NAME}: File exists. "
        "Check that its folder is writable, or leave ui.start_at_login off."
    )
    with pytest.raises(AutostartError, match=r"^Cannot remove the start-at-login entry .*: Not a directory"):
        follow_setting("ui.start_at_login", False)


def test_other_settings_leave_the_login_entry_alone(config_home: Path) -> None:
    follow_setting("ui.min_press_ms", 300)
    follow_setting("history.enabled", True)
    assert not config_home.exists()


def test_the_config_home_is_the_xdg_variable_when_absolute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/ann")
    assert xdg_config_home({"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg")
    assert xdg_config_home({"XDG_CONFIG_HOME": "relative/cfg"}) == Path("/home/ann/.config")
    assert xdg_config_home({}) == Path("/home/ann/.config")
    entry = login_entry("linux", {"XDG_CONFIG_HOME": "/cfg"})
    assert entry.location == f"/cfg/autostart/{ENTRY_NAME}"


def test_the_macos_launch_agent_runs_the_app_once_at_login(tmp_path: Path) -> None:
    agents = tmp_path / "Library" / "LaunchAgents"
    agent = LaunchAgent(agents)
    app = "/Applications/Desktop Assistant.app/Contents/MacOS/desktop-assistant"
    agent.install([app])
    plist = agents / f"{APP_ID}.plist"
    assert agent.is_installed()
    assert plistlib.loads(plist.read_bytes()) == {
        "Label": APP_ID,
        "ProgramArguments": [app],
        "RunAtLoad": True,
        "ProcessType": "Interactive",
        "LimitLoadToSessionType": "Aqua",
    }
    assert plist.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist')
    agent.remove()
    assert not plist.exists() and not agent.is_installed()


class FakeRunKey:
    """The ``Run`` key as a dict; ``refuse`` makes every change fail as a locked-down registry would."""

    def __init__(self, refuse: bool = False) -> None:
        self.values: dict[str, str] = {}
        self.refuse = refuse

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def set(self, name: str, command_line: str) -> None:
        if self.refuse:
            raise PermissionError(13, "Access is denied")
        self.values[name] = command_line

    def delete(self, name: str) -> None:
        if self.refuse:
            raise PermissionError(13, "Access is denied")
        self.values.pop(name, None)


def test_the_windows_run_value_holds_a_quoted_command_line() -> None:
    registry = FakeRunKey()
    value = RunValue(registry)
    value.install(["C:\\Program Files\\Desktop Assistant\\desktop-assistant.exe"])
    assert registry.values == {
        "Desktop Assistant": '"C:\\Program Files\\Desktop Assistant\\desktop-assistant.exe"'
    }
    assert value.is_installed()
    value.remove()
    assert registry.values == {} and not value.is_installed()
    value.remove()


def test_a_refused_registry_change_is_one_line() -> None:
    value = RunValue(FakeRunKey(refuse=True))
    with pytest.raises(AutostartError) as caught:
        follow_setting("ui.start_at_login", True, value)
    assert caught.value.line() == (
        "Cannot write the start-at-login entry "
        "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\Desktop Assistant: "
        "Access is denied. Check that its folder is writable, or leave ui.start_at_login off."
    )
