"""Fixtures of the end-to-end tests: a PulseAudio server with a room for the microphone and a speaker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.audio.pulse import PulseServer, PulseUnavailable
from tests.e2e.desktop import open_room
from tests.processes import unavailable


@pytest.fixture(scope="module")
def room() -> Iterator[PulseServer]:
    """PulseAudio with the speaker sink ``vsink`` and a ``room`` sink whose monitor is the microphone."""
    server = PulseServer()
    try:
        server.start()
    except PulseUnavailable as exc:
        unavailable(f"no PulseAudio for the end-to-end test: {exc}")
    try:
        open_room(server)
        yield server
    finally:
        server.stop()
