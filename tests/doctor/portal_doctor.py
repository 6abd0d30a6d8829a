"""The doctor's hotkey check on a Wayland session against ``FakePortal`` on a private bus, printing the
check's line and every call the portal recorded: ``dbus-run-session -- python -m
tests.doctor.portal_doctor MODE``, MODE ``present`` or ``no-shortcuts``."""

from __future__ import annotations

import os
import sys

from desktop_assistant.config.settings import UiSettings
from desktop_assistant.doctor.check import Probe, run_checks
from desktop_assistant.doctor.session import HOTKEY, hotkey_check
from tests.hotkey.fake_portal import FakePortal


def main(mode: str) -> int:
    fake = FakePortal(say, registry=True, shortcuts=mode == "present", session_response=0)
    session = {**os.environ, "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}
    try:
        (check,) = run_checks([Probe(HOTKEY, lambda: hotkey_check(UiSettings(), session))])
    finally:
        fake.stop()
    say(check.line())
    return 0


def say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
