"""A Whisper model from Hugging Face: ``huggingface_hub.snapshot_download`` at the catalog's pinned
commit into a staging folder, every file checked against the catalog, then moved into place.

The hub client does the HTTP (its ``/api/models/REPO/tree/REVISION`` listing, then a HEAD and a GET
of ``/REPO/resolve/REVISION/FILE`` per file, resuming its own ``.incomplete`` files), so the staging
folder is kept after a failure and a second run continues. It never sends a token, and its cache
lives in the staging folder, so the user's Hugging Face cache is neither read nor written.
"""

from __future__ import annotations

import errno
import logging
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
from huggingface_hub import constants, snapshot_download
from huggingface_hub.errors import (
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from tqdm.auto import tqdm

from desktop_assistant.cancel import CancelToken
from desktop_assistant.errors import DownloadCancelled, DownloadError, first_line
from desktop_assistant.fetch.catalog import CatalogEntry
from desktop_assistant.fetch.download import AGAIN, NETWORK_HINT, check_space, full_disk
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.store.models import sha256_of

# snapshot_download's byte counts reach the tqdm bar it labels so; its other bars count the same
# bytes again (network transfer) or files.
_BYTES_BAR = "Reconstructing"


def fetch_whisper(
    entry: CatalogEntry,
    target_dir: Path,
    progress: Progress,
    cancel: CancelToken | None = None,
    endpoint: str | None = None,
) -> None:
    """Download ``entry``'s files from ``endpoint`` (None: the hub's default, which honours
    HF_ENDPOINT) into ``target_dir``; nothing lands there unless every file passes its check."""
    if cancel is not None and cancel.is_set():
        raise DownloadCancelled(f"The download of {entry.name} was cancelled", AGAIN)
    _hub_warnings_to_the_log()
    staging = target_dir.with_name(f".{target_dir.name}.download")
    staging.mkdir(parents=True, exist_ok=True)
    check_space(staging, entry.download_bytes)
    host = urlsplit(endpoint or constants.ENDPOINT).netloc
    progress.begin(entry.name, entry.download_bytes, 0)
    try:
        snapshot_download(
            repo_id=entry.repo,
            revision=entry.revision,
            allow_patterns=[f.name for f in entry.files],
            local_dir=staging,
            cache_dir=staging / ".cache" / "hub",
            endpoint=endpoint,
            token=False,
            max_workers=1,
            tqdm_class=_forwarder(entry.name, progress, cancel),
        )
    except (OSError, httpx2.HTTPError, ValueError) as exc:
        raise _hub_error(exc, entry, host, staging) from None
    _verify(entry, staging, host)
    target_dir.mkdir(parents=True, exist_ok=True)
    for file in entry.files:
        (staging / file.name).replace(target_dir / file.name)
    shutil.rmtree(staging, ignore_errors=True)
    progress.end()


def _hub_warnings_to_the_log() -> None:
    """Take off the stderr handler huggingface_hub gives its own logger: its warnings (a line per retry
    of a host that cannot be reached) then reach only the log file, like other libraries', and the
    terminal gets the one line the failure makes."""
    hub_logger = logging.getLogger("huggingface_hub")
    for handler in [h for h in hub_logger.handlers if type(h) is logging.StreamHandler]:
        hub_logger.removeHandler(handler)


def _forwarder(name: str, progress: Progress, cancel: CancelToken | None) -> type[Any]:
    """A tqdm class that shows nothing, forwards the download's bytes to ``progress`` and raises
    ``DownloadCancelled`` at its next update once ``cancel`` is set (between and within files); the
    hub client lets it through to the caller."""

    class Forwarder(tqdm):  # type: ignore[misc]  # tqdm has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._forwards = str(kwargs.get("desc") or "").startswith(_BYTES_BAR)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled(f"The download of {name} was cancelled", AGAIN)
            if self._forwards and n:
                progress.advance(int(n))
            done: bool | None = super().update(n)
            return done

    return Forwarder


def _verify(entry: CatalogEntry, staging: Path, host: str) -> None:
    """Every file's size and sha256 against the catalog; a wrong one is removed and named."""
    for file in entry.files:
        path = staging / file.name
        if path.is_file() and path.stat().st_size == file.size and sha256_of([path]) == file.sha256:
            continue
        shutil.rmtree(staging, ignore_errors=True)
        raise DownloadError(
            f"{file.name} of {entry.name} from {host} fails its size or sha256 check: it was damaged "
            "in transit, or the server or mirror serves other bytes",
            "Run the same command again to download it afresh.",
        )


def _hub_error(exc: Exception, entry: CatalogEntry, host: str, staging: Path) -> DownloadError:
    """One line for a failure of the hub client."""
    if isinstance(exc, RevisionNotFoundError):
        return DownloadError(f"{host} has no revision {entry.revision} of {entry.repo}", NETWORK_HINT)
    if isinstance(exc, RepositoryNotFoundError):
        return DownloadError(f"{host} has no repository {entry.repo}", NETWORK_HINT)
    if isinstance(exc, RemoteEntryNotFoundError):
        return DownloadError(f"{host} lacks a file of {entry.repo} ({first_line(exc)})", NETWORK_HINT)
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "error"
        return DownloadError(f"{host} answered HTTP {status} for {entry.repo}", NETWORK_HINT)
    if isinstance(exc, (LocalEntryNotFoundError, httpx2.ConnectError, httpx2.TimeoutException)):
        return DownloadError(f"Cannot reach {host} for {entry.repo}", NETWORK_HINT)
    if isinstance(exc, httpx2.HTTPError):
        return DownloadError(f"{host} closed the connection during {entry.name} ({first_line(exc)})", AGAIN)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return full_disk(staging, entry.download_bytes)
    if isinstance(exc, OSError):
        return DownloadError(
            f"Cannot write {entry.name} to {staging.parent} ({exc.strerror or first_line(exc)})",
            "Check the free space and permissions of the models folder.",
        )
    return DownloadError(f"{host} gave an answer the hub client rejects ({first_line(exc)})", NETWORK_HINT)
