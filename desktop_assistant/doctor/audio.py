"""The doctor's sound checks: PortAudio loads, and the microphone and speaker the settings name exist."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from desktop_assistant.audio.devices import find_device, portaudio
from desktop_assistant.doctor.check import Check

PORTAUDIO = "PortAudio"
MICROPHONE = "Microphone"
SPEAKER = "Speaker"


def portaudio_check() -> Check:
    """PortAudio's library and version; ``AudioDeviceError`` (how to install it) when it does not load."""
    sd = portaudio()
    # "PortAudio V19.6.0-devel, revision 396fe4b…": the version word is enough.
    words = str(sd.get_portaudio_version()[1]).replace(",", " ").split()
    version = next((word for word in words if word.startswith("V")), " ".join(words[:2]))
    return Check.passed(PORTAUDIO, f"loaded ({Path(str(sd._libname)).name}, {version})")


def device_check(kind: Literal["input", "output"], wanted: str) -> Check:
    """The device ``wanted`` names (empty: the system default) as PortAudio finds it for ``kind``;
    ``AudioDeviceError``, with what to do, when there is none."""
    index = find_device(wanted, kind)
    name = str(portaudio().query_devices(index)["name"])
    setting = "audio.input_device" if kind == "input" else "audio.output_device"
    chosen = f"{setting} = {wanted}" if wanted else "the system default"
    return Check.passed(MICROPHONE if kind == "input" else SPEAKER, f"{name} ({chosen})")
