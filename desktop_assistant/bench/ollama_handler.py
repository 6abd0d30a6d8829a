"""The HTTP side of the loopback Ollama (``ollama_api.py``): a thread per connection, the routes and
how each answers, reading the owning ``OllamaTestServer``'s knobs and recording into it."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from desktop_assistant.bench.ollama_bodies import (
    VERSION,
    chat_line,
    full_name,
    pull_lines,
    show_body,
    tag_entry,
)

if TYPE_CHECKING:
    from desktop_assistant.bench.ollama_api import ChatStream, OllamaTestServer, RecordedRequest
    from desktop_assistant.bench.ollama_reply import Generation


class OllamaHTTPServer(ThreadingHTTPServer):
    """The listening socket; ``owner`` is the ``OllamaTestServer`` whose knobs the handlers read."""

    # Handler threads are joined by server_close(), so stop() leaves none running.
    daemon_threads = False

    def __init__(
        self, address: tuple[str, int], handler: type[OllamaHandler], owner: OllamaTestServer
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up between or during requests is normal for a streaming API.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _ClientGone(Exception):
    """The client closed the connection, or the server is stopping."""


class OllamaHandler(BaseHTTPRequestHandler):
    """Answers the requests of one connection as Ollama would."""

    protocol_version = "HTTP/1.1"
    server: OllamaHTTPServer

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
        body = self._read_body()
        if body is None:
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

    def _read_body(self) -> dict[str, Any] | None:
        """The request's JSON object ({} without a body); None when it is not one."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

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

    def do_DELETE(self) -> None:
        body = self._read_body()
        self.owner._record("DELETE", self.path, body, self._headers(), self.received_at)
        if self.path != "/api/delete":
            self._send_text(404, "404 page not found")
            return
        fields = body or {}
        name = full_name(str(fields.get("model") or fields.get("name") or ""))
        with self.owner._lock:
            found = self.owner.models.pop(name, None) is not None
        if found:
            self._send_text(200, "")
        else:
            self._send_json(404, {"error": f"model '{name}' not found"})

    def _pull(self, request: RecordedRequest) -> None:
        owner = self.owner
        name = full_name(str(request.body.get("model") or request.body.get("name") or ""))
        with owner._lock:
            vision = owner.pullable.get(name)
        lines: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        if vision is None:
            lines.append({"error": "pull model manifest: file does not exist"})
        else:
            lines += pull_lines(name)
            lines += [{"status": "verifying sha256 digest"}, {"status": "writing manifest"}]
            lines.append({"status": "success"})
        if request.body.get("stream", True) is False:
            if vision is not None:
                owner.add_model(name, vision)
            self._send_json(200 if vision is not None else 500, lines[-1])
            return
        self._start_stream()
        for index, line in enumerate(lines):
            # Slow mode paces the layers' lines, and notices a client hanging up between them.
            paced = "digest" in line and index > 1
            if paced and not owner._wait_open(self.connection, owner.pull_line_delay_s):
                self.close_connection = True
                if not owner._stopping.is_set():
                    owner._hung_up(request)
                return
            if line.get("status") == "success":
                # Added before "success" is sent, so a client that lists right after sees the model.
                owner.add_model(name, bool(vision))
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
        reply = owner._generate(messages)
        try:
            self._answer(name, reply, body.get("stream", True) is not False, request)
        finally:
            reply.stop()

    def _answer(self, name: str, reply: Generation, streamed: bool, request: RecordedRequest) -> None:
        """Send ``reply`` as one object or as a stream of lines, and record how a stream ended."""
        owner = self.owner
        if not streamed:
            try:
                text = "".join(self._paced(reply.tokens))
            except (_ClientGone, OSError):
                self.close_connection = True
                if not owner._stopping.is_set():
                    owner._hung_up(request)
                return
            if reply.error is not None:
                self._send_json(500, {"error": reply.error})
                return
            prompt_count, reply_count = reply.counts()
            self._send_json(200, chat_line(name, text, True, "stop", reply_count, prompt_count))
            return
        stream = owner._open_stream(request)
        try:
            outcome = self._stream_tokens(name, reply, stream)
        except (_ClientGone, OSError):
            outcome = "stopped" if owner._stopping.is_set() else "abandoned"
        if outcome not in ("completed", "errored"):
            self.close_connection = True
        owner._end_stream(stream, outcome)

    def _stay_silent(self) -> bool:
        """Answer nothing, not even headers: True once the client hangs up, False if the server stops."""
        self.close_connection = True
        return self.owner._wait_hang_up(self.connection)

    def _paced(self, tokens: Iterator[str]) -> Iterator[str]:
        """``tokens`` as the knobs pace them (the first after the first-token delay, then at
        ``tokens_per_s``); ``_ClientGone`` as soon as the client hangs up between two of them."""
        owner = self.owner
        delay = owner._next_first_token_delay()
        interval = 1.0 / owner.tokens_per_s if owner.tokens_per_s > 0 else 0.0
        for token in tokens:
            if not owner._wait_open(self.connection, delay):
                raise _ClientGone
            yield token
            delay = interval
        if not owner._wait_open(self.connection, 0.0):
            raise _ClientGone

    def _stream_tokens(self, name: str, reply: Generation, stream: ChatStream) -> str:
        owner = self.owner
        self._start_stream()
        for token in self._paced(reply.tokens):
            if owner.die_after_tokens is not None and stream.tokens_sent >= owner.die_after_tokens:
                self.connection.shutdown(socket.SHUT_RDWR)
                return "died"
            self._send_chunk(chat_line(name, token))
            with owner._lock:
                stream.tokens_sent += 1
                owner._lock.notify_all()
        error = owner.stream_error or reply.error
        if error is not None:
            self._send_chunk({"error": error})
            self._end_chunks()
            return "errored"
        if owner.end_without_done:
            self._end_chunks()
            return "completed"
        prompt_count, reply_count = reply.counts()
        self._send_chunk(chat_line(name, "", True, "stop", reply_count, prompt_count))
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
