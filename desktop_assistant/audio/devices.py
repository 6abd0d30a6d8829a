"""Finding sound devices through PortAudio (``sounddevice``), which is loaded only when needed."""

from __future__ import annotations

import logging
import threading
from typing import Any, Literal

from desktop_assistant.errors import AudioDeviceError, first_line

log = logging.getLogger(__name__)

# How long closing a stream may take before it is left to the system.
CLOSE_WAIT_S = 2.0


def portaudio() -> Any:
    """The ``sounddevice`` module, loaded on first use so that importing this package needs no PortAudio."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioDeviceError(
            f"PortAudio cannot be loaded ({first_line(exc)})",
            "Install PortAudio (Debian/Ubuntu: apt install libportaudio2).",
        ) from None
    return sounddevice


def find_device(name: str, kind: Literal["input", "output"]) -> int:
    """PortAudio's index of the device whose name contains ``name`` (case-insensitive); empty: the default."""
    sd = portaudio()
    what = "microphone" if kind == "input" else "speaker"
    try:
        devices = [d for d in sd.query_devices() if d[f"max_{kind}_channels"] > 0]
        default = int(sd.query_devices(kind=kind)["index"]) if devices and not name else -1
    except sd.PortAudioError:
        devices = []
    if not devices:
        raise AudioDeviceError(
            f"No {what} found",
            f"Connect a {what}, or check that the sound server (PulseAudio or PipeWire) is running.",
        )
    if not name:
        return default
    wanted = name.casefold()
    exact = [d for d in devices if d["name"].casefold() == wanted]
    matches = exact or [d for d in devices if wanted in d["name"].casefold()]
    if not matches:
        names = ", ".join(d["name"] for d in devices[:6]) or "none"
        setting = "audio.input_device" if kind == "input" else "audio.output_device"
        raise AudioDeviceError(f"No {what} named '{name}'", f"Set {setting} to one of: {names}.")
    return int(matches[0]["index"])


def accepts(sd: Any, index: int, rate: int, kind: Literal["input", "output"]) -> bool:
    """Whether device ``index`` takes mono float32 at ``rate`` in the ``kind`` direction."""
    check = sd.check_input_settings if kind == "input" else sd.check_output_settings
    try:
        check(device=index, samplerate=rate, channels=1, dtype="float32")
    except (sd.PortAudioError, ValueError):
        return False
    return True


def device_names(kind: Literal["input", "output"]) -> list[str]:
    """The names of the devices that can record (``input``) or play (``output``), each once, in
    PortAudio's order; empty when the sound system lists none."""
    sd = portaudio()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError:
        return []
    names = [str(d["name"]) for d in devices if d[f"max_{kind}_channels"] > 0]
    return list(dict.fromkeys(names))


def close_stream(stream: Any, what: str) -> bool:
    """Close a PortAudio stream, waiting at most ``CLOSE_WAIT_S``; False when it was left unclosed.

    Once its sound server has died, ALSA's PulseAudio plugin can block in the close for good (seen under
    load), and that must never hang a quit: the close runs on a thread of its own that is left behind.
    """
    closed = threading.Event()

    def close() -> None:
        stream.close(ignore_errors=True)
        closed.set()

    threading.Thread(target=close, name=f"{what}-close", daemon=True).start()
    if closed.wait(CLOSE_WAIT_S):
        return True
    log.warning("The %s did not close within %.0f s; it is left to the system", what, CLOSE_WAIT_S)
    return False
