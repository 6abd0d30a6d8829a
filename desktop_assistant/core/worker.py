"""Stage workers: one long-lived thread per stage, fed through a bounded queue; and the watchdog that
notices a stage still busy with a turn well after that turn was cancelled."""

from __future__ import annotations

import heapq
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

QUEUE_WAIT_S = 0.1
# The watchdog wakes for every cancel; the timeout only bounds how long close() can go unnoticed.
WATCH_WAIT_S = 0.5


class TurnJob(Protocol):
    """A job knows which turn it is for."""

    @property
    def turn_id(self) -> str: ...


Job = TypeVar("Job", bound=TurnJob)


class StageWorker(Generic[Job]):
    """Runs ``handle(job)`` for each job in order on its own thread until ``stop()``.

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
        self.name = name
        self._handle = handle
        self._on_crash = on_crash
        self._jobs: queue.Queue[Job] = queue.Queue(capacity)
        self._closed = threading.Event()
        self._current: Job | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def put(self, job: Job) -> None:
        """Queue a job; waits while the queue is full, unless the worker is stopped."""
        while not self._closed.is_set():
            try:
                self._jobs.put(job, timeout=QUEUE_WAIT_S)
                return
            except queue.Full:
                continue

    def busy_with(self, turn_id: str) -> bool:
        """True while the job in hand belongs to turn ``turn_id``."""
        job = self._current
        return job is not None and job.turn_id == turn_id

    def stop(self) -> None:
        """Take no more jobs; the one in hand runs to its end."""
        self._closed.set()

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end; False (and a warning) if it is still busy after ``timeout``."""
        if self._thread.is_alive():
            self._thread.join(max(timeout, 0.0))
        if self._thread.is_alive():
            log.warning("The %s worker did not stop within %.1f s", self.name, timeout)
            return False
        return True

    def _run(self) -> None:
        while not self._closed.is_set():
            try:
                job = self._jobs.get(timeout=QUEUE_WAIT_S)
            except queue.Empty:
                continue
            self._current = job
            try:
                self._handle(job)
            except Exception:
                log.exception("The %s worker failed on %r", self.name, job)
                self._on_crash(job)
            finally:
                self._current = None


class CancelWatchdog:
    """Logs a warning for every stage still busy with a turn ``delay_s`` after the turn was cancelled:
    a stage that does not heed the cancel token would otherwise hold up every later turn unseen."""

    def __init__(self, workers: Sequence[StageWorker[Any]], delay_s: float = 2.0) -> None:
        self._workers = workers
        self._delay = delay_s
        self._due: list[tuple[float, str]] = []
        self._changed = threading.Condition(threading.Lock())
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="cancel-watchdog", daemon=True)

    def start(self) -> None:
        """Start watching."""
        self._thread.start()

    def cancelled(self, turn_id: str) -> None:
        """Turn ``turn_id`` was just cancelled: check on the stages ``delay_s`` from now."""
        with self._changed:
            heapq.heappush(self._due, (time.monotonic() + self._delay, turn_id))
            self._changed.notify()

    def close(self) -> None:
        """Stop watching and join the thread."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while True:
            with self._changed:
                if self._closed:
                    return
                wait = self._due[0][0] - time.monotonic() if self._due else WATCH_WAIT_S
                if wait > 0:
                    self._changed.wait(min(wait, WATCH_WAIT_S))
                    continue
                _, turn_id = heapq.heappop(self._due)
            for worker in self._workers:
                if worker.busy_with(turn_id):
                    log.warning(
                        "The %s stage is still busy with turn %s %.0f s after it was cancelled",
                        worker.name,
                        turn_id,
                        self._delay,
                    )
