"""The session checks: the tray (a child process, with no display and under Xvfb), the hotkey backend
the session calls for, and the keyring."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring.backends.fail
import pytest

from desktop_assistant.config.secrets import NO_KEYRING_HINT, SecretStore
from desktop_assistant.config.settings import UiSettings
from desktop_assistant.doctor.check import Check, Probe, run_checks
from desktop_assistant.doctor.session import HOTKEY, hotkey_check, keyring_check, tray_check
from desktop_assistant.hotkey.portal_bus import NO_PORTAL, NO_PORTAL_HINT
from desktop_assistant.llm.ollama_chat import API_KEY_SECRET
from desktop_assistant.ui.tray_probe import NO_TRAY_FIX
from tests.config.test_secrets import MemoryKeyring, use_keyring
from tests.xserver import XServer

ROOT = Path(__file__).resolve().parents[2]


def without_display() -> dict[str, str]:
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    return {name: value for name, value in os.environ.items() if name not in hidden}


def test_the_tray_without_a_display_says_to_run_it_in_the_desktop_session() -> None:
    check = tray_check(without_display())
    assert check.line() == (
        "✗ Tray: no display: neither DISPLAY nor WAYLAND_DISPLAY is set — fix: run it in your desktop session"
    )


def test_the_tray_under_xvfb_is_reported_either_way(xserver: XServer) -> None:
    """Bare Xvfb runs no tray, but whichever the answer, it comes back as a check."""
    check = tray_check({**without_display(), **xserver.env})
    if check.ok:
        assert check.detail == "a system tray is available (xcb)"
    else:
        assert (check.detail, check.fix) == ("no system tray in this session (xcb)", NO_TRAY_FIX)


def test_a_tray_probe_that_does_not_answer_in_time_is_a_failure() -> None:
    check = tray_check(without_display(), timeout_s=0.001)
    assert not check.ok and check.detail == "the desktop session did not answer within 0.001 s"


@pytest.fixture
def x_display(xserver: XServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The private Xvfb as this process's display (pynput connects to ``DISPLAY`` on import)."""
    monkeypatch.setenv("DISPLAY", xserver.display)
    yield {**without_display(), **xserver.env}


def test_pynput_on_x11_listens_for_the_hotkey(x_display: dict[str, str]) -> None:
    check = hotkey_check(UiSettings(hotkey="Ctrl+Shift+F9"), x_display)
    assert check.line() == "✓ Hotkey: pynput can listen for Ctrl+Shift+F9"


def test_ptt_needs_nothing_of_the_session() -> None:
    check = hotkey_check(UiSettings(hotkey_backend="ptt"), without_display())
    assert check.ok and check.detail.startswith("ptt (ui.hotkey_backend = ptt)")


def hotkey_as_doctor_runs_it(ui: UiSettings, session: dict[str, str]) -> Check:
    (check,) = run_checks([Probe(HOTKEY, lambda: hotkey_check(ui, session))])
    return check


def test_wayland_without_a_portal_says_to_bind_ptt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    session = {**without_display(), "XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}
    check = hotkey_as_doctor_runs_it(UiSettings(), session)
    assert (check.ok, check.name, check.detail, check.fix) == (False, HOTKEY, NO_PORTAL, NO_PORTAL_HINT)


def test_a_hotkey_that_does_not_parse_is_a_failure_with_how_to_write_one() -> None:
    check = hotkey_as_doctor_runs_it(UiSettings(hotkey="Ctrl+Alt"), without_display())
    assert check.line() == (
        "✗ Hotkey: The hotkey 'Ctrl+Alt' needs one key besides the modifiers"
        " — fix: Write it like Ctrl+Alt+Space, Ctrl+Shift+F9 or F8"
    )


def test_the_keyring_backend_is_named_and_asked_for_the_api_key() -> None:
    with use_keyring(MemoryKeyring()) as backend:
        assert keyring_check().line() == (
            f"✓ Keyring: {backend.name}; no Ollama API key is stored (none is needed locally)"
        )
        SecretStore().set(API_KEY_SECRET, "s3cret")
        check = keyring_check()
    assert check.detail == f"{backend.name}; an Ollama API key is stored"
    assert "s3cret" not in check.line()


def test_no_keyring_says_which_to_install() -> None:
    with use_keyring(keyring.backends.fail.Keyring()):
        check = keyring_check()
    assert (check.ok, check.fix) == (False, NO_KEYRING_HINT)


@pytest.mark.skipif(shutil.which("dbus-run-session") is None, reason="no dbus-run-session")
def test_wayland_with_the_portal_asks_its_version_and_binds_nothing() -> None:
    def hotkey_lines(mode: str) -> list[str]:
        command = ["dbus-run-session", "--", sys.executable, "-m", "tests.doctor.portal_doctor", mode]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    assert hotkey_lines("present") == [
        "✓ Hotkey: the desktop portal's GlobalShortcuts (version 2) for Ctrl+Alt+Space; the desktop asks once"
    ]
    assert hotkey_lines("no-shortcuts") == [f"✗ Hotkey: {NO_PORTAL} — fix: {NO_PORTAL_HINT}"]
