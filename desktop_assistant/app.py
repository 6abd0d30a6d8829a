"""The composition root: the one place that picks the concrete stages and wires them together."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.turn_runner import TurnRunner
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.base import Transcriber
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.tts.kokoro import KokoroSynthesizer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """Where the app's files are and what the settings say, loaded once per command."""

    paths: AppPaths
    settings: Settings

    @classmethod
    def load(cls) -> Context:
        """Resolve the folders (``DESKTOP_ASSISTANT_HOME`` wins) and read the settings file."""
        paths = AppPaths.resolve()
        return cls(paths, SettingsStore(paths).load())


def build_runner(context: Context, model: str | None = None, with_stt: bool = True) -> TurnRunner:
    """Load Whisper and Kokoro side by side (they are independent) and wire a turn runner."""
    settings = context.settings
    library = ModelLibrary(context.paths.models_dir)
    whisper_dir = library.whisper_dir(settings.stt) if with_stt else None
    kokoro_model, kokoro_voices = library.kokoro_files(settings.tts)
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="load") as pool:
        tts = pool.submit(KokoroSynthesizer, settings.tts, kokoro_model, kokoro_voices)
        stt: Transcriber | None = None
        if whisper_dir is not None:
            stt = FasterWhisperTranscriber(settings.stt, whisper_dir)
        synthesizer = tts.result()
    return TurnRunner(
        chat=OllamaChat(settings.llm, model),
        synthesizer=synthesizer,
        conversation=Conversation.with_persona(settings.llm.persona),
        transcriber=stt,
        first_chunk_min_words=settings.text.first_chunk_min_words,
    )
