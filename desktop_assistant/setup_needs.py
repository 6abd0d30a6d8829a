"""What the assistant still needs before it can hear, answer and speak: the first-run dialog's list.

Qt-free, so the dialog, a doctor command or a test can ask. Each need names the catalog entry that
fixes it, with its download size. The model checks only look at files; the Ollama check asks the server
for its model list with a short timeout, so callers run ``setup_needs`` off the GUI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from desktop_assistant.app import Context, builtin_chat, stored_api_key
from desktop_assistant.config.settings import LlmSettings, Settings, TtsSettings
from desktop_assistant.errors import LLMError, ModelFileError
from desktop_assistant.fetch.catalog import (
    KOKORO_MODEL,
    KOKORO_VOICES,
    OLLAMA,
    WHISPER,
    CatalogEntry,
)
from desktop_assistant.fetch.install import catalog_for_run
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.llm.backends import UnavailableChat
from desktop_assistant.llm.ollama_chat import CLIENT_ERRORS, client_error
from desktop_assistant.llm.ollama_host import open_client, resolve_host
from desktop_assistant.llm.ollama_models import full_name
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.tts.kokoro import voice_names
from desktop_assistant.tts.voices import english_voices, languages_of, speaks_english

# The Ollama check is interactive: a server that does not answer in this time counts as unreachable.
OLLAMA_CHECK_S = 3.0


@dataclass(frozen=True)
class SetupNeed:
    """One thing missing: its ``kind`` (a catalog kind), the ``entry`` that fixes it, why it matters in
    plain words (``reason``), and what was found (``problem``: one line, e.g. the server's error)."""

    kind: str
    entry: CatalogEntry
    reason: str
    problem: str = ""
    # Ollama only: whether the server answered (then only the model is missing, and a pull fixes it).
    reachable: bool = False

    def line(self) -> str:
        """What is missing and how to fix it, in one line for outside the dialog (the status line)."""
        if self.kind == OLLAMA and self.reachable:
            pull = f"'ollama pull {self.entry.name}'"
            return f"{self.problem} Pull it with {pull}, or with Pull… in Settings ▸ Assistant."
        return self.problem


@dataclass(frozen=True)
class SetupNeeds:
    """Everything missing, models first; ``ollama_checked`` is False when the server was not asked."""

    needs: tuple[SetupNeed, ...] = ()
    ollama_checked: bool = False

    def __bool__(self) -> bool:
        return bool(self.needs)

    @property
    def models(self) -> tuple[SetupNeed, ...]:
        """The Whisper and Kokoro needs (files the app downloads or imports itself)."""
        return tuple(need for need in self.needs if need.kind != OLLAMA)

    @property
    def ollama(self) -> SetupNeed | None:
        """The Ollama need, if the server is unreachable or lacks the model."""
        return next((need for need in self.needs if need.kind == OLLAMA), None)

    @property
    def download_bytes(self) -> int:
        """What downloading every model need costs (Ollama's pull is separate: the server does it)."""
        return sum(need.entry.download_bytes for need in self.models)


def setup_needs(context: Context, check_ollama: bool = True) -> SetupNeeds:
    """What ``context``'s settings and model library lack; the Ollama server is asked only when
    ``check_ollama`` (it may take up to ``OLLAMA_CHECK_S``) and the assistant needs it to answer: not
    with ``llm.backend = builtin``, nor with ``auto`` while the built-in model can answer instead."""
    settings = context.settings
    library = ModelLibrary(context.paths.models_dir)
    needs = [*_whisper_need(library, settings), *_kokoro_needs(library, settings)]
    if check_ollama and needs_ollama(context):
        needs.extend(_ollama_need(settings.llm))
    return SetupNeeds(tuple(needs), check_ollama)


def needs_ollama(context: Context) -> bool:
    """Whether only Ollama can answer: ``llm.backend = ollama``, or ``auto`` without a built-in model."""
    backend = context.settings.llm.backend
    return backend == "ollama" or (backend == "auto" and isinstance(builtin_chat(context), UnavailableChat))


def short_title(entry: CatalogEntry) -> str:
    """``Whisper base.en``: an entry's title before its description."""
    return entry.title.split(":")[0]


def sized(entry: CatalogEntry) -> str:
    """``Whisper base.en, 148 MB``: an entry's short title and download size, for the user."""
    title = short_title(entry)
    return f"{title}, {human_bytes(entry.download_bytes)}" if entry.download_bytes else title


def _whisper_need(library: ModelLibrary, settings: Settings) -> list[SetupNeed]:
    try:
        library.whisper_dir(settings.stt)
    except ModelFileError as exc:
        entry = recommended_entries(catalog_for_run())[0]
        reason = f"The assistant needs a speech model to hear you ({sized(entry)})."
        # The message only: its hint names the command line, and the dialog offers the fixes itself.
        return [SetupNeed(WHISPER, entry, reason, f"{exc.message.rstrip('.')}.")]
    return []


def _kokoro_needs(library: ModelLibrary, settings: Settings) -> list[SetupNeed]:
    """The Kokoro model and voices, each checked alone."""
    tts = settings.tts
    _, model_entry, voices_entry = recommended_entries(catalog_for_run())
    needs: list[SetupNeed] = []
    if kokoro_path(library, tts, 0) is None:
        entry = model_entry
        reason = f"The assistant needs a voice model to speak its answers ({sized(entry)})."
        needs.append(SetupNeed(KOKORO_MODEL, entry, reason, "No Kokoro voice model is installed."))
    voices = kokoro_path(library, tts, 1)
    entry = voices_entry
    if voices is None:
        reason = f"The voice model needs its voices file ({sized(entry)})."
        needs.append(SetupNeed(KOKORO_VOICES, entry, reason, "No Kokoro voices file is installed."))
    elif speaks_english(tts.language):
        try:
            names = voice_names(voices)
        except ModelFileError as exc:
            reason = f"The voices file cannot be read; a fresh copy fixes it ({sized(entry)})."
            return [*needs, SetupNeed(KOKORO_VOICES, entry, reason, exc.line())]
        if not english_voices(names):
            spoken = " and ".join(languages_of(names)) or "other languages"
            reason = (
                f"The installed voices speak only {spoken}; the assistant needs an English voice "
                f"to answer in English ({sized(entry)})."
            )
            needs.append(SetupNeed(KOKORO_VOICES, entry, reason, f"No English voice in {voices.name}."))
    return needs


def kokoro_path(library: ModelLibrary, tts: TtsSettings, index: int) -> Path | None:
    """Path ``index`` (0: model, 1: voices) of ``kokoro_files``, or None when it is missing. Each is
    looked up alone: the other one's setting is given a stand-in, since ``kokoro_files`` refuses the pair
    when either is unset."""
    alone = replace(tts, voices=tts.voices or "-") if index == 0 else replace(tts, model=tts.model or "-")
    try:
        path = library.kokoro_files(alone)[index]
    except ModelFileError:
        return None
    return path if path.is_file() else None


def _ollama_need(llm: LlmSettings) -> list[SetupNeed]:
    entry = _ollama_entry(llm.model)
    host = resolve_host(llm.host)
    try:
        _host, client = open_client(replace(llm, timeout_s=OLLAMA_CHECK_S), stored_api_key())
        try:
            names = {model.model for model in client.list().models if model.model}
        finally:
            client.close()  # type: ignore[no-untyped-call]
    except CLIENT_ERRORS as exc:
        problem = client_error(exc, host, OLLAMA_CHECK_S).line()
        return [SetupNeed(OLLAMA, entry, _ollama_reason(llm.model), problem)]
    except LLMError as exc:  # an address that is not a URL
        return [SetupNeed(OLLAMA, entry, _ollama_reason(llm.model), exc.line())]
    if full_name(llm.model) in names:
        return []
    problem = f"Ollama at {host} is running but does not have '{llm.model}' yet."
    return [SetupNeed(OLLAMA, entry, _ollama_reason(llm.model), problem, reachable=True)]


def _ollama_reason(model: str) -> str:
    return f"The assistant needs Ollama running with the model '{model}' to answer you."


def _ollama_entry(model: str) -> CatalogEntry:
    """The catalog's entry for ``model``, or one of unknown size for a model the catalog lacks."""
    try:
        return catalog_for_run().get(model)
    except ModelFileError:
        return CatalogEntry(name=model, kind=OLLAMA, title=model)
