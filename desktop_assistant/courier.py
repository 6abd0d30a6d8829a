"""``Courier``: hands items to a receiver on a thread of its own, one at a time, in the order posted.

Used where a thread that must not wait (the audio callback, a stage holding the engine's lock) has
news for code it should not run itself: posting only appends to a queue under a short lock, and the
receiver runs on the courier's thread, outside every lock of the poster.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
# The thread wakes for every item; the timeout only bounds how long close() can go unnoticed.
WAIT_S = 0.5


class Courier(Generic[Item]):
    """Delivers posted items to ``receive`` on a thread named ``name``; a receiver that raises is
    logged and the courier goes on."""

    def __init__(self, name: str, receive: Callable[[Item], None]) -> None:
        self._receive = receive
        self._items: deque[Item] = deque()
        self._posted = threading.Condition(threading.Lock())
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start delivering."""
        self._thread.start()

    def post(self, item: Item) -> None:
        """Queue ``item`` after everything posted before it; returns at once."""
        with self._posted:
            self._items.append(item)
            self._posted.notify()

    def close(self, timeout: float) -> bool:
        """Deliver what is queued (for at most ``timeout`` seconds), then stop; False if the receiver
        was still busy when the time was up."""
        with self._posted:
            self._closed = True
            self._posted.notify()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._posted:
                self._posted.wait_for(lambda: self._items or self._closed, WAIT_S)
                if not self._items:
                    if self._closed:
                        return
                    continue
                item = self._items.popleft()
            try:
                self._receive(item)
            except Exception:
                log.exception("%s: the receiver failed on %r", self._thread.name, item)
