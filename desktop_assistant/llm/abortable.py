"""HTTP requests that can be abandoned mid-read: each runs on a short-lived reader thread.

A thread blocked in a socket read cannot see a cancel token, and closing the socket from another
thread does not wake it. So every request of an httpx client runs on its own reader thread that
feeds a queue; the calling thread waits on that queue with a short timeout and checks its token.
To abandon a request, its socket is shut down (``SHUT_RDWR``): the peer sees the hang-up at once
(Ollama then stops generating) and the blocked read fails, so the reader thread ends by itself.
A ``CancelToken`` does that, and wakes the caller, the moment it is set; a plain event is polled.

The socket is found with public facilities only: an httpx ``request`` event hook sets httpcore's
``trace`` request extension, whose callback receives the network stream of each connection the
request opens (``connect_tcp``, ``connect_unix_socket`` and ``start_tls`` ``.complete`` events);
``get_extra_info("socket")`` gives its socket. Keep-alive is off, so every request opens its own
connection, the trace always sees it, and shutting it down can never hit another request.
"""

from __future__ import annotations

import contextlib
import enum
import queue
import socket
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import httpx

from desktop_assistant.cancel import CancelToken

T = TypeVar("T")

# How often a waiting caller looks at a plain cancel event (a CancelToken wakes it at once).
WAIT_S = 0.05
# How long close() waits, in all, for the reader threads it has just cut loose.
CLOSE_JOIN_S = 1.0
# The trace events that hand over a newly opened connection (a proxy's too), by suffix.
_OPENED = (".connect_tcp.complete", ".connect_unix_socket.complete", ".start_tls.complete")


class RequestAbandoned(Exception):
    """The request was given up: ``closed`` when ``AbortableRequests.close()`` did it, else a cancel."""

    def __init__(self, closed: bool) -> None:
        super().__init__("closed" if closed else "cancelled")
        self.closed = closed


class _Signal(enum.Enum):
    END = "end"  # the reader's iterable is exhausted
    ABANDONED = "abandoned"  # the request was cut loose: wakes the waiting caller


@dataclass(frozen=True)
class _Failed:
    error: Exception


class _Call(Generic[T]):
    """One request on its reader thread: what it produced, the sockets it opened, whether it was
    abandoned (by a cancel, or by ``close()``: ``closed``)."""

    def __init__(self) -> None:
        self.results: queue.SimpleQueue[T | _Failed | _Signal] = queue.SimpleQueue()
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._abandoned = False
        self._closed = False

    @property
    def abandoned(self) -> bool:
        with self._lock:
            return self._abandoned

    @property
    def closed(self) -> bool:
        with self._lock:
            return self._closed

    def trace(self, event: str, info: dict[str, Any]) -> None:
        """httpcore's trace callback, run on the reader thread: keep each opened connection's socket."""
        if not event.endswith(_OPENED):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if not isinstance(sock, socket.socket):
            return
        with self._lock:
            self._sockets.append(sock)
            abandoned = self._abandoned
        if abandoned:
            # Abandoned while connecting: hang up before a byte of the request goes out.
            _hang_up(sock)

    def abandon(self, closed: bool = False) -> None:
        """Shut the request's connections down and wake a caller waiting on the results."""
        with self._lock:
            self._abandoned = True
            self._closed = self._closed or closed
            sockets = list(self._sockets)
        for sock in sockets:
            _hang_up(sock)
        self.results.put(_Signal.ABANDONED)


class AbortableRequests:
    """Runs the requests of one httpx client on reader threads that can be abandoned at any moment.

    Build the client with ``client_options()``; then make every request through ``call`` or
    ``stream``. ``close()`` abandons every request in flight, from any thread.
    """

    def __init__(self, name: str = "http-reader") -> None:
        self._name = name
        self._local = threading.local()
        self._lock = threading.Lock()
        self._calls: set[_Call[Any]] = set()
        self._closed = False

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client`` (``ollama.Client`` passes them on)."""
        return {
            "limits": httpx.Limits(max_keepalive_connections=0),
            "event_hooks": {"request": [self._on_request]},
        }

    def call(self, request: Callable[[], T], cancel: threading.Event | None = None) -> T:
        """``request()``'s result, computed on a reader thread; its exception is re-raised here.

        Raises ``RequestAbandoned`` once ``cancel`` is set (see ``stream``) or on ``close()``.
        """
        results = self.stream(lambda: (request(),), cancel)
        try:
            return next(results)
        finally:
            results.close()

    def stream(
        self, start: Callable[[], Iterable[T]], cancel: threading.Event | None = None
    ) -> Generator[T, None, None]:
        """The items of ``start()``, iterated on a reader thread; an exception there is re-raised here.

        Raises ``RequestAbandoned`` on ``close()``, and once ``cancel`` is set: at once for a
        ``CancelToken``, within ``WAIT_S`` for a plain event. Closing the iterator early abandons the
        request too. Nothing is sent while ``cancel`` is already set.
        """
        if cancel is not None and cancel.is_set():
            raise RequestAbandoned(closed=False)
        call: _Call[T] = _Call()
        self._begin(call, start)
        finished = False
        hooked = cancel.hooked(call.abandon) if isinstance(cancel, CancelToken) else contextlib.nullcontext()
        try:
            with hooked:
                while True:
                    item = self._next(call, cancel)
                    if isinstance(item, _Signal):  # END: _next never returns ABANDONED
                        finished = True
                        return
                    if isinstance(item, _Failed):
                        finished = True
                        raise item.error
                    yield item
        finally:
            if not finished:
                call.abandon()

    def close(self) -> None:
        """Abandon every request in flight and refuse new ones; their reader threads are joined briefly."""
        with self._lock:
            self._closed = True
            calls = list(self._calls)
        for call in calls:
            call.abandon(closed=True)
        deadline = time.monotonic() + CLOSE_JOIN_S
        for call in calls:
            if call.thread is not None:
                call.thread.join(max(deadline - time.monotonic(), 0.0))

    def _begin(self, call: _Call[T], start: Callable[[], Iterable[T]]) -> None:
        with self._lock:
            if self._closed:
                raise RequestAbandoned(closed=True)
            self._calls.add(call)
        # A daemon: a reader stuck connecting (which no shutdown reaches) must not hold up the exit.
        call.thread = threading.Thread(target=self._read, args=(call, start), name=self._name, daemon=True)
        call.thread.start()

    def _next(self, call: _Call[T], cancel: threading.Event | None) -> T | _Failed | _Signal:
        # close() wins over whatever the cut-off reader queued meanwhile (its error, buffered items);
        # a call abandoned otherwise was cancelled (the caller's own abandonment ends its loop).
        while not call.closed:
            if cancel is not None and cancel.is_set():
                raise RequestAbandoned(closed=False)
            try:
                item = call.results.get(timeout=WAIT_S)
            except queue.Empty:
                continue
            if not call.abandoned:
                return item
        raise RequestAbandoned(closed=True)

    def _read(self, call: _Call[T], start: Callable[[], Iterable[T]]) -> None:
        self._local.call = call
        items: Iterable[T] | None = None
        try:
            items = start()
            for item in items:
                if call.abandoned:
                    return
                call.results.put(item)
            call.results.put(_Signal.END)
        except Exception as exc:  # handed to the caller, who maps or re-raises it
            call.results.put(_Failed(exc))
        finally:
            # Closes the response of a generator left early (the client's streaming generator).
            close = getattr(items, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):
                    close()
            with self._lock:
                self._calls.discard(call)

    def _on_request(self, request: httpx.Request) -> None:
        """httpx's request hook, run on the thread sending ``request`` (every redirect too)."""
        call: _Call[Any] | None = getattr(self._local, "call", None)
        if call is None:
            return
        if call.abandoned:
            raise RequestAbandoned(closed=False)
        request.extensions["trace"] = call.trace


def _hang_up(sock: socket.socket) -> None:
    # A socket its reader already closed (or TLS detached) raises; there is nothing left to end then.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
