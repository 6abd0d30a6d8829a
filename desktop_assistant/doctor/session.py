"""The doctor's desktop-session checks: the hotkey backend, the tray, and the keyring.

The tray needs Qt, which ``doctor`` never imports: ``ui/tray_probe.py`` answers in a child process
with a time limit, so a display that is missing or stuck is a ✗, never a hang or an abort.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping

import keyring
import keyring.backends.fail

from desktop_assistant.config.secrets import NO_KEYRING_HINT, SecretStore
from desktop_assistant.config.settings import UiSettings
from desktop_assistant.doctor.check import Check
from desktop_assistant.hotkey.base import KeyCombo
from desktop_assistant.hotkey.choose import backend_name
from desktop_assistant.hotkey.portal_bus import portal_version
from desktop_assistant.hotkey.pynput_backend import PynputBackend
from desktop_assistant.llm.ollama_chat import API_KEY_SECRET

HOTKEY = "Hotkey"
TRAY = "Tray"
KEYRING = "Keyring"
TRAY_PROBE = "desktop_assistant.ui.tray_probe"
# Starting Qt takes a second or two; a display that does not answer in this time counts as none.
TRAY_TIMEOUT_S = 20.0


def hotkey_check(ui: UiSettings, environ: Mapping[str, str]) -> Check:
    """The backend ``ui.hotkey_backend`` calls for in this session, tried as the app would start it
    (pynput listens for a moment; the portal is asked for its version, nothing is bound)."""
    combo = KeyCombo.parse(ui.hotkey)
    name = backend_name(ui.hotkey_backend, environ)
    if name == "ptt":
        detail = "ptt (ui.hotkey_backend = ptt): bind a key to 'desktop-assistant ptt press' and its release"
        return Check.passed(HOTKEY, detail)
    if name == "portal":
        version = portal_version()
        detail = (
            f"the desktop portal's GlobalShortcuts (version {version}) for {combo}; the desktop asks once"
        )
        return Check.passed(HOTKEY, detail)
    backend = PynputBackend(combo)
    backend.start(_ignore, _ignore)
    backend.stop()
    return Check.passed(HOTKEY, f"pynput can listen for {combo}")


def tray_check(environ: Mapping[str, str], timeout_s: float = TRAY_TIMEOUT_S) -> Check:
    """What ``ui/tray_probe.py`` says of the session ``environ`` describes, within ``timeout_s``."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", TRAY_PROBE],
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return Check.failed(
            TRAY,
            f"the desktop session did not answer within {timeout_s:g} s",
            "check that the desktop session is responding, then run doctor again",
        )
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1])
        return Check(TRAY, bool(answer["ok"]), str(answer["detail"]), str(answer["fix"]))
    except (IndexError, ValueError, KeyError, TypeError):
        said = done.stderr.strip().splitlines()
        why = said[-1] if said else f"exit status {done.returncode}"
        return Check.failed(TRAY, f"Qt could not start here ({why})", "run it in your desktop session")


def keyring_check() -> Check:
    """The keyring backend secrets go to, and that it answers (by reading the Ollama API key)."""
    backend = keyring.get_keyring()
    if isinstance(backend, keyring.backends.fail.Keyring):
        return Check.failed(KEYRING, "no keyring backend is available to keep secrets", NO_KEYRING_HINT)
    stored = SecretStore().get(API_KEY_SECRET) is not None
    key = "an Ollama API key is stored" if stored else "no Ollama API key is stored (none is needed locally)"
    return Check.passed(KEYRING, f"{backend.name}; {key}")


def _ignore() -> None:
    """The hotkey check's press and release: it only listens."""
