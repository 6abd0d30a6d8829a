"""Fixtures shared across the test packages."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from desktop_assistant.bench.ollama_api import OllamaTestServer
from tests.processes import unavailable
from tests.xserver import XServer, XUnavailable

pytest_plugins = ("tests.model_fixtures",)

# Threads that may outlive a test: process-wide helpers of pytest-timeout, asyncio and tqdm (faster-whisper),
# and the close of a stream whose sound server was killed, which ALSA can leave blocked for good
# (audio.devices.close_stream gives up on it; the vanishing-device tests meet it now and then).
_ALLOWED_THREAD_PREFIXES = (
    "MainThread",
    "pytest_timeout",
    "Dummy-",
    "asyncio_",
    "tqdm_monitor",
    "microphone-close",
    "speaker-close",
)


@pytest.fixture(autouse=True)
def no_threads_left_running() -> Iterator[None]:
    """Fail any test that leaves a thread of its own running after it ends."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.name.startswith(_ALLOWED_THREAD_PREFIXES)
    ]
    for thread in leaked:
        thread.join(timeout=2.0)
    still = [t.name for t in leaked if t.is_alive()]
    assert still == [], f"threads left running: {still}"


@pytest.fixture
def ollama_server() -> Iterator[OllamaTestServer]:
    """A started loopback Ollama server serving ``gemma3:4b`` (vision); stopped and joined after."""
    with OllamaTestServer() as server:
        yield server


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on: a port bound, read, and released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def xserver() -> Iterator[XServer]:
    """A private Xvfb for the session: key presses and windows there never reach a real desktop."""
    server = XServer()
    try:
        server.start()
    except XUnavailable as exc:
        unavailable(f"no X server for the tests: {exc}")
    try:
        yield server
    finally:
        server.stop()
