"""The doctor's model checks: Whisper and Kokoro load, the voices speak the answers' language, and the
models folder has room for a download. Each failure's fix is the ``models download`` of the catalog
entry a new install gets (``fetch/recommend.py``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from desktop_assistant.app import Context
from desktop_assistant.doctor.check import Check
from desktop_assistant.doctor.gpu import cpu_reason
from desktop_assistant.errors import ModelFileError
from desktop_assistant.fetch.catalog import Catalog, CatalogEntry
from desktop_assistant.fetch.install import catalog_for_run
from desktop_assistant.fetch.progress import human_bytes
from desktop_assistant.fetch.recommend import recommended_entries
from desktop_assistant.setup_needs import kokoro_path
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer, voice_names
from desktop_assistant.tts.voices import (
    english_voices,
    languages_of,
    speaks_english,
    voice_language,
    voice_to_use,
)

SPEECH_MODEL = "Speech model"
VOICE_MODEL = "Voice model"
VOICES = "Voices"
FREE_DISK = "Free disk"
# Room left over after the largest download, so that it does not fill the disk.
DISK_MARGIN_BYTES = 1_000_000_000


def download_fix(entry: CatalogEntry) -> str:
    """The command that downloads ``entry`` and puts it in use."""
    return f"desktop-assistant models download {entry.name}"


def speech_model_check(context: Context) -> Check:
    """Whisper loads, and on which device (CUDA or the CPU, and why not the GPU where there is one)."""
    stt = context.settings.stt
    try:
        folder = ModelLibrary(context.paths.models_dir).whisper_dir(stt)
    except ModelFileError as exc:
        whisper = recommended_entries(catalog_for_run())[0]
        return Check.failed(SPEECH_MODEL, exc.message, download_fix(whisper))
    # Loading is the test; the model is dropped again.
    whisper_model = FasterWhisperTranscriber(stt, folder)
    place = f"{whisper_model.device.upper()} ({whisper_model.compute_type})"
    if whisper_model.device == "cuda":
        return Check.passed(SPEECH_MODEL, f"{folder.name} loaded on {place}")
    return Check.passed(
        SPEECH_MODEL,
        f"{folder.name} loaded on the CPU ({whisper_model.compute_type}); {cpu_reason(stt.device)}",
    )


def voice_model_check(context: Context) -> Check:
    """Kokoro loads with the voices file and the voice the settings name."""
    tts = context.settings.tts
    library = ModelLibrary(context.paths.models_dir)
    _, model_entry, voices_entry = recommended_entries(catalog_for_run())
    model = kokoro_path(library, tts, 0)
    if model is None:
        named = f"tts.model = {tts.model}" if tts.model else "no official Kokoro model in the library"
        return Check.failed(VOICE_MODEL, f"not installed ({named})", download_fix(model_entry))
    voices = kokoro_path(library, tts, 1)
    if voices is None:
        detail = f"{model.name} is installed, but no voices file to speak with"
        return Check.failed(VOICE_MODEL, detail, download_fix(voices_entry))
    KokoroSynthesizer(tts, model, voices)
    return Check.passed(VOICE_MODEL, f"{model.name} loaded with the voice {tts.voice}")


def voices_check(context: Context) -> Check:
    """The voices file speaks the answers' language (``tts.language``), and so does the chosen voice."""
    tts = context.settings.tts
    voices_entry = recommended_entries(catalog_for_run())[2]
    voices = kokoro_path(ModelLibrary(context.paths.models_dir), tts, 1)
    if voices is None:
        return Check.failed(VOICES, "no Kokoro voices file is installed", download_fix(voices_entry))
    try:
        names = voice_names(voices)
    except ModelFileError as exc:
        return Check.failed(VOICES, exc.message, download_fix(voices_entry))
    spoken = " and ".join(languages_of(names)) or "no known language"
    if not speaks_english(tts.language):
        return Check.passed(VOICES, f"{voices.name} speaks {spoken} (tts.language = {tts.language})")
    english = english_voices(names)
    if not english:
        detail = f"{voices.name} speaks only {spoken}, and the answers are in English"
        return Check.failed(VOICES, detail, download_fix(voices_entry))
    if tts.voice not in english:
        best = voice_to_use(tts.voice, names, english=True)
        detail = f"the voice {tts.voice} speaks {voice_language(tts.voice)}, and the answers are in English"
        return Check.failed(VOICES, detail, f"desktop-assistant config set tts.voice {best}")
    count = "1 English voice" if len(english) == 1 else f"{len(english)} English voices"
    return Check.passed(VOICES, f"{tts.voice} speaks {voice_language(tts.voice)} ({count} in {voices.name})")


def room_needed(catalog: Catalog) -> int:
    """The largest download a new install makes, plus a margin."""
    return max(entry.download_bytes for entry in recommended_entries(catalog)) + DISK_MARGIN_BYTES


def free_disk_check(models_dir: Path, needed: int) -> Check:
    """Whether the filesystem that holds (or will hold) ``models_dir`` has ``needed`` bytes free."""
    folder = next(path for path in (models_dir, *models_dir.parents) if path.is_dir())
    free = shutil.disk_usage(folder).free
    detail = f"{human_bytes(free)} free for {models_dir} (a model download needs up to {human_bytes(needed)})"
    if free >= needed:
        return Check.passed(FREE_DISK, detail)
    return Check.failed(FREE_DISK, detail, f"free at least {human_bytes(needed - free)} on that disk")
