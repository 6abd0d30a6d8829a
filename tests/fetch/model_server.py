"""A loopback model server: release files at any path (so it doubles as a mirror) and the parts of the
Hugging Face HTTP API that ``huggingface_hub.snapshot_download`` uses at a pinned revision.

Files are served with HTTP Range. ``fail_next(path, mode)`` makes the next GET of a path misbehave:
``no-range`` (always 200), ``wrong-range`` (206 with a Content-Range from 0), ``truncate`` (half the
body, then a clean close), ``die`` (half, then a reset once ``release`` is set, so the client has
read the half first), ``flip`` (one byte flipped), ``stall`` (half,
then nothing until the client hangs up), or an HTTP status such as ``503``. Every request is recorded.
"""

from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

# A safety net only: a stalled response gives up if a broken client never hangs up.
STALL_LIMIT_S = 60.0


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    range: str | None


class ModelServer:
    """Use as a context manager; ``url`` is the base address, ``hub_endpoint`` the HF API's."""

    def __init__(self, hub_prefix: str = "/huggingface.co") -> None:
        self.hub_prefix = hub_prefix
        self.requests: list[Seen] = []
        self.stalled = threading.Event()
        self.hung_up = threading.Event()
        self.release = threading.Event()
        self._files: dict[str, Path | bytes] = {}
        self._headers: dict[str, dict[str, str]] = {}
        self._redirects: dict[str, str] = {}
        self._json: dict[str, object] = {}
        self._modes: defaultdict[str, list[str]] = defaultdict(list)
        self._lock = threading.Lock()
        self._httpd = _JoiningServer(("127.0.0.1", 0), _Handler)
        self._httpd.model_server = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="model-server")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def hub_endpoint(self) -> str:
        return self.url + self.hub_prefix

    def add_file(self, path: str, data: Path | bytes, headers: dict[str, str] | None = None) -> str:
        """Serve ``data`` at ``path``; returns its URL."""
        self._files[path] = data
        self._headers[path] = headers or {}
        return self.url + path

    def redirect(self, path: str, to: str) -> str:
        """Answer ``path`` with a 302 to ``to`` (as GitHub release URLs do); returns the URL."""
        self._redirects[path] = to
        return self.url + path

    def add_repo(self, repo: str, revision: str, folder: Path) -> None:
        """Serve a Hugging Face model repository at ``revision`` from the files in ``folder``."""
        tree = []
        for file in sorted(p for p in folder.iterdir() if p.is_file()):
            sha256 = _sha256(file)
            size = file.stat().st_size
            tree.append(
                {
                    "type": "file",
                    "oid": sha256[:40],
                    "size": size,
                    "path": file.name,
                    "lfs": {"oid": sha256, "size": size, "pointerSize": 134},
                }
            )
            resolve = f"{self.hub_prefix}/{repo}/resolve/{revision}/{file.name}"
            self.add_file(resolve, file, {"X-Repo-Commit": revision, "ETag": f'"{sha256}"'})
        self._json[f"{self.hub_prefix}/api/models/{repo}/tree/{revision}"] = tree
        self._json[f"{self.hub_prefix}/api/models/{repo}/revision/{revision}"] = {
            "id": repo,
            "sha": revision,
            "siblings": [{"rfilename": f["path"]} for f in tree],
        }

    def fail_next(self, path: str, mode: str) -> None:
        """Make the next GET of ``path`` misbehave (see the module's docstring)."""
        with self._lock:
            self._modes[path].append(mode)

    def seen(self, path: str) -> list[Seen]:
        """The requests for ``path``, in order."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def __enter__(self) -> ModelServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the request threads
        self._thread.join()

    def _record(self, seen: Seen) -> str | None:
        with self._lock:
            self.requests.append(seen)
            modes = self._modes.get(seen.path)
            return modes.pop(0) if modes and seen.method == "GET" else None


class _JoiningServer(ThreadingHTTPServer):
    # Request threads that are not daemons are joined by server_close, so none outlives the server.
    daemon_threads = False


class _Handler(BaseHTTPRequestHandler):
    server_version = "ModelServer/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    @property
    def _model(self) -> ModelServer:
        return self.server.model_server  # type: ignore[attr-defined, no-any-return]

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        model = self._model
        mode = model._record(Seen(self.command, path, self.headers.get("Range")))
        if mode is not None and mode.isdigit():
            self._status(int(mode))
        elif path in model._redirects:
            self.send_response(302)
            self.send_header("Location", model._redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path in model._json:
            body = json.dumps(model._json[path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)
        elif path in model._files:
            self._file(path, head, mode)
        else:
            self._status(404, "EntryNotFound" if "/resolve/" in path else "RepoNotFound")

    def _file(self, path: str, head: bool, mode: str | None) -> None:
        data = self._model._files[path]
        body = data.read_bytes() if isinstance(data, Path) else data
        size = len(body)
        asked = self.headers.get("Range", "")
        start = int(asked.removeprefix("bytes=").split("-")[0]) if asked.startswith("bytes=") else 0
        if mode == "no-range" or not asked:
            start = 0
        self.send_response(206 if asked and mode != "no-range" else 200)
        for key, value in self._model._headers[path].items():
            self.send_header(key, value)
        self.send_header("Accept-Ranges", "bytes")
        if asked and mode != "no-range":
            first = 0 if mode == "wrong-range" else start
            self.send_header("Content-Range", f"bytes {first}-{size - 1}/{size}")
            start = first
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        if head:
            return
        body = body[start:]
        if mode == "flip":
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :]
        if mode in ("truncate", "die", "stall"):
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            if mode == "die":
                self._model.stalled.set()
                self._model.release.wait(STALL_LIMIT_S)
                # SO_LINGER 0: the close sends a reset, as a server that crashed would.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif mode == "stall":
                self._stall()
            return
        self.wfile.write(body)

    def _stall(self) -> None:
        """Send nothing more until the client hangs up; record that it did."""
        self._model.stalled.set()
        self.connection.settimeout(STALL_LIMIT_S)
        try:
            while self.connection.recv(1 << 12):
                pass
        except OSError:
            pass
        self._model.hung_up.set()

    def _status(self, status: int, code: str = "") -> None:
        body = json.dumps({"error": f"HTTP {status}"}).encode()
        self.send_response(status)
        if code:
            self.send_header("X-Error-Code", code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
