"""Reading desktop entries as a desktop would: ``desktop-file-validate``, and the command an ``Exec``
line runs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from desktop_assistant.assets import APP_ID
from tests.processes import unavailable

# The file name of the app's desktop entry, and of its copy in the autostart folder.
ENTRY_NAME = f"{APP_ID}.desktop"


def desktop_file_validate(path: Path) -> str:
    """What ``desktop-file-validate`` says about ``path`` (empty: valid); it fails the test on errors."""
    if shutil.which("desktop-file-validate") is None:
        unavailable("desktop-file-validate is not installed (apt install desktop-file-utils)")
    done = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def exec_argv(entry: Path) -> list[str]:
    """The command an autostart entry's ``Exec`` runs, read back the way the Desktop Entry spec says:
    the string escapes first, then the shell-like quoting, then ``%%``."""
    line = next(line for line in entry.read_text(encoding="utf-8").splitlines() if line.startswith("Exec="))
    value = iter(line.removeprefix("Exec=").replace("\\\\", "\\"))
    args: list[str] = []
    arg: str | None = None
    quoted = False
    for char in value:
        if quoted and char == "\\":
            arg = (arg or "") + next(value)
        elif char == '"':
            quoted, arg = not quoted, arg or ""
        elif char == " " and not quoted:
            if arg is not None:
                args.append(arg)
            arg = None
        else:
            arg = (arg or "") + char
    if arg is not None:
        args.append(arg)
    return [a.replace("%%", "%") for a in args]
