"""Test catalogs for the loopback model server: entries for the files it serves, as the mapping
``parse_catalog`` reads or as the TOML file ``DESKTOP_ASSISTANT_CATALOG`` names.

Release files keep the packaged catalog's GitHub URL, so under a mirror (the model server) each is
served at ``RELEASE/NAME``.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import tomli_w

from desktop_assistant.fetch.catalog import GGUF, WHISPER, CatalogEntry

RELEASE_URL = "https://github.com/thewh1teagle/kokoro-onnx/releases/download/model-files-v1.0"
RELEASE = "/" + RELEASE_URL.removeprefix("https://")  # the same path under a mirror

Table = dict[str, object]


def release_file(name: str, data: bytes) -> Table:
    """A catalog file of ``data`` under the release URL: its name, size and sha256."""
    sha = hashlib.sha256(data).hexdigest()
    return {"name": name, "size": len(data), "sha256": sha, "url": f"{RELEASE_URL}/{name}"}


def kokoro_table(name: str, kind: str, files: list[Table], title: str = "") -> Table:
    """A ``[[kokoro]]`` entry (``kind`` is ``model`` or ``voices``)."""
    return {"name": name, "title": title or f"{name}: a test entry", "kind": kind, "files": files}


def whisper_table(entry: CatalogEntry) -> Table:
    """The ``[[whisper]]`` entry of a parsed Whisper ``entry`` (a packaged one, served as it is)."""
    assert entry.kind == WHISPER
    return {
        "name": entry.name,
        "title": entry.title,
        "install_as": entry.install_as,
        "language": entry.language,
        "repo": entry.repo,
        "revision": entry.revision,
        "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in entry.files],
    }


def hub_file(name: str, data: bytes) -> Table:
    """A catalog file of ``data`` in a Hugging Face repository (its entry gives the URL)."""
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def gguf_table(name: str, repo: str, revision: str, files: list[Table]) -> Table:
    """A ``[[gguf]]`` entry: ``files`` of the Hugging Face repository ``repo`` at ``revision``."""
    return {
        "name": name,
        "title": f"{name}: a test entry",
        "repo": repo,
        "revision": revision,
        "files": files,
    }


def packaged_gguf_table(entry: CatalogEntry) -> Table:
    """The ``[[gguf]]`` entry of a parsed packaged GGUF ``entry`` (the packaged catalog's SmolLM2)."""
    assert entry.kind == GGUF and entry.package
    files = [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in entry.files]
    return {"name": entry.name, "title": entry.title, "package": entry.package, "files": files}


def voices_npz(*names: str) -> bytes:
    """A voices file with silent voices called ``names``."""
    out = io.BytesIO()
    np.savez(out, **{name: np.zeros((4, 1, 256), dtype=np.float32) for name in names})
    return out.getvalue()


def write_catalog(path: Path, tables: dict[str, list[Table]]) -> Path:
    """Write ``tables`` (``{"whisper": [...], "kokoro": [...], "ollama": [...]}``) as a catalog TOML."""
    path.write_text(tomli_w.dumps(tables))
    return path
