"""The first-run dialog's download worker: one job at a time on its own thread, cancelled at once.

A job is a list of tasks, each a need and the call that fixes it (a download or an Ollama pull). The
thread outlives nothing: the dialog joins it when the job ends, and when it closes mid-job after
cancelling it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from desktop_assistant.cancel import CancelToken
from desktop_assistant.errors import AssistantError, first_line
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.setup_needs import SetupNeed

log = logging.getLogger(__name__)

Task = tuple[SetupNeed, Callable[[Progress, CancelToken], None]]


class DownloadWorker(QObject):
    """Runs a job's tasks in turn on one thread; a failed task is reported and the next one runs, a
    cancelled one ends the job. Signals reach the GUI thread queued."""

    task_ended = Signal(str, str, bool)  # the need's kind, its error line ("" when done), cancelled
    job_ended = Signal()

    def __init__(self) -> None:
        super().__init__()  # no parent: the thread may outlive the dialog by up to JOIN_S
        self._thread: threading.Thread | None = None
        self._cancel = CancelToken()

    @property
    def busy(self) -> bool:
        """Whether a job runs (until ``job_ended`` was handled and ``join`` called)."""
        return self._thread is not None

    def start(self, tasks: list[Task], progress: Progress) -> None:
        """Run ``tasks`` on a new thread, reporting to ``progress``."""
        self._cancel = cancel = CancelToken()
        self._thread = threading.Thread(
            target=self._work, args=(tasks, progress, cancel), name="first-run-download", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Cancel the job now (the task in progress sees its token set)."""
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; False when it is still running after ``timeout``."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return False
            self._thread = None
        return True

    def _work(self, tasks: list[Task], progress: Progress, cancel: CancelToken) -> None:
        for need, run in tasks:
            if cancel.is_set():
                break
            try:
                run(progress, cancel)
            except AssistantError as exc:
                log.warning("First run: %s did not install: %s", need.entry.name, exc.line())
                self.task_ended.emit(need.kind, exc.line(), cancel.is_set())
                if cancel.is_set():
                    break
            except Exception as exc:
                log.exception("a first-run download failed")
                line = AssistantError(first_line(exc), "See the log file for details.").line()
                self.task_ended.emit(need.kind, line, cancel.is_set())
            else:
                log.info("First run: %s is installed", need.entry.name)
                self.task_ended.emit(need.kind, "", False)
        self.job_ended.emit()
