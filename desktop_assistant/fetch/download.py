"""One file over HTTPS into place: resumed from a ``.partial``, checked by size and sha256, then renamed.

A download is never visible under its final name until every byte is verified. An interrupted one
(a stall, a server that went away, a cancel, a full disk) keeps its ``.partial`` so that running the
same command again resumes it with an HTTP Range request; a server that ignores the range, or answers
another one, gets the file from the start. Every failure is one line naming the host or folder.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from desktop_assistant.cancel import CancelToken
from desktop_assistant.errors import DownloadCancelled, DownloadError, first_line
from desktop_assistant.fetch.progress import Progress, human_bytes

PARTIAL_SUFFIX = ".partial"
AGAIN = "Run the same command again to resume it."
NETWORK_HINT = "Check the network connection, or set models.mirror to a mirror you can reach."
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


def fetch_file(
    client: httpx.Client,
    url: str,
    target: Path,
    size: int,
    sha256: str,
    progress: Progress,
    cancel: CancelToken | None = None,
    stall_s: float = 30.0,
) -> None:
    """Download ``url`` to ``target`` (``size`` bytes with this ``sha256``), resuming a partial one.

    Redirects are followed and TLS is verified by ``client``; ``stall_s`` seconds without a byte end
    the download. ``cancel`` set from another thread ends it at once with ``DownloadCancelled``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    part = _Partial(target.with_name(target.name + PARTIAL_SUFFIX), size)
    check_space(target.parent, size - part.done)
    if part.done < size:
        _transfer(client, url, part, progress, cancel, stall_s)
    else:
        progress.begin(target.name, size, part.done)
    if part.done != size or part.digest.hexdigest() != sha256:
        part.path.unlink(missing_ok=True)
        raise DownloadError(
            f"{target.name} from {_host(url)} fails its sha256 check: it was damaged in transit, "
            "or the server or mirror serves other bytes",
            "Run the same command again to download it afresh.",
        )
    os.replace(part.path, target)
    progress.end()


class _Partial:
    """The ``.partial`` file: the bytes it holds and their running sha256. An earlier attempt's bytes
    are hashed on opening; a partial larger than the file is an other file's and is dropped."""

    def __init__(self, path: Path, size: int) -> None:
        self.path = path
        self.name = path.name.removesuffix(PARTIAL_SUFFIX)
        self.size = size
        self.digest = hashlib.sha256()
        self.done = path.stat().st_size if path.is_file() else 0
        if self.done > size:
            self.restart()
        elif self.done:
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    self.digest.update(block)

    def restart(self) -> None:
        """Empty the file and the hash, for a download that starts over."""
        self.path.write_bytes(b"")
        self.digest = hashlib.sha256()
        self.done = 0

    def append(self, response: httpx.Response, progress: Progress) -> None:
        """Append the body, hashing and counting it; more bytes than ``size`` means another file."""
        try:
            with self.path.open("ab") as out:
                for chunk in response.iter_bytes():
                    if self.done + len(chunk) > self.size:
                        self.done += len(chunk)
                        return
                    out.write(chunk)
                    self.done += len(chunk)
                    self.digest.update(chunk)
                    progress.advance(len(chunk))
        except OSError as exc:
            raise _write_error(exc, self.path.parent, self.size - self.path.stat().st_size) from None


def _transfer(
    client: httpx.Client,
    url: str,
    part: _Partial,
    progress: Progress,
    cancel: CancelToken | None,
    stall_s: float,
) -> None:
    """Stream the rest of the file into the partial: a range from where it stopped, or all of it."""
    host = _host(url)
    cancelled = DownloadCancelled(f"The download of {part.name} was cancelled", AGAIN)
    for attempt in (1, 2):
        if cancel is not None and cancel.is_set():
            raise cancelled
        # Identity encoding: the bytes on the wire are the file's, so a range means what it says.
        headers = {"Accept-Encoding": "identity"}
        if part.done:
            headers["Range"] = f"bytes={part.done}-"
        try:
            with client.stream(
                "GET", url, headers=headers, follow_redirects=True, timeout=httpx.Timeout(stall_s)
            ) as response:
                start = _start_of(response, part.done, part.size, host)
                if start is None or (start == 0 and part.done):
                    part.restart()
                    if start is None:
                        # The server answered another range: its body cannot be trusted, so ask again.
                        if attempt == 1:
                            continue
                        raise DownloadError(f"{host} answers range requests wrongly", NETWORK_HINT)
                progress.begin(part.name, part.size, part.done)
                with _hang_up_on(cancel, response):
                    part.append(response, progress)
        except httpx.ReadTimeout:
            if cancel is not None and cancel.is_set():
                raise cancelled from None
            raise DownloadError(
                f"The download of {part.name} from {host} stalled (no data for {stall_s:g} s)", AGAIN
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:
            raise DownloadError(f"Cannot reach {host} ({first_line(exc)})", NETWORK_HINT) from None
        except httpx.TransportError as exc:
            if cancel is not None and cancel.is_set():
                raise cancelled from None
            raise DownloadError(
                f"{host} closed the connection during {part.name} ({first_line(exc)})", AGAIN
            ) from None
        if cancel is not None and cancel.is_set():
            raise cancelled
        return


def _start_of(response: httpx.Response, done: int, size: int, host: str) -> int | None:
    """Where the body starts in the file: 0 for a whole file, ``done`` for the range asked; None when
    the server answered some other range. An HTTP error is a ``DownloadError``."""
    status = response.status_code
    if status == 200:
        return 0
    if status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if match is None or (int(match[1]), int(match[2]), int(match[3])) != (done, size - 1, size):
            return None
        return done
    name = response.url.path.rsplit("/", 1)[-1]
    raise DownloadError(f"{host} answered HTTP {status} {response.reason_phrase} for {name}", NETWORK_HINT)


@contextmanager
def _hang_up_on(cancel: CancelToken | None, response: httpx.Response) -> Iterator[None]:
    """While the body streams, a cancel shuts the connection's socket down: the blocked read ends at
    once and the server sees the hang-up (closing the socket from another thread would not wake it)."""
    if cancel is None:
        yield
        return
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None

    def hang_up() -> None:
        if not isinstance(sock, socket.socket):
            response.close()
            return
        with suppress(OSError):  # already closed: nothing is left to end
            sock.shutdown(socket.SHUT_RDWR)

    with cancel.hooked(hang_up):
        yield


def check_space(folder: Path, needed: int) -> None:
    """A ``DownloadError`` naming ``folder`` when it lacks ``needed`` bytes of free space."""
    if shutil.disk_usage(folder).free < needed:
        raise full_disk(folder, needed)


def _write_error(exc: OSError, folder: Path, needed: int) -> DownloadError:
    if exc.errno == errno.ENOSPC:
        return full_disk(folder, needed)
    return DownloadError(
        f"Cannot write to {folder} ({exc.strerror or exc})", "Check the permissions of the models folder."
    )


def full_disk(folder: Path, needed: int) -> DownloadError:
    """The one line for a folder without room for ``needed`` more bytes."""
    free = shutil.disk_usage(folder).free
    return DownloadError(
        f"Not enough free space in {folder}: {human_bytes(needed)} more needed, {human_bytes(free)} free",
        "Free some space (the partial download is kept), then run the same command again.",
    )


def _host(url: str) -> str:
    return urlsplit(url).netloc or url
