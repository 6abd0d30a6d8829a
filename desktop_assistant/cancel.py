"""``CancelToken``: a ``threading.Event`` that also wakes whoever waits on something other than it.

A thread that waits on a queue or a socket cannot wait on an event too; instead of polling the
token, it hooks a callback that the token runs on the thread that sets it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class CancelToken(threading.Event):
    """Set once to cancel; ``hooked`` runs a callback at that moment. Hooks must be quick and never
    block: they run on the cancelling thread, which may hold its own locks."""

    def __init__(self) -> None:
        super().__init__()
        self._hooks_lock = threading.Lock()
        self._hooks: list[Callable[[], None]] = []

    def set(self) -> None:
        super().set()
        with self._hooks_lock:
            hooks, self._hooks = self._hooks, []
        for hook in hooks:
            hook()

    @contextmanager
    def hooked(self, hook: Callable[[], None]) -> Iterator[None]:
        """Run ``hook`` once if the token is set while the block runs, or at once if it is set already."""
        with self._hooks_lock:
            already = self.is_set()
            if not already:
                self._hooks.append(hook)
        if already:
            hook()
        try:
            yield
        finally:
            with self._hooks_lock:
                if hook in self._hooks:
                    self._hooks.remove(hook)
