"""The turn engine: idle → recording → transcribing → thinking → speaking, with every stage overlapped.

Commands (``press``, ``release``, ``ask_text``, ``ask_audio``, ``cancel``) may come from any thread and
return at once; the work runs on three stage workers joined by bounded queues:

    stt:  eager passes while the key is held, then the final transcript  ─► llm
    llm:  the reply stream → spoken form → chunker                        ─► tts
    tts:  one synthesis per chunk → the audio output (speaker or memory)

A press while thinking or speaking is a barge-in: the turn's token is set, the output is cleared at once,
the reply stream is closed, and what the user actually heard is kept with ``interrupted=True``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.output import AudioOutput
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.events import (
    ChunkSynthesized,
    EventSink,
    ReplyDelta,
    State,
    StateChanged,
    TranscriptReady,
    TurnEnded,
)
from desktop_assistant.core.heard import heard_text, pause_after
from desktop_assistant.core.listening import EagerListener, Microphone
from desktop_assistant.core.timings import turn_timings
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.worker import StageWorker
from desktop_assistant.errors import AssistantError, LLMError, ReplyInterrupted
from desktop_assistant.llm.base import ChatModel, PreparedImage
from desktop_assistant.stt.base import Transcriber
from desktop_assistant.text.chunker import SpeechChunker
from desktop_assistant.text.guard import SpeechGuard
from desktop_assistant.text.spoken import SpokenForm
from desktop_assistant.tts.base import Synthesizer

log = logging.getLogger(__name__)

DRAIN_WAIT_S = 0.1
WARM_UP_TEXT = "Hello."


@dataclass(frozen=True)
class EngineConfig:
    """Tuning of the turn; built from the settings by the composition root."""

    first_chunk_min_words: int = 3
    vad_aggressiveness: int = 2
    speech_padding_ms: int = 300
    eager_min_new_s: float = 0.5
    guard: SpeechGuard = field(default_factory=SpeechGuard)


@dataclass(frozen=True)
class Stages:
    """The loaded models the engine drives."""

    transcriber: Transcriber | None
    chat: ChatModel
    synthesizer: Synthesizer


@dataclass(eq=False)
class LiveTurn:
    """A turn and what it produced so far: written by the workers, read once when it ends."""

    turn: Turn
    images: tuple[PreparedImage, ...] = ()
    transcript: str = ""
    reply: list[str] = field(default_factory=list)
    chunks: list[tuple[str, float]] = field(default_factory=list)
    error: AssistantError | None = None
    ended: bool = False
    blocked: bool = False


@dataclass(frozen=True)
class HearJob:
    """Transcribe a turn: live from the microphone (``audio`` None) or a given recording."""

    live: LiveTurn
    audio: npt.NDArray[np.float32] | None = None


@dataclass(frozen=True)
class ThinkJob:
    """Ask the model and stream its reply into spoken chunks."""

    live: LiveTurn


@dataclass(frozen=True)
class SpeakJob:
    """Synthesize one chunk; ``text`` None marks the end of the reply."""

    live: LiveTurn
    index: int
    text: str | None


class Engine:
    """Runs turns over loaded stages; reports everything through ``sink``."""

    def __init__(
        self,
        stages: Stages,
        output: AudioOutput,
        sink: EventSink,
        conversation: Conversation,
        config: EngineConfig | None = None,
        microphone: Microphone | None = None,
    ) -> None:
        self._stages = stages
        self._output = output
        self._sink = sink
        self._conversation = conversation
        self._config = config or EngineConfig()
        self._listener = EagerListener(stages.transcriber, microphone, self._config.eager_min_new_s)
        self._microphone = microphone
        self._lock = threading.RLock()
        self._state = State.IDLE
        self._live: LiveTurn | None = None
        self._stt = StageWorker[HearJob]("stt", self._hear, self._crashed)
        self._llm = StageWorker[ThinkJob]("llm", self._think, self._crashed)
        self._tts = StageWorker[SpeakJob]("tts", self._speak, self._crashed, capacity=64)

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the stage workers."""
        for worker in (self._stt, self._llm, self._tts):
            worker.start()

    def close(self) -> None:
        """Cancel any turn and stop the workers."""
        self.cancel()
        for worker in (self._stt, self._llm, self._tts):
            worker.close()

    def warm_up(self) -> AssistantError | None:
        """One tiny inference per model and an Ollama load with the real turns' options."""
        if self._stages.transcriber is not None:
            self._stages.transcriber.transcribe(np.zeros(8_000, np.float32))
        self._stages.synthesizer.synthesize(WARM_UP_TEXT)
        load = getattr(self._stages.chat, "load", None)
        try:
            if load is not None:
                load()
        except LLMError as exc:
            log.info("Ollama warm-up failed: %s", exc.line())  # the caller decides how to tell the user
            return exc
        return None

    @property
    def state(self) -> State:
        """The engine's state now."""
        return self._state

    # ----- commands --------------------------------------------------------------------------

    def press(self, images: tuple[PreparedImage, ...] = ()) -> Turn | None:
        """Start recording (the turn asks about ``images`` too); while thinking or speaking,
        interrupt that turn first (barge-in). None when already recording."""
        if self._microphone is None:
            raise AssistantError("No microphone is set up", "Ask from a file or text instead.")
        with self._lock:
            if self._state is State.RECORDING:
                return None
            self._interrupt_current()
            live = self._begin_turn(images)
            live.turn.mark("press")
            self._microphone.begin()
            self._set_state(live, State.RECORDING)
        self._stt.put(HearJob(live))
        return live.turn

    def release(self) -> None:
        """Stop recording; the final transcript follows at once when an eager pass already has it."""
        with self._lock:
            live = self._live
            if live is None or self._state is not State.RECORDING:
                return
            live.turn.mark("release")
            self._set_state(live, State.TRANSCRIBING)
        live.turn.released.set()

    def ask_audio(self, audio: npt.NDArray[np.float32], images: tuple[PreparedImage, ...] = ()) -> Turn:
        """A turn from a recording (16 kHz mono, already trimmed), interrupting any turn in progress."""
        with self._lock:
            self._interrupt_current()
            live = self._begin_turn(images)
            live.turn.mark("release")
            self._set_state(live, State.TRANSCRIBING)
        self._stt.put(HearJob(live, audio))
        return live.turn

    def ask_text(self, text: str, images: tuple[PreparedImage, ...] = ()) -> Turn:
        """A typed turn, interrupting any turn in progress."""
        with self._lock:
            self._interrupt_current()
            live = self._begin_turn(images)
            live.turn.mark("release")
        self._transcribed(live, text)
        return live.turn

    def cancel(self) -> None:
        """Stop the current turn (the Stop button): silence, and keep what was heard."""
        with self._lock:
            self._interrupt_current()

    # ----- stage handlers (worker threads) ---------------------------------------------------

    def _hear(self, job: HearJob) -> None:
        live = job.live
        try:
            text = self._listener.transcribe(live.turn, job.audio, self._config)
        except AssistantError as exc:
            self._end(live, exc)
            return
        if text is not None:
            live.turn.mark("stt_done")
            self._transcribed(live, text)

    def _transcribed(self, live: LiveTurn, text: str) -> None:
        if live.turn.cancel.is_set():
            return
        live.transcript = text
        self._sink(TranscriptReady(live.turn.id, text))
        self._set_state(live, State.THINKING)
        self._llm.put(ThinkJob(live))

    def _think(self, job: ThinkJob) -> None:
        live, turn = job.live, job.live.turn
        if turn.cancel.is_set():
            return
        spoken, chunker = SpokenForm(), SpeechChunker(self._config.first_chunk_min_words)
        guard = self._config.guard.for_reply()
        index = 0

        def speak(texts: list[str]) -> None:
            nonlocal index
            for text in texts:
                allowed = guard.screen(text)
                if allowed is None:
                    live.blocked = True  # the reply streams on to the screen, but no more of it is spoken
                    return
                turn.mark("first_chunk_text")
                self._tts.put(SpeakJob(live, index, allowed))
                index += 1

        try:
            if live.images:
                self._stages.chat.check_ready(needs_vision=True)
            turn.mark("llm_request")
            messages = self._conversation.request(live.transcript, live.images)
            for delta in self._stages.chat.stream_reply(messages, turn.cancel):
                turn.mark("llm_first_token")
                live.reply.append(delta)
                self._sink(ReplyDelta(turn.id, delta))
                speak(chunker.feed(spoken.feed(delta)))
            if not turn.cancel.is_set():
                turn.mark("llm_done")
        except ReplyInterrupted as exc:
            live.error = exc
        except AssistantError as exc:
            self._end(live, exc)
            return
        if not turn.cancel.is_set():
            speak(chunker.feed(spoken.finish()) + chunker.finish())
            self._tts.put(SpeakJob(live, index, None))

    def _speak(self, job: SpeakJob) -> None:
        live, turn = job.live, job.live.turn
        if turn.cancel.is_set():
            return
        if job.text is None:
            self._wait_drained(live)
            return
        try:
            turn.mark("tts_start")
            samples = self._stages.synthesizer.synthesize(job.text)
        except AssistantError as exc:
            self._end(live, exc)
            return
        turn.mark("tts_first_audio")
        rate = self._stages.synthesizer.sample_rate
        audio = np.concatenate([samples, np.zeros(int(pause_after(job.text) * rate), np.float32)])
        with self._lock:
            if turn.cancel.is_set():
                return
            live.chunks.append((job.text, len(audio) / rate))
            self._output.enqueue(audio, turn.id)
            self._set_state(live, State.SPEAKING)
        self._sink(ChunkSynthesized(turn.id, job.index, job.text, len(audio) / rate))

    def _wait_drained(self, live: LiveTurn) -> None:
        while not live.turn.cancel.is_set():
            if self._output.wait_drained(live.turn.id, DRAIN_WAIT_S):
                live.turn.mark("last_audio_played")
                self._end(live, live.error)
                return

    def _crashed(self, job: HearJob | ThinkJob | SpeakJob) -> None:
        error = AssistantError("Something went wrong inside the assistant", "The log file has the details.")
        self._end(job.live, error)

    # ----- turn bookkeeping ------------------------------------------------------------------

    def _begin_turn(self, images: tuple[PreparedImage, ...]) -> LiveTurn:
        self._live = LiveTurn(Turn(), images=images)
        return self._live

    def _interrupt_current(self) -> None:
        """Cancel the turn in progress, silence the output and report what was heard (lock held)."""
        live = self._live
        if live is None or live.ended:
            return
        live.turn.cancel.set()
        live.turn.released.set()
        report = self._output.clear()
        live.turn.mark("interrupted")
        self._end(live, None, interrupted=True, played_s=report.played_s)

    def _end(
        self, live: LiveTurn, error: AssistantError | None, interrupted: bool = False, played_s: float = 0.0
    ) -> None:
        turn = live.turn
        with self._lock:
            if live.ended:
                return
            live.ended = True
            spoken = " ".join(text for text, _ in live.chunks)
            heard = heard_text(live.chunks, played_s) if interrupted else spoken
            reply = "".join(live.reply)
            if isinstance(error, ReplyInterrupted) and not reply:
                reply = error.partial
            if live.transcript and (heard or error is None):
                self._conversation.record(live.transcript, live.images, heard or reply)
            first_sound = self._output.first_sound_at(turn.id)
            if first_sound is not None:
                turn.marks.setdefault("first_audio_played", first_sound)
            turn.mark("ended")
            event = TurnEnded(
                turn_id=turn.id,
                transcript=live.transcript,
                reply=reply,
                spoken=spoken,
                heard=heard,
                interrupted=interrupted,
                incomplete=isinstance(error, ReplyInterrupted),
                error=error.line() if error is not None else None,
                timings_ms=turn_timings(turn),
                blocked=live.blocked,
            )
            now_idle = self._live is live and self._state is not State.IDLE
            if now_idle:
                self._state = State.IDLE
        self._sink(event)
        if now_idle:
            self._sink(StateChanged(turn.id, State.IDLE))

    def _set_state(self, live: LiveTurn, state: State) -> None:
        with self._lock:
            if self._live is not live or self._state is state:
                return
            self._state = state
        self._sink(StateChanged(live.turn.id, state))

