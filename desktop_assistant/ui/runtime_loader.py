"""Opens the desktop app's ``Runtime`` on one ``model-loader`` thread, the outcome handed to the GUI thread.

The controller decides when to load and what to do with the result; this keeps the thread, the abort
and the hand-over (a runtime that finished loading while the app quit is still closed) in one place.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from desktop_assistant.app import Context, LoadAborted, Runtime, RuntimeHistory
from desktop_assistant.core.events import EventSink
from desktop_assistant.errors import AssistantError

log = logging.getLogger(__name__)


class Load(Protocol):
    """One opening of the runtime (``app.RuntimeLoad``): ``run`` on the loader thread, ``abort`` from any."""

    def run(self) -> Runtime: ...

    def abort(self) -> None: ...


OpenRuntime = Callable[[Context, EventSink, RuntimeHistory | None], Load]


class RuntimeLoader(QObject):
    """One load at a time; ``loaded`` carries its ``Runtime`` or ``AssistantError`` on the GUI thread
    (an aborted load delivers nothing)."""

    loaded = Signal(object)
    _done = Signal()  # the loader thread left its outcome in _outcome

    def __init__(self, open_runtime: OpenRuntime, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._open = open_runtime
        self._thread: threading.Thread | None = None
        self._loading: Load | None = None
        # What the loader thread produced and the GUI thread has not taken yet, under _lock.
        self._outcome: Runtime | AssistantError | None = None
        self._lock = threading.Lock()
        self._done.connect(self._deliver)

    @property
    def busy(self) -> bool:
        """Whether a load is in progress (its outcome not delivered yet)."""
        return self._thread is not None

    def start(
        self, context: Context, sink: EventSink, history: RuntimeHistory | None, old: Runtime | None
    ) -> None:
        """Close ``old`` and open a runtime for ``context`` on the loader thread."""
        loading = self._loading = self._open(context, sink, history)

        def load() -> None:
            if old is not None:
                old.close()
            outcome: Runtime | AssistantError
            try:
                outcome = loading.run()
            except LoadAborted:
                return
            except AssistantError as exc:
                outcome = exc
            except Exception:
                log.exception("loading the models failed")
                outcome = AssistantError("The models could not be loaded", "The log file has the details.")
            with self._lock:
                self._outcome = outcome
            self._done.emit()

        self._thread = threading.Thread(target=load, name="model-loader", daemon=True)
        self._thread.start()

    def stop(self, deadline: float) -> tuple[bool, Runtime | None]:
        """Abort the load in progress and wait for it until ``deadline`` (``time.monotonic``): whether it
        ended, and the runtime it opened that was not delivered (the caller closes it)."""
        if self._loading is not None:
            self._loading.abort()
        if self._thread is not None:
            self._thread.join(max(deadline - time.monotonic(), 0.0))
            if self._thread.is_alive():
                return False, None
        outcome = self._take()
        return True, None if isinstance(outcome, AssistantError) else outcome

    def _take(self) -> Runtime | AssistantError | None:
        with self._lock:
            outcome, self._outcome = self._outcome, None
        return outcome

    def _deliver(self) -> None:
        outcome = self._take()
        if outcome is None:  # stop() took it
            return
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            self._loading = None
        self.loaded.emit(outcome)
