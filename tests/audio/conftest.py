"""Audio fixtures: a private PulseAudio server per session; players and microphones closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from desktop_assistant.audio.capture import Microphone
from desktop_assistant.audio.playback import Player
from tests.audio.pulse import PulseServer, PulseUnavailable
from tests.processes import unavailable


def refresh_portaudio() -> None:
    """Make PortAudio list devices again: it enumerates them once, when it is initialised."""
    import sounddevice

    sounddevice._terminate()
    sounddevice._initialize()


@pytest.fixture(scope="session")
def pulse() -> Iterator[PulseServer]:
    """The session's PulseAudio server, with this process pointed at it.

    When it cannot start, the tests that need it fail under CI (where audio must be tested) and are
    skipped elsewhere, both with the reason.
    """
    server = PulseServer()
    try:
        server.start()
    except PulseUnavailable as exc:
        unavailable(f"PulseAudio could not be started for the audio tests: {exc}")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in server.env.items():
            patch.setenv(name, value)
        refresh_portaudio()
        try:
            yield server
        finally:
            server.stop()
    refresh_portaudio()


@pytest.fixture(scope="session")
def speaker(pulse: PulseServer) -> Iterator[Player]:
    """One live 24 kHz player on the default device for the session: a new stream takes ~2 s to start."""
    player = Player(source_rate=24_000)
    player.start()
    try:
        if not player.wait_live(10):
            pytest.fail("the player's stream never started on the PulseAudio null sink", pytrace=False)
        yield player
    finally:
        player.close()


@pytest.fixture
def make_player() -> Iterator[Callable[..., Player]]:
    """Build started players; every one is closed after the test."""
    players: list[Player] = []

    def make(**options: Any) -> Player:
        player = Player(**options)
        players.append(player)
        player.start()
        return player

    yield make
    for player in players:
        player.close()


@pytest.fixture
def make_microphone() -> Iterator[Callable[..., Microphone]]:
    """Build started microphones; every one is closed after the test."""
    microphones: list[Microphone] = []

    def make(**options: Any) -> Microphone:
        microphone = Microphone(**options)
        microphones.append(microphone)
        microphone.start()
        return microphone

    yield make
    for microphone in microphones:
        microphone.close()
