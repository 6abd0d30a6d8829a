"""The portal backend against a fake GlobalShortcuts portal on a private D-Bus session bus.

Each test runs ``tests/hotkey/portal_scenario.py`` under ``dbus-run-session`` and reads the steps it prints:
what the fake portal was asked, and what the backend reported.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="no dbus-run-session")

NO_PORTAL = (
    "error: This desktop has no global-shortcut portal. Bind a key in your compositor to "
    "'desktop-assistant ptt press' and its release to 'desktop-assistant ptt release' "
    "(Sway: bindsym --release, Hyprland: bindr)"
)
BOUND = [
    "CreateSession",
    "BindShortcuts own-session push-to-talk CTRL+ALT+space",
    "press",
    "release",
    "Close",
]


def scenario(mode: str) -> list[str]:
    command = ["dbus-run-session", "--", sys.executable, "-m", "tests.hotkey.portal_scenario", mode]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_registers_binds_the_combination_and_reports_one_hold() -> None:
    # Activations of another shortcut or another session, sent first, are not holds.
    assert scenario("bind") == ["Register io.github.desktop_assistant.test", *BOUND]


def test_a_portal_without_the_registry_still_works() -> None:
    assert scenario("no-registry") == BOUND


def test_no_portal_service_is_a_clear_error() -> None:
    assert scenario("absent") == [NO_PORTAL]


def test_a_portal_without_global_shortcuts_is_the_same_error() -> None:
    assert scenario("no-shortcuts") == [NO_PORTAL]


def test_a_declined_session_is_reported_once_and_nothing_is_bound() -> None:
    assert scenario("declined") == [
        "Register io.github.desktop_assistant.test",
        "CreateSession",
        "error: The desktop declined a global-shortcut session. Use 'desktop-assistant ptt' or the "
        "window's Talk button",
    ]
