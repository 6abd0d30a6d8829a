"""Fixtures for the download tests: the loopback model server and a progress recorder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.fetch.model_server import ModelServer


class Recorder:
    """A ``Progress`` that records what it is told; ``when(n, fn)`` runs ``fn`` once ``n`` bytes are done."""

    def __init__(self) -> None:
        self.events: list[tuple[str, object]] = []
        self.done = 0
        self._cond = threading.Condition()
        self._triggers: list[tuple[int, Callable[[], None]]] = []

    def begin(self, label: str, total_bytes: int, done_bytes: int = 0) -> None:
        self.events.append(("begin", (label, total_bytes, done_bytes)))
        self.done = done_bytes

    def advance(self, n_bytes: int) -> None:
        with self._cond:
            self.done += n_bytes
            self._cond.notify_all()
            due = [t for t in self._triggers if self.done >= t[0]]
            self._triggers = [t for t in self._triggers if t not in due]
        for _, fn in due:
            fn()

    def end(self) -> None:
        self.events.append(("end", None))

    def when(self, n_bytes: int, fn: Callable[[], None]) -> None:
        self._triggers.append((n_bytes, fn))

    def wait_for(self, n_bytes: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.done >= n_bytes, timeout=60)

    def begins(self) -> list[object]:
        return [e[1] for e in self.events if e[0] == "begin"]


@pytest.fixture
def server() -> Iterator[ModelServer]:
    with ModelServer() as srv:
        yield srv


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(autouse=True)
def _hf_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real Hugging Face cache or token."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
