"""The sound checks on the session's private PulseAudio: PortAudio loads, and the default microphone
and speaker are found; a device the settings name that is not there is a failure that lists the others."""

from __future__ import annotations

from desktop_assistant.doctor.audio import MICROPHONE, device_check, portaudio_check
from desktop_assistant.doctor.check import Probe, run_checks
from tests.audio.pulse import PulseServer


def test_portaudio_and_the_default_devices(pulse: PulseServer) -> None:
    loaded = portaudio_check()
    assert loaded.ok and loaded.detail.startswith("loaded (libportaudio") and ", V19" in loaded.detail
    for kind in ("input", "output"):
        check = device_check(kind, "")
        assert check.ok and check.detail.endswith(" (the system default)"), check.line()


def test_a_named_microphone_that_is_not_there(pulse: PulseServer) -> None:
    (check,) = run_checks([Probe(MICROPHONE, lambda: device_check("input", "USB Headset 9000"))])
    assert check.name == MICROPHONE and not check.ok
    assert check.detail == "No microphone named 'USB Headset 9000'"
    assert check.fix.startswith("Set audio.input_device to one of: ")
