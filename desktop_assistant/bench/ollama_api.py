"""A loopback server that speaks Ollama's documented HTTP API, for tests and manual runs.

Standard library only. Tests drive it through the real ``ollama`` client and set its knobs
(models, reply, pacing, faults) as attributes; every request is recorded. As a script it stands in
for ``ollama serve``::

    python -m desktop_assistant.bench.ollama_api --port 11434 --reply "Sure. ..." --model gemma3:4b:vision
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from desktop_assistant.bench.ollama_bodies import chat_line, digest, show_body, tag_entry

Reply = str | Callable[[list[dict[str, Any]]], str]

DEFAULT_REPLY = "Sure. This is the test server speaking, one token at a time."
VERSION = "0.11.4"
_TOKEN = re.compile(r"\s*(?:\w+(?:'\w+)*|[^\w\s])|\s+")


def split_tokens(text: str) -> list[str]:
    """Cut ``text`` the way an LLM streams it: words with their leading space, punctuation apart."""
    return _TOKEN.findall(text)


def full_name(name: str) -> str:
    """Ollama's canonical model name: a bare name means its ``latest`` tag."""
    return name if ":" in name else f"{name}:latest"


def prompt_token_count(messages: Sequence[dict[str, Any]]) -> int:
    """The ``prompt_eval_count`` this server reports: each message's tokens as ``split_tokens`` cuts
    them, plus one for its role."""
    return sum(len(split_tokens(str(m.get("content") or ""))) + 1 for m in messages)


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
    ``/api/pull`` can fetch. ``reply`` is a text or a callable given the request's messages.
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
        self._httpd: _HTTPServer | None = None
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
        self._httpd = _HTTPServer((self.host, self.port), _Handler, self)
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


class _HTTPServer(ThreadingHTTPServer):
    # Handler threads are joined by server_close(), so stop() leaves none running.
    daemon_threads = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: OllamaTestServer) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up between or during requests is normal for a streaming API.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _ClientGone(Exception):
    """The client closed the connection, or the server is stopping."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    @property
    def owner(self) -> OllamaTestServer:
        return self.server.owner

    def setup(self) -> None:
        super().setup()
        self.owner._track(self.connection, alive=True)

    def finish(self) -> None:
        self.owner._track(self.connection, alive=False)
        super().finish()

    def parse_request(self) -> bool:
        # Called as soon as the request line has been read: the moment the request arrived.
        self.received_at = time.perf_counter()
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        if self.owner.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self.owner._record("GET", self.path, None, self._headers(), self.received_at)
        if self.path == "/api/version":
            self._send_json(200, {"version": VERSION})
        elif self.path == "/api/tags":
            with self.owner._lock:
                names = sorted(self.owner.models)
            self._send_json(200, {"models": [tag_entry(name) for name in names]})
        elif self.path == "/":
            self._send_text(200, "Ollama is running")
        else:
            self._send_text(404, "404 page not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            self.owner._record("POST", self.path, None, self._headers(), self.received_at)
            self._send_json(400, {"error": "the request body is not a JSON object"})
            return
        request = self.owner._record("POST", self.path, body, self._headers(), self.received_at)
        routes: dict[str, Callable[[RecordedRequest], None]] = {
            "/api/show": self._show,
            "/api/chat": self._chat,
            "/api/pull": self._pull,
        }
        route = routes.get(self.path)
        if route is None:
            self._send_text(404, "404 page not found")
        else:
            route(request)

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _show(self, request: RecordedRequest) -> None:
        if self.owner.silent_shows:
            if self._stay_silent():
                self.owner._hung_up(request)
            return
        name = str(request.body.get("model") or request.body.get("name") or "")
        vision = self.owner._lookup(name)
        if vision is None:
            self._send_json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return
        self._send_json(200, show_body(full_name(name), vision))

    def _pull(self, request: RecordedRequest) -> None:
        name = full_name(str(request.body.get("model") or request.body.get("name") or ""))
        with self.owner._lock:
            vision = self.owner.pullable.get(name)
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        if vision is None:
            lines.append({"error": "pull model manifest: file does not exist"})
        else:
            # Added before "success" is sent, so a client that lists right after sees the model.
            self.owner.add_model(name, vision)
            layer = digest(name)
            total = 1_000_000
            lines += [
                {"status": f"pulling {layer[7:19]}", "digest": layer, "total": total, "completed": done}
                for done in (0, total // 2, total)
            ]
            lines += [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}]
            lines.append({"status": "success"})
        if request.body.get("stream", True) is False:
            self._send_json(200 if vision is not None else 500, lines[-1])
        else:
            self._start_stream()
            for line in lines:
                self._send_chunk(line)
            self._end_chunks()

    def _chat(self, request: RecordedRequest) -> None:
        owner = self.owner
        body = request.body
        if owner.silent_chats:
            stream = owner._open_stream(request)
            owner._end_stream(stream, "abandoned" if self._stay_silent() else "stopped")
            return
        if owner.http_error is not None:
            status, message = owner.http_error
            self._send_json(status, {"error": message})
            return
        name = str(body.get("model") or "")
        if owner._lookup(name) is None:
            self._send_json(404, {"error": f'model "{name}" not found, try pulling it first'})
            return
        messages = list(body.get("messages") or [])
        if not messages:
            # Ollama answers an empty chat by loading the model, in one object whatever "stream" says.
            self._send_json(200, chat_line(name, "", done=True, done_reason="load"))
            return
        tokens = split_tokens(owner._reply_text(messages))
        prompt_count = prompt_token_count(messages)
        if body.get("stream", True) is False:
            if not owner._wait_open(self.connection, owner._next_first_token_delay()):
                self.close_connection = True
                if not owner._stopping.is_set():
                    owner._hung_up(request)
                return
            answer = chat_line(name, "".join(tokens), True, "stop", len(tokens), prompt_count)
            self._send_json(200, answer)
            return
        stream = owner._open_stream(request)
        try:
            outcome = self._stream_tokens(name, tokens, prompt_count, stream)
        except (_ClientGone, OSError):
            outcome = "stopped" if owner._stopping.is_set() else "abandoned"
        if outcome not in ("completed", "errored"):
            self.close_connection = True
        owner._end_stream(stream, outcome)

    def _stay_silent(self) -> bool:
        """Answer nothing, not even headers: True once the client hangs up, False if the server stops."""
        self.close_connection = True
        return self.owner._wait_hang_up(self.connection)

    def _stream_tokens(self, name: str, tokens: Sequence[str], prompt_count: int, stream: ChatStream) -> str:
        owner = self.owner
        self._start_stream()
        delay = owner._next_first_token_delay()
        interval = 1.0 / owner.tokens_per_s if owner.tokens_per_s > 0 else 0.0
        for token in tokens:
            if owner.die_after_tokens is not None and stream.tokens_sent >= owner.die_after_tokens:
                self.connection.shutdown(socket.SHUT_RDWR)
                return "died"
            if not owner._wait_open(self.connection, delay):
                raise _ClientGone
            self._send_chunk(chat_line(name, token))
            with owner._lock:
                stream.tokens_sent += 1
                owner._lock.notify_all()
            delay = interval
        if not owner._wait_open(self.connection, 0.0):
            raise _ClientGone
        if owner.stream_error is not None:
            self._send_chunk({"error": owner.stream_error})
            self._end_chunks()
            return "errored"
        if owner.end_without_done:
            self._end_chunks()
            return "completed"
        done = chat_line(name, "", True, "stop", stream.tokens_sent, prompt_count)
        self._send_chunk(done)
        self._end_chunks()
        return "completed"

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_text(status, json.dumps(payload), "application/json")

    def _send_text(self, status: int, text: str, kind: str = "text/plain") -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _send_chunk(self, payload: Any) -> None:
        data = json.dumps(payload).encode() + b"\n"
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


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
