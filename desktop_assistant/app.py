"""The composition root: the one place that picks the concrete stages and wires them together."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from desktop_assistant.audio.output import AudioOutput
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, EngineConfig, Stages
from desktop_assistant.core.events import EventSink
from desktop_assistant.core.listening import Microphone
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


def load_stages(context: Context, model: str | None = None, with_stt: bool = True) -> Stages:
    """Load Whisper and Kokoro side by side (they are independent) and make the Ollama client."""
    settings = context.settings
    library = ModelLibrary(context.paths.models_dir)
    whisper_dir = library.whisper_dir(settings.stt) if with_stt else None
    kokoro_model, kokoro_voices = library.kokoro_files(settings.tts)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as pool:
        tts = pool.submit(KokoroSynthesizer, settings.tts, kokoro_model, kokoro_voices)
        stt: Transcriber | None = None
        if whisper_dir is not None:
            stt = FasterWhisperTranscriber(settings.stt, whisper_dir)
        synthesizer = tts.result()
    return Stages(transcriber=stt, chat=OllamaChat(settings.llm, model), synthesizer=synthesizer)


def build_engine(
    context: Context,
    stages: Stages,
    output: AudioOutput,
    sink: EventSink,
    microphone: Microphone | None = None,
) -> Engine:
    """An engine over ``stages`` with the settings' persona and tuning (not yet started)."""
    settings = context.settings
    config = EngineConfig(
        first_chunk_min_words=settings.text.first_chunk_min_words,
        vad_aggressiveness=settings.audio.vad_aggressiveness,
        speech_padding_ms=settings.audio.speech_padding_ms,
    )
    conversation = Conversation.with_persona(settings.llm.persona)
    return Engine(stages, output, sink, conversation, config, microphone)
