"""Every check ``desktop-assistant doctor`` makes, in the order it prints them, on the user's settings.

A settings file that cannot be read is the first ✗, and the other checks then run on the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from desktop_assistant.app import Context, stored_api_key
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.doctor.audio import MICROPHONE, PORTAUDIO, SPEAKER, device_check, portaudio_check
from desktop_assistant.doctor.builtin import (
    BUILTIN_MODEL,
    builtin_model_check,
    usable_builtin,
    with_builtin_meanwhile,
)
from desktop_assistant.doctor.check import Check, Probe
from desktop_assistant.doctor.models import (
    FREE_DISK,
    SPEECH_MODEL,
    VOICE_MODEL,
    VOICES,
    free_disk_check,
    room_needed,
    speech_model_check,
    voice_model_check,
    voices_check,
)
from desktop_assistant.doctor.ollama import OLLAMA, ollama_checks
from desktop_assistant.doctor.session import HOTKEY, KEYRING, TRAY, hotkey_check, keyring_check, tray_check
from desktop_assistant.errors import ConfigError
from desktop_assistant.fetch.install import catalog_for_run

SETTINGS = "Settings"


def load_context(environ: Mapping[str, str]) -> tuple[Context, Check]:
    """The paths and settings the app would use, and the check of the settings file."""
    paths = AppPaths.resolve(environ)
    store = SettingsStore(paths)
    try:
        settings = store.load()
    except ConfigError as exc:
        return Context(paths, Settings()), Check.of_error(SETTINGS, exc)
    if not store.path.is_file():
        return Context(paths, settings), Check.passed(SETTINGS, f"the defaults (no {store.path} yet)")
    return Context(paths, settings), Check.passed(SETTINGS, f"read from {store.path}")


def doctor_probes(environ: Mapping[str, str]) -> list[Probe]:
    """The probes, in order, for the session ``environ`` describes (``os.environ`` for the command)."""
    context, settings_check = load_context(environ)
    settings = context.settings
    return [
        Probe(SETTINGS, lambda: settings_check),
        Probe(PORTAUDIO, portaudio_check),
        Probe(MICROPHONE, lambda: device_check("input", settings.audio.input_device)),
        Probe(SPEAKER, lambda: device_check("output", settings.audio.output_device)),
        Probe(SPEECH_MODEL, lambda: speech_model_check(context)),
        Probe(VOICE_MODEL, lambda: voice_model_check(context)),
        Probe(VOICES, lambda: voices_check(context)),
        Probe(OLLAMA, lambda: _ollama(context)),
        Probe(BUILTIN_MODEL, lambda: builtin_model_check(context)),
        Probe(HOTKEY, lambda: hotkey_check(settings.ui, environ)),
        Probe(TRAY, lambda: tray_check(environ)),
        Probe(KEYRING, keyring_check),
        Probe(FREE_DISK, lambda: free_disk_check(context.paths.models_dir, room_needed(catalog_for_run()))),
    ]


def _ollama(context: Context) -> list[Check]:
    """Ollama's checks, or one ✓ "not used" where ``llm.backend`` is builtin."""
    llm = context.settings.llm
    if llm.backend == "builtin":
        return [Check.passed(OLLAMA, "not used (llm.backend = builtin)")]
    return with_builtin_meanwhile(ollama_checks(llm, stored_api_key()), usable_builtin(context))
