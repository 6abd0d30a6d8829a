"""Start at login: the entry each desktop reads to start the app when the user logs in.

Linux and the other XDG desktops read ``$XDG_CONFIG_HOME/autostart/<APP_ID>.desktop``, a copy of the
app's desktop entry whose ``Exec`` starts the app the way it runs now; macOS starts the LaunchAgent
``~/Library/LaunchAgents/<APP_ID>.plist`` (``RunAtLoad``) at the next login; Windows runs the command
in the ``HKCU\\...\\CurrentVersion\\Run`` value that the installer also writes. ``ui.start_at_login`` is
applied through ``follow_setting`` before the setting is written, so the file never says on while
no entry exists.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from desktop_assistant.assets import APP_ID, desktop_entry
from desktop_assistant.errors import AutostartError, first_line

START_AT_LOGIN = "ui.start_at_login"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
# The value's name; packaging/windows/desktop-assistant.iss writes the same one.
RUN_VALUE = "Desktop Assistant"
# The Desktop Entry spec's reserved characters: an argument holding one is quoted.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class LoginEntry(Protocol):
    """One platform's start-at-login entry."""

    @property
    def location(self) -> str:
        """Where the entry lives, for messages."""
        ...

    def install(self, command: Sequence[str]) -> None:
        """Start ``command`` at every login from now on (an entry already there is replaced)."""
        ...

    def remove(self) -> None:
        """Start nothing at login; no entry is fine."""
        ...

    def is_installed(self) -> bool:
        """Whether the entry is there."""
        ...


def launch_command(executable: str | None = None, frozen: bool | None = None) -> list[str]:
    """How to start the app as it runs now: the frozen bundle's executable, else the installed
    ``desktop-assistant`` script beside this Python (the GUI one on Windows), else ``python -m``."""
    python = executable or sys.executable
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        return [python]
    names = (
        ("desktop-assistant-gui.exe", "desktop-assistant.exe") if os.name == "nt" else ("desktop-assistant",)
    )
    for name in names:
        script = Path(python).with_name(name)
        if script.is_file():
            return [str(script)]
    return [python, "-m", "desktop_assistant"]


def follow_setting(key: str, value: object, entry: LoginEntry | None = None) -> None:
    """Install or remove the login entry when ``key`` is ``ui.start_at_login``; other keys change
    nothing here. Raises ``AutostartError`` (one line) when the entry cannot be changed."""
    if key != START_AT_LOGIN:
        return
    target = login_entry() if entry is None else entry
    if value:
        target.install(launch_command())
    else:
        target.remove()


def login_entry(platform: str = sys.platform, environ: Mapping[str, str] | None = None) -> LoginEntry:
    """This platform's entry: a LaunchAgent on macOS, the Run value on Windows, XDG autostart elsewhere."""
    env = os.environ if environ is None else environ
    if platform == "darwin":
        return LaunchAgent(Path.home() / "Library" / "LaunchAgents")
    if platform == "win32":
        return RunValue(WindowsRunKey())
    return XdgAutostart(xdg_config_home(env))


def xdg_config_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME``, or ``~/.config`` where it is unset or not absolute (as the spec says)."""
    value = environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".config"


class XdgAutostart:
    """``<config home>/autostart/<APP_ID>.desktop``, read by GNOME, KDE, Xfce and the others at login."""

    def __init__(self, config_home: Path) -> None:
        self.path = config_home / "autostart" / f"{APP_ID}.desktop"

    @property
    def location(self) -> str:
        return str(self.path)

    def install(self, command: Sequence[str]) -> None:
        text = autostart_entry(desktop_entry().read_text(encoding="utf-8"), command)
        _change(self.location, "write", lambda: _write(self.path, text.encode("utf-8")))

    def remove(self) -> None:
        _change(self.location, "remove", lambda: self.path.unlink(missing_ok=True))

    def is_installed(self) -> bool:
        return self.path.is_file()


def autostart_entry(entry: str, command: Sequence[str]) -> str:
    """The app's desktop entry with ``Exec`` set to ``command`` and GNOME's autostart switch on."""
    lines = [
        f"Exec={exec_value(command)}" if line.startswith("Exec=") else line for line in entry.splitlines()
    ]
    return "\n".join([*lines, "X-GNOME-Autostart-enabled=true", ""])


def exec_value(command: Sequence[str]) -> str:
    """``command`` as a Desktop Entry ``Exec`` value: each argument quoted where the spec asks, then
    escaped as a string value (a backslash doubled), and a literal ``%`` doubled."""
    parts = []
    for arg in command:
        if _RESERVED & set(arg) or not arg:
            arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
        parts.append(arg.replace("%", "%%"))
    return " ".join(parts).replace("\\", "\\\\")


class LaunchAgent:
    """``~/Library/LaunchAgents/<APP_ID>.plist``: launchd starts it in the user's GUI session at login."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / f"{APP_ID}.plist"

    @property
    def location(self) -> str:
        return str(self.path)

    def install(self, command: Sequence[str]) -> None:
        _change(self.location, "write", lambda: _write(self.path, launch_agent_plist(command)))

    def remove(self) -> None:
        _change(self.location, "remove", lambda: self.path.unlink(missing_ok=True))

    def is_installed(self) -> bool:
        return self.path.is_file()


def launch_agent_plist(command: Sequence[str]) -> bytes:
    """The LaunchAgent's property list: run ``command`` once at login, in the Aqua (GUI) session."""
    return plistlib.dumps(
        {
            "Label": APP_ID,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
    )


class RunRegistry(Protocol):
    """The current user's ``Run`` registry key: name → command line."""

    def get(self, name: str) -> str | None:
        """The value's text, or None where there is no such value."""
        ...

    def set(self, name: str, command_line: str) -> None:
        """Create or replace a string value."""
        ...

    def delete(self, name: str) -> None:
        """Remove a value; none is fine."""
        ...


class RunValue:
    """The ``Desktop Assistant`` value under ``HKCU\\...\\CurrentVersion\\Run``: Windows runs it at login."""

    def __init__(self, registry: RunRegistry) -> None:
        self._registry = registry

    @property
    def location(self) -> str:
        return f"HKEY_CURRENT_USER\\{RUN_KEY}\\{RUN_VALUE}"

    def install(self, command: Sequence[str]) -> None:
        line = subprocess.list2cmdline(command)
        _change(self.location, "write", lambda: self._registry.set(RUN_VALUE, line))

    def remove(self) -> None:
        _change(self.location, "remove", lambda: self._registry.delete(RUN_VALUE))

    def is_installed(self) -> bool:
        return self._registry.get(RUN_VALUE) is not None


class WindowsRunKey:
    """``RunRegistry`` over ``winreg`` (which exists only on Windows)."""

    def get(self, name: str) -> str | None:
        if sys.platform != "win32":
            raise OSError("the registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, name)
        except FileNotFoundError:
            return None
        return str(value)

    def set(self, name: str, command_line: str) -> None:
        if sys.platform != "win32":
            raise OSError("the registry exists only on Windows")
        import winreg

        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, name, 0, winreg.REG_SZ, command_line)

    def delete(self, name: str) -> None:
        if sys.platform != "win32":
            raise OSError("the registry exists only on Windows")
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, name)
        except FileNotFoundError:
            pass


def _change(location: str, verb: str, action: Callable[[], None]) -> None:
    """Run ``action``; an OS refusal becomes one line that says where and what to do."""
    try:
        action()
    except OSError as exc:
        raise AutostartError(
            f"Cannot {verb} the start-at-login entry {location}: {exc.strerror or first_line(exc)}",
            "Check that its folder is writable, or leave ui.start_at_login off.",
        ) from None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
