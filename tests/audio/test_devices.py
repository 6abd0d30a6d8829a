"""Listing sound devices by kind, over a stand-in for PortAudio's device list."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from desktop_assistant.audio import devices


class FakePortAudioError(Exception):
    pass


def fake_portaudio(listing: list[dict[str, Any]] | None) -> SimpleNamespace:
    def query_devices() -> list[dict[str, Any]]:
        if listing is None:
            raise FakePortAudioError("no host API")
        return listing

    return SimpleNamespace(query_devices=query_devices, PortAudioError=FakePortAudioError)


def device(name: str, inputs: int, outputs: int) -> dict[str, Any]:
    return {"name": name, "max_input_channels": inputs, "max_output_channels": outputs}


LISTING = [
    device("HDA Intel PCH: ALC257 Analog (hw:0,0)", 2, 2),
    device("HDMI 0 (hw:0,3)", 0, 8),
    device("USB Headset", 1, 0),
    device("pulse", 32, 32),
    device("USB Headset", 1, 0),
]


def test_names_of_each_kind_in_order_without_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "portaudio", lambda: fake_portaudio(LISTING))
    assert devices.device_names("input") == ["HDA Intel PCH: ALC257 Analog (hw:0,0)", "USB Headset", "pulse"]
    assert devices.device_names("output") == [
        "HDA Intel PCH: ALC257 Analog (hw:0,0)",
        "HDMI 0 (hw:0,3)",
        "pulse",
    ]


def test_a_failing_host_lists_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(devices, "portaudio", lambda: fake_portaudio(None))
    assert devices.device_names("input") == []
