"""``StageWorker``: one long-lived thread per stage, fed through a bounded queue."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Job = TypeVar("Job")
QUEUE_WAIT_S = 0.1


class StageWorker(Generic[Job]):
    """Runs ``handle(job)`` for each job in order on its own thread until ``close()``.

    A handler that raises is a bug: it is logged with its traceback, ``on_crash`` is told (so the turn
    can end with an error instead of hanging) and the worker goes on, so one bad turn never leaves the
    assistant deaf or mute.
    """

    def __init__(
        self,
        name: str,
        handle: Callable[[Job], None],
        on_crash: Callable[[Job], None],
        capacity: int = 16,
    ) -> None:
        self._handle = handle
        self._on_crash = on_crash
        self._jobs: queue.Queue[Job] = queue.Queue(capacity)
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def put(self, job: Job) -> None:
        """Queue a job; waits while the queue is full, unless the worker is closed."""
        while not self._closed.is_set():
            try:
                self._jobs.put(job, timeout=QUEUE_WAIT_S)
                return
            except queue.Full:
                continue

    def close(self, timeout: float = 5.0) -> None:
        """Stop after the job in hand and join the thread."""
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("The %s worker did not stop within %.0f s", self._thread.name, timeout)

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                job = self._jobs.get(timeout=QUEUE_WAIT_S)
            except queue.Empty:
                continue
            try:
                self._handle(job)
            except Exception:
                log.exception("The %s worker failed on %r", self._thread.name, job)
                self._on_crash(job)
