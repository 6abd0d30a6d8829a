"""The one door from the engine's threads into the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop_assistant.core.events import Event


class EventBridge(QObject):
    """An ``EventSink`` for the engine: each event is re-emitted as ``arrived`` on the GUI thread.

    The bridge lives on the GUI thread, so a signal emitted from a worker thread reaches its slots
    through Qt's queued connection, in order, without the worker ever touching a widget.
    """

    arrived = Signal(object)

    def __call__(self, event: Event) -> None:
        self.arrived.emit(event)
