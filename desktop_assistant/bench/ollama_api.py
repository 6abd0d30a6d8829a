"""A loopback server that speaks Ollama's documented HTTP API, for tests and manual runs.

Standard library only. Tests drive it through the real ``ollama`` client and set its knobs
(models, reply, pacing, faults) as attributes; every request is recorded. As a script it stands in
for ``ollama serve``::

    python -m desktop_assistant.bench.ollama_api --port 11434 --reply "Sure. ..." --model gemma3:4b:vision
"""

from __future__ import annotations

import argparse
import contextlib
import select
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from desktop_assistant.bench.ollama_bodies import VERSION, full_name, prompt_token_count, split_tokens
from desktop_assistant.bench.ollama_handler import OllamaHandler, OllamaHTTPServer

__all__ = [
    "DEFAULT_REPLY",
    "VERSION",
    "ChatStream",
    "OllamaTestServer",
    "RecordedRequest",
    "Reply",
    "full_name",
    "main",
    "prompt_token_count",
    "split_tokens",
]

Reply = str | Callable[[list[dict[str, Any]]], str]

DEFAULT_REPLY = "Sure. This is the test server speaking, one token at a time."


@dataclass
class RecordedRequest:
    """One request as the server received it; ``body`` is the parsed JSON (None without a body),
    ``headers`` the request's headers with lower-case names. ``received_at`` is the
    ``time.perf_counter()`` reading when its request line arrived, ``hung_up_at`` the one when the
    server saw the client hang up before its answer was complete (None if it did not)."""

    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    received_at: float = field(default_factory=time.perf_counter)
    hung_up_at: float | None = None


@dataclass
class ChatStream:
    """A streamed chat (or any chat under ``silent_chats``) as the server saw it end: ``completed``,
    ``abandoned`` (the client closed the connection first), ``died`` (``die_after_tokens``),
    ``errored`` or ``stopped`` (the server stopped first)."""

    request: RecordedRequest
    tokens_sent: int = 0
    outcome: str = "streaming"


@dataclass
class OllamaTestServer:
    """Ollama's HTTP API on 127.0.0.1 with scripted replies and fault knobs; a context manager.

    ``models`` maps a full model name to whether it sees images; ``pullable`` the same for models
    ``/api/pull`` can fetch (its layers' progress lines ``pull_line_delay_s`` apart, after the first;
    a hang-up meanwhile is recorded), and ``/api/delete`` removes from ``models``. ``reply`` is a
    text or a callable given the request's messages.
    ``die_after_tokens`` drops the connection mid-stream; ``http_error`` is ``(status, message)``
    answered to every chat; ``stream_error`` is sent as an error line in place of the done line;
    ``end_without_done`` ends the stream cleanly but leaves the done line out.

    Each chat that generates a reply waits ``first_token_delays.pop(0)`` seconds before its first
    token, or ``first_token_delay_s`` once that list is empty. ``silent_chats`` accepts every chat
    (the empty load chat too) and never answers it, not even its headers, until the client hangs up
    or the server stops; ``silent_shows`` does the same to ``/api/show``.
    """

    models: dict[str, bool] = field(default_factory=lambda: {"gemma3:4b": True})
    pullable: dict[str, bool] = field(default_factory=lambda: {"gemma3:4b": True, "llama3.2:1b": False})
    reply: Reply = DEFAULT_REPLY
    pull_line_delay_s: float = 0.0
    first_token_delay_s: float = 0.0
    first_token_delays: list[float] = field(default_factory=list)
    silent_chats: bool = False
    silent_shows: bool = False
    tokens_per_s: float = 0.0
    die_after_tokens: int | None = None
    http_error: tuple[int, str] | None = None
    stream_error: str | None = None
    end_without_done: bool = False
    host: str = "127.0.0.1"
    port: int = 0
    verbose: bool = False
    requests: list[RecordedRequest] = field(default_factory=list, repr=False)
    chat_streams: list[ChatStream] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._connections: set[socket.socket] = set()
        self._httpd: OllamaHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        """The base URL clients use, e.g. ``http://127.0.0.1:40123``."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> OllamaTestServer:
        """Listen and serve on a background thread."""
        self._stopping.clear()
        # A byte written here wakes every handler waiting between tokens once the server stops.
        self._wake_r, self._wake_w = socket.socketpair()
        self._httpd = OllamaHTTPServer((self.host, self.port), OllamaHandler, self)
        # A short poll interval keeps stop() quick: serve_forever only checks for shutdown between polls.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.02,), name="ollama-test-server"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and join every thread."""
        if self._httpd is None or self._thread is None:
            return
        self._stopping.set()
        self._wake_w.send(b"x")
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            # Idle keep-alive handlers block reading the next request; shutting the socket ends them.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join()
        self._httpd = None
        self._thread = None
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> OllamaTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_model(self, name: str, vision: bool = False) -> None:
        """Serve ``name`` (``:latest`` is implied by a bare name)."""
        with self._lock:
            self.models[full_name(name)] = vision

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests for one path, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, condition: Callable[[OllamaTestServer], bool], timeout: float = 5.0) -> bool:
        """Wait until ``condition(self)`` holds, rechecked on every request and stream change."""
        with self._lock:
            return self._lock.wait_for(lambda: condition(self), timeout)

    def wait_for_streams(self, timeout: float = 5.0) -> bool:
        """Wait until no chat is streaming; False if one still is after ``timeout`` seconds."""
        return self.wait_for(lambda s: all(c.outcome != "streaming" for c in s.chat_streams), timeout)

    def _record(
        self, method: str, path: str, body: Any, headers: dict[str, str], received_at: float
    ) -> RecordedRequest:
        request = RecordedRequest(method, path, body, headers, received_at)
        with self._lock:
            self.requests.append(request)
            self._lock.notify_all()
        return request

    def _lookup(self, name: str) -> bool | None:
        with self._lock:
            return self.models.get(full_name(name))

    def _next_first_token_delay(self) -> float:
        with self._lock:
            return self.first_token_delays.pop(0) if self.first_token_delays else self.first_token_delay_s

    def _open_stream(self, request: RecordedRequest) -> ChatStream:
        stream = ChatStream(request)
        with self._lock:
            self.chat_streams.append(stream)
            self._lock.notify_all()
        return stream

    def _reply_text(self, messages: list[dict[str, Any]]) -> str:
        return self.reply(messages) if callable(self.reply) else self.reply

    def _end_stream(self, stream: ChatStream, outcome: str) -> None:
        if outcome == "abandoned":
            self._hung_up(stream.request)
        with self._lock:
            stream.outcome = outcome
            self._lock.notify_all()

    def _hung_up(self, request: RecordedRequest) -> None:
        with self._lock:
            request.hung_up_at = time.perf_counter()
            self._lock.notify_all()

    def _track(self, conn: socket.socket, alive: bool) -> None:
        with self._lock:
            if alive:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _wait_open(self, conn: socket.socket, seconds: float) -> bool:
        """Wait ``seconds``; False as soon as the client hangs up or the server stops."""
        ready, _, _ = select.select([conn, self._wake_r], [], [], max(seconds, 0.0))
        if self._wake_r in ready:
            return False
        if conn in ready:
            try:
                return conn.recv(1, socket.MSG_PEEK) != b""
            except OSError:
                return False
        return True

    def _wait_hang_up(self, conn: socket.socket) -> bool:
        """Wait until the client hangs up (True) or the server stops (False), dropping what it sends."""
        while not self._stopping.is_set():
            ready, _, _ = select.select([conn, self._wake_r], [], [], 1.0)
            if self._wake_r in ready:
                return False
            if conn in ready:
                try:
                    if conn.recv(4096) == b"":
                        return True
                except OSError:
                    return True
        return False


def _parse_models(specs: Sequence[str]) -> dict[str, bool]:
    models: dict[str, bool] = {}
    for spec in specs:
        name, vision = (spec.removesuffix(":vision"), True) if spec.endswith(":vision") else (spec, False)
        models[full_name(name)] = vision
    return models


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM); print the URL first."""
    parser = argparse.ArgumentParser(description="A stand-in for 'ollama serve' with scripted replies.")
    parser.add_argument("--port", type=int, default=11434, help="0 picks a free port")
    parser.add_argument("--reply", default=DEFAULT_REPLY, help="the text every chat streams back")
    parser.add_argument(
        "--model", action="append", default=[], metavar="NAME[:vision]", help="a model to serve (repeatable)"
    )
    parser.add_argument("--first-token-delay", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument("--tokens-per-s", type=float, default=0.0, help="0 streams as fast as it can")
    args = parser.parse_args(argv)
    server = OllamaTestServer(
        reply=args.reply,
        first_token_delay_s=args.first_token_delay,
        tokens_per_s=args.tokens_per_s,
        port=args.port,
        verbose=True,
    )
    if args.model:
        server.models = _parse_models(args.model)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    with server:
        print(f"Listening on {server.url}", flush=True)
        # The timeout lets the main thread run signal handlers on every platform.
        while not stopping.wait(timeout=1.0):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
