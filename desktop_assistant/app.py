"""The composition root: the one place that picks the concrete stages and wires them together."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from desktop_assistant.audio.capture import Microphone as LiveMicrophone
from desktop_assistant.audio.output import AudioOutput
from desktop_assistant.audio.playback import Player
from desktop_assistant.config.secrets import SecretStore
from desktop_assistant.config.settings import Settings
from desktop_assistant.config.store import AppPaths, SettingsStore
from desktop_assistant.core.conversation import ContextLimits, Conversation
from desktop_assistant.core.engine import CLOSE_S, Engine, EngineConfig, Stages
from desktop_assistant.core.events import EventSink
from desktop_assistant.core.listening import Microphone
from desktop_assistant.core.voice_cues import VoiceCues
from desktop_assistant.errors import AssistantError, AudioDeviceError, SecretStoreError
from desktop_assistant.llm.backends import PROBE_TIMEOUT_S, AutoChat, UnavailableChat
from desktop_assistant.llm.base import ChatModel
from desktop_assistant.llm.builtin_extra import require_llama_cpp
from desktop_assistant.llm.llama_cpp_chat import LlamaCppChat
from desktop_assistant.llm.ollama_chat import API_KEY_SECRET, OllamaChat
from desktop_assistant.store.history import HistoryStore, history_folder
from desktop_assistant.store.history_log import HistoryLog, restore_conversation
from desktop_assistant.store.models import ModelLibrary
from desktop_assistant.stt.base import Transcriber
from desktop_assistant.stt.corrections import CorrectedTranscriber, CorrectionTable
from desktop_assistant.stt.faster_whisper import FasterWhisperTranscriber
from desktop_assistant.text.chunker import ChunkSizing
from desktop_assistant.text.guard import SpeechGuard
from desktop_assistant.tts.kokoro import KokoroSynthesizer

log = logging.getLogger(__name__)

# A new PulseAudio stream takes a second or two to run steadily; replies wait for it rather than stutter.
SPEAKER_START_S = 5.0


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


def load_stages(
    context: Context, model: str | None = None, with_stt: bool = True, backend: str | None = None
) -> Stages:
    """Load Whisper and Kokoro side by side (they are independent) and make the chat model
    (``open_chat``: ``model`` and ``backend`` override the settings)."""
    settings = context.settings
    library = ModelLibrary(context.paths.models_dir)
    whisper_dir = library.whisper_dir(settings.stt) if with_stt else None
    kokoro_model, kokoro_voices = library.kokoro_files(settings.tts)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="load") as pool:
        tts = pool.submit(KokoroSynthesizer, settings.tts, kokoro_model, kokoro_voices)
        stt: Transcriber | None = None
        if whisper_dir is not None:
            # Every transcript (eager passes, the final one, ask, the bench) goes through the corrections.
            whisper = FasterWhisperTranscriber(settings.stt, whisper_dir)
            stt = CorrectedTranscriber(whisper, CorrectionTable.from_settings(settings.stt))
        synthesizer = tts.result()
    return Stages(transcriber=stt, chat=open_chat(context, model, backend), synthesizer=synthesizer)


def open_chat(context: Context, model: str | None = None, backend: str | None = None) -> ChatModel:
    """The model that answers, by ``llm.backend`` (or ``backend``): Ollama's (``model`` overrides
    ``llm.model``), the built-in one, or ``auto``: Ollama when it answers, else the built-in model. An
    ``auto`` without a usable built-in model is Ollama alone. Nothing is loaded yet."""
    llm = context.settings.llm
    chosen = backend or llm.backend
    if chosen == "ollama":
        return OllamaChat(llm, model, stored_api_key())
    builtin = builtin_chat(context)
    if chosen == "builtin":
        return builtin
    api_key = stored_api_key()
    ollama = OllamaChat(llm, model, api_key)
    if isinstance(builtin, UnavailableChat):
        log.info("Only Ollama answers: %s", builtin.error.line())
        return ollama
    probe = OllamaChat(replace(llm, timeout_s=PROBE_TIMEOUT_S), model, api_key)
    return AutoChat(ollama, probe, builtin)


def builtin_chat(context: Context) -> ChatModel:
    """The built-in model of the settings (``llm.builtin_model``), or what stands for it where it cannot
    run (no llama-cpp-python, no GGUF file imported): every call gives that line."""
    try:
        require_llama_cpp()
        path = ModelLibrary(context.paths.models_dir).gguf_file(context.settings.llm)
    except AssistantError as exc:
        return UnavailableChat(exc)
    return LlamaCppChat(context.settings.llm, path)


def stored_api_key() -> str | None:
    """The Ollama API key from the keyring; None when none is stored or no keyring is usable."""
    try:
        return SecretStore().get(API_KEY_SECRET)
    except SecretStoreError as exc:
        log.info("no Ollama API key: %s", exc.line())
        return None


def open_history(context: Context) -> HistoryStore | None:
    """The history store, with conversations older than ``history.keep_days`` removed; None when
    history is off. ``HistoryError`` when the database cannot be used."""
    settings = context.settings.history
    if not settings.enabled:
        return None
    store = HistoryStore(history_folder(context.paths.data_dir))
    removed = store.prune(settings.keep_days)
    if removed:
        log.info("Removed %d conversation(s) older than %d days", removed, settings.keep_days)
    return store


def history_log(
    context: Context, stages: Stages, store: HistoryStore, on_written: Callable[[str], None] | None = None
) -> HistoryLog:
    """The engine's turn log into ``store``, naming the models ``stages`` run (not yet started)."""
    settings = context.settings
    models = {
        "stt": settings.stt.model,
        "llm": stages.chat.model,
        "llm_backend": stages.chat.backend,
        "tts": settings.tts.voice,
    }
    return HistoryLog(store, models, settings.history.store_images, on_written)


def conversation_for(
    context: Context, store: HistoryStore | None, conversation_id: str | None
) -> Conversation:
    """Conversation ``conversation_id`` from the history (``HistoryError`` when it has none such), or a
    new one when no id is given."""
    llm = context.settings.llm
    limits = ContextLimits(llm.num_ctx, llm.images_in_context)
    if store is None or conversation_id is None:
        return Conversation.with_persona(llm.persona, limits)
    store.conversation(conversation_id)
    return restore_conversation(store, conversation_id, llm.persona, limits)


def build_engine(
    context: Context,
    stages: Stages,
    output: AudioOutput,
    sink: EventSink,
    microphone: Microphone | None = None,
    turn_log: HistoryLog | None = None,
    conversation: Conversation | None = None,
) -> Engine:
    """An engine over ``stages`` with the settings' persona and tuning (not yet started), keeping its
    turns in ``turn_log`` and continuing ``conversation`` (default: a new one)."""
    settings = context.settings
    config = EngineConfig(
        chunking=ChunkSizing.from_settings(settings.text),
        vad_aggressiveness=settings.audio.vad_aggressiveness,
        speech_padding_ms=settings.audio.speech_padding_ms,
        early_reply=settings.audio.early_reply,
        guard=SpeechGuard.from_settings(settings.text),
        voice_cues=(
            VoiceCues.in_folder(context.paths.data_dir, settings.audio.vad_aggressiveness)
            if settings.audio.voice_cues
            else None
        ),
    )
    if conversation is None:
        conversation = conversation_for(context, None, None)
    return Engine(stages, output, sink, conversation, config, microphone, turn_log)


def open_speaker(device: str, rate: int, block_ms: int = 20) -> tuple[Player, AudioDeviceError | None]:
    """The persistent player on ``device``; where no speaker opens, a real-time sink (replies are timed
    as if heard) and the reason, for the user."""
    player = Player(device, rate, block_ms)
    try:
        player.start()
    except AudioDeviceError as exc:
        log.warning("no speaker: %s", exc.line())
        player = Player(device, rate, block_ms, realtime_sink=True)
        player.start()
        player.wait_live(SPEAKER_START_S)
        return player, exc
    player.wait_live(SPEAKER_START_S)
    return player, None


def open_microphone(device: str, notices: list[AssistantError]) -> LiveMicrophone | None:
    """The live microphone on ``device``, or None (with the reason added to ``notices``)."""
    microphone = LiveMicrophone(device)
    try:
        microphone.start()
    except AudioDeviceError as exc:
        log.warning("no microphone: %s", exc.line())
        notices.append(exc)
        return None
    return microphone


@dataclass(frozen=True)
class RuntimeHistory:
    """Where a runtime keeps its turns: the open ``store``, the conversation to continue (None: a new
    one), and whom to tell, on the writer thread, that a conversation was written."""

    store: HistoryStore
    conversation_id: str | None = None
    on_written: Callable[[str], None] | None = None


class LoadAborted(AssistantError):
    """The load was abandoned (the app is quitting); nothing of it is left open."""


@dataclass
class Runtime:
    """What the desktop app runs on: the engine over loaded models, the speaker and the microphone.

    ``notices`` are the problems the user should hear about that still leave the app usable (no
    microphone: typed questions only; no speaker; Ollama not reachable yet).
    """

    engine: Engine
    stages: Stages
    player: Player
    microphone: LiveMicrophone | None
    notices: list[AssistantError] = field(default_factory=list)
    turn_log: HistoryLog | None = None

    def close(self, timeout: float = CLOSE_S) -> bool:
        """Stop the engine (giving its stages ``timeout`` s) and release the devices and the Ollama
        connection; False when a stage was still busy and had to be left behind."""
        stopped = self.engine.close(timeout)
        if self.turn_log is not None:
            self.turn_log.close()
        if self.microphone is not None:
            self.microphone.close()
        self.player.close()
        self.stages.chat.close()
        return stopped


class RuntimeLoad:
    """One opening of the ``Runtime``, run on a loader thread: load the models, open the devices named
    in the settings, start and warm the engine.

    ``abort()``, from any thread, makes it give up: a warm-up waiting on the model server is cut off at
    once (its connection is closed), a model still loading is dropped as soon as it is in, and what was
    opened is closed; ``run()`` then raises ``LoadAborted``. ``microphone`` opens the microphone
    (default: the live one named in the settings; the benchmark gives the app a recording instead).
    """

    def __init__(
        self,
        context: Context,
        sink: EventSink,
        history: RuntimeHistory | None = None,
        microphone: Callable[[str, list[AssistantError]], LiveMicrophone | None] | None = None,
    ) -> None:
        self._context = context
        self._sink = sink
        self._history = history
        self._open_microphone = microphone or open_microphone
        self._lock = threading.Lock()
        self._aborted = False
        self._chat: ChatModel | None = None

    def run(self) -> Runtime:
        """Open the runtime. Raises ``AssistantError`` only when the models cannot load (everything
        else becomes a notice), or ``LoadAborted``."""
        settings = self._context.settings
        stages = load_stages(self._context)
        with self._lock:
            self._chat = stages.chat
            aborted = self._aborted
        if aborted:
            stages.chat.close()
            raise LoadAborted("The app is quitting")
        player, speaker_error = open_speaker(settings.audio.output_device, stages.synthesizer.sample_rate)
        notices: list[AssistantError] = [speaker_error] if speaker_error is not None else []
        microphone = self._open_microphone(settings.audio.input_device, notices)
        turn_log, conversation = self._history_for(stages, notices)
        engine = build_engine(self._context, stages, player, self._sink, microphone, turn_log, conversation)
        engine.start()
        runtime = Runtime(engine, stages, player, microphone, notices, turn_log)
        warm_error = None if self._aborted else engine.warm_up()
        with self._lock:
            aborted = self._aborted
        if aborted:
            runtime.close()
            raise LoadAborted("The app is quitting")
        if warm_error is not None:
            notices.append(warm_error)
        return runtime

    def _history_for(
        self, stages: Stages, notices: list[AssistantError]
    ) -> tuple[HistoryLog | None, Conversation | None]:
        history = self._history
        if history is None:
            return None, None
        turn_log = history_log(self._context, stages, history.store, history.on_written)
        turn_log.start()
        try:
            return turn_log, conversation_for(self._context, history.store, history.conversation_id)
        except AssistantError as exc:  # deleted meanwhile, or unreadable: a new conversation
            notices.append(exc)
            return turn_log, None

    def abort(self) -> None:
        """Give up the load: ``run()`` returns soon with ``LoadAborted``."""
        with self._lock:
            self._aborted = True
            chat = self._chat
        if chat is not None:
            chat.close()  # a warm-up blocked on the server returns at once
