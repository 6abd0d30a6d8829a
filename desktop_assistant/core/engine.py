"""The turn engine: idle → recording → transcribing → thinking → speaking, with every stage overlapped.

Commands (``press``, ``release``, ``ask_text``, ``ask_audio``, ``cancel``) may come from any thread and
return at once; the work runs on three stage workers joined by bounded queues:

    stt:  eager passes while the key is held, then the final transcript  ─► llm
          (once the user goes quiet with the key held: a speculative reply  ─► llm, held back)
    llm:  the reply stream → spoken form → chunker → guard                ─► tts
    tts:  one synthesis per chunk → the audio output (speaker or memory)
    the output tells the engine when the reply has played out (or how much of it played when cut)

A press while thinking or speaking is a barge-in: the turn's token is set, the output is cleared at once,
the reply stream is abandoned (its connection closed), and what the user actually heard is kept with
``interrupted=True`` (``TurnKeeping``: in the conversation and the turn log). Everything a turn owns is
a handle of that turn (utterance, output tag, request), so a late call of an old turn touches only it.
Events are posted under the engine's lock as they happen and leave through one ``Courier`` in order;
a turn that has ended posts nothing more.

The reply is asked for by a ``ReplyAttempt``. When the user has been quiet for a moment with the key
still held, the eager transcript is asked speculatively: the model streams and the first chunks are
synthesized, but nothing is shown, kept or played. At release it is kept when the final transcript is
the same (all it held is delivered at once), else dropped (its connection closed) and asked again;
speech that resumes drops it at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import numpy.typing as npt

from desktop_assistant.audio.output import AudioOutput, PlaybackReport
from desktop_assistant.core.attempt import Delivery, ReplyAttempt
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.events import (
    ChunkSynthesized,
    Event,
    EventSink,
    GuardApplied,
    ModelChosen,
    ProblemReported,
    ReplyDelta,
    State,
    StateChanged,
    TranscriptReady,
)
from desktop_assistant.core.heard import pause_after
from desktop_assistant.core.jobs import HearJob, LiveTurn, SpeakJob, StageJob, ThinkJob
from desktop_assistant.core.keeping import TurnKeeping
from desktop_assistant.core.listening import EagerListener, Microphone
from desktop_assistant.core.turn import Turn
from desktop_assistant.core.turn_log import TurnLog
from desktop_assistant.core.voice_cues import Question, VoiceCues
from desktop_assistant.core.worker import CancelWatchdog, StageWorker
from desktop_assistant.courier import Courier
from desktop_assistant.errors import AssistantError, AudioDeviceError, ReplyInterrupted
from desktop_assistant.llm.base import ChatModel, PreparedImage
from desktop_assistant.stt.base import Transcriber
from desktop_assistant.text.chunker import ChunkSizing
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from desktop_assistant.text.speech_text import ReplySpeech
from desktop_assistant.tts.base import Synthesizer

log = logging.getLogger(__name__)

WARM_UP_TEXT = "Hello."
# close() gives the stages this long, all together, to finish the job in hand.
CLOSE_S = 2.0


@dataclass(frozen=True)
class EngineConfig:
    """Tuning of the turn; built from the settings by the composition root."""

    chunking: ChunkSizing = field(default_factory=ChunkSizing)
    vad_aggressiveness: int = 2
    speech_padding_ms: int = 300
    early_reply: bool = True
    guard: SpeechGuard = field(default_factory=SpeechGuard)
    # Notes on how each spoken question sounded, for the model (None: off).
    voice_cues: VoiceCues | None = None


@dataclass(frozen=True)
class Stages:
    """The loaded models the engine drives."""

    transcriber: Transcriber | None
    chat: ChatModel
    synthesizer: Synthesizer


class Engine:
    """Runs turns over loaded stages; reports everything through ``sink``, in order, on one thread."""

    def __init__(
        self,
        stages: Stages,
        output: AudioOutput,
        sink: EventSink,
        conversation: Conversation,
        config: EngineConfig | None = None,
        microphone: Microphone | None = None,
        turn_log: TurnLog | None = None,
    ) -> None:
        self._stages = stages
        self._output = output
        self._conversation = conversation
        self._keeping = TurnKeeping(turn_log)
        self._config = config or EngineConfig()
        self._listener = EagerListener(stages.transcriber, self._config.voice_cues)
        self._microphone = microphone
        self._lock = threading.RLock()
        self._state = State.IDLE
        self._live: LiveTurn | None = None
        self._events = Courier[Event]("engine-events", sink)
        self._stt = StageWorker[HearJob]("stt", self._hear, self._crashed)
        self._llm = StageWorker[ThinkJob]("llm", self._think, self._crashed)
        self._tts = StageWorker[SpeakJob]("tts", self._speak, self._crashed, capacity=64)
        self._workers = (self._stt, self._llm, self._tts)
        self._watchdog = CancelWatchdog(self._workers)

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the stage workers, the watchdog and the event courier."""
        self._events.start()
        self._watchdog.start()
        for worker in self._workers:
            worker.start()

    def close(self, timeout: float = CLOSE_S) -> bool:
        """Cancel any turn and stop the workers; gives up on a stage still busy after ``timeout``
        (then False: its thread is left to end by itself)."""
        self.cancel()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.stop()
        stopped = [worker.join(deadline - time.monotonic()) for worker in self._workers]
        self._watchdog.close()
        self._events.close(max(deadline - time.monotonic(), 0.1))
        return all(stopped)

    def warm_up(self) -> AssistantError | None:
        """One tiny inference per model and a model load with the real turns' options; the model's
        failure is returned (the caller decides how to tell the user)."""
        if self._stages.transcriber is not None:
            self._stages.transcriber.transcribe(np.zeros(8_000, np.float32))
        self._stages.synthesizer.synthesize(WARM_UP_TEXT)
        try:
            self._stages.chat.load()
        except AssistantError as exc:
            log.info("Model warm-up failed: %s", exc.line())
            return exc
        return None

    @property
    def state(self) -> State:
        """The engine's state now."""
        return self._state

    @property
    def conversation(self) -> Conversation:
        """The conversation new turns belong to."""
        return self._conversation

    def open_conversation(self, conversation: Conversation) -> None:
        """Make ``conversation`` the one new turns continue (a turn in progress is stopped first)."""
        with self._lock:
            self._interrupt_current()
            self._conversation = conversation

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
            utterance = self._microphone.begin()
            live = self._begin_turn(images, "spoken")
            live.turn.mark("press")
            self._set_state(live, State.RECORDING)
        self._stt.put(HearJob(live, utterance))
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
            live = self._begin_turn(images, "spoken")
            live.turn.mark("release")
            self._set_state(live, State.TRANSCRIBING)
        self._stt.put(HearJob(live, audio))
        return live.turn

    def ask_text(
        self, text: str, images: tuple[PreparedImage, ...] = (), source: str = "typed", cues: str = ""
    ) -> Turn:
        """A typed turn (or a retried one, of either ``source``, with a spoken one's voice note ``cues``),
        interrupting any turn in progress."""
        with self._lock:
            self._interrupt_current()
            live = self._begin_turn(images, source)
            live.turn.mark("release")
        self._transcribed(live, Question(text, cues))
        return live.turn

    def cancel(self) -> None:
        """Stop the current turn (the Stop button): silence, and keep what was heard."""
        with self._lock:
            self._interrupt_current()

    # ----- stage handlers (worker threads) ---------------------------------------------------

    def _hear(self, job: HearJob) -> None:
        live = job.live
        assert job.source is not None  # every HearJob is given its audio or utterance
        try:
            on_quiet = partial(self._quiet, live) if self._config.early_reply else None
            heard = self._listener.transcribe(live.turn, job.source, self._config, on_quiet)
        except AssistantError as exc:
            self._end(live, exc)
            return
        if heard is None:
            return
        live.turn.mark("stt_done")
        if heard.problem is not None:
            with self._lock:
                self._emit(live, ProblemReported(live.turn.id, heard.problem.line()))
        self._transcribed(live, heard.question)

    def _transcribed(self, live: LiveTurn, question: Question) -> None:
        with self._lock:
            if live.turn.cancel.is_set() or live.ended:
                return
            live.question = question
            self._emit(live, TranscriptReady(live.turn.id, question.text, question.cues))
            self._set_state(live, State.THINKING)
            early = live.early_reply_for(question)
        if early is not None and self._keep_early(live, early):
            return
        attempt = ReplyAttempt(live.turn, question)
        with self._lock:
            live.attempt = attempt
        self._llm.put(ThinkJob(live, attempt))

    def _quiet(self, live: LiveTurn, question: Question | None) -> None:
        """The user went quiet with the key held (``question``: what they said), or spoke again (None)."""
        with self._lock:
            live.drop_early_reply()
            if question is None or not question.text.strip() or live.turn.cancel.is_set() or live.ended:
                return
            attempt = live.start_early_reply(question)
        self._llm.put(ThinkJob(live, attempt))

    def _keep_early(self, live: LiveTurn, attempt: ReplyAttempt) -> bool:
        """The final transcript is what ``attempt`` asked: keep the question, then deliver what the
        attempt held. False when it was dropped meanwhile (it failed)."""
        self._ask(live)
        with self._lock:
            if live.ended:
                return True
            if live.attempt is not attempt or attempt.cancel.is_set():
                return False
            live.turn.mark("speculation_kept")
            attempt.confirm()
        return True

    def _ask(self, live: LiveTurn) -> None:
        """Keep the question (once) before anything of the reply; tell the user when it could not be."""
        if live.asked:
            return
        live.asked = True
        if (problem := self._keeping.asked(live)) is not None:
            with self._lock:
                self._emit(live, ProblemReported(live.turn.id, problem))

    def _deliver(self, live: LiveTurn, attempt: ReplyAttempt, action: Delivery) -> bool:
        """``live.deliver`` under the engine's lock."""
        with self._lock:
            return live.deliver(attempt, action)

    def _failed(self, live: LiveTurn, attempt: ReplyAttempt, error: AssistantError) -> None:
        """``attempt`` failed: a speculative one is forgotten (the release asks again and reports what
        happens then); otherwise the turn ends with the error, or, for a cut stream, keeps it."""
        with self._lock:
            if not attempt.confirmed:
                log.info("The early reply failed: %s", error.line())
                if live.attempt is attempt:
                    live.drop_early_reply()
                return
        if isinstance(error, ReplyInterrupted):
            self._deliver(live, attempt, partial(setattr, live, "error", error))
        else:
            self._end(live, error)

    def _think(self, job: ThinkJob) -> None:
        live, attempt = job.live, job.attempt
        if attempt.cancel.is_set():
            return
        speech = ReplySpeech(self._config.chunking, self._config.guard)
        spoken: list[str] = []

        def speak(texts: list[str]) -> None:
            # The guard's actions are told before the chunks they screened are synthesized; a blocked
            # reply streams on to the screen, but no more of it is spoken.
            self._deliver(live, attempt, partial(self._guarded, live, speech.blocked, speech.actions))
            for text in texts:
                attempt.mark("first_chunk_text")
                self._tts.put(SpeakJob(live, attempt, len(spoken), text))
                spoken.append(text)

        if not attempt.speculative:
            self._ask(live)
        chat = self._stages.chat.answerer(attempt.cancel)
        self._deliver(live, attempt, partial(self._chosen, live, chat.model, chat.backend))
        try:
            if live.images:
                chat.check_ready(needs_vision=True, cancel=attempt.cancel)
            attempt.mark("llm_request")
            messages = live.conversation.request(attempt.question.message, live.images)
            learn = partial(live.conversation.learn, messages)
            for delta in chat.stream_reply(messages, attempt.cancel, on_counts=learn):
                attempt.mark("llm_first_token")
                if not self._deliver(live, attempt, partial(self._replied, live, delta, spoken)):
                    break
                speak(speech.feed(delta))
            if not attempt.cancel.is_set():
                attempt.mark("llm_done")
        except AssistantError as exc:
            self._failed(live, attempt, exc)
            if not isinstance(exc, ReplyInterrupted):
                return
        if not attempt.cancel.is_set():
            speak(speech.finish())
            self._tts.put(SpeakJob(live, attempt, len(spoken), None))

    def _chosen(self, live: LiveTurn, model: str, backend: str) -> None:
        """The model that answers reaches the turn and the window (lock held)."""
        live.answered_by = (model, backend)
        self._emit(live, ModelChosen(live.turn.id, model, backend))

    def _replied(self, live: LiveTurn, delta: str, spoken: list[str]) -> None:
        """A delta of the reply reaches the turn, the window and the turn log (lock held)."""
        live.reply.append(delta)
        self._emit(live, ReplyDelta(live.turn.id, delta))
        self._keeping.replied(live, delta, spoken)

    def _guarded(self, live: LiveTurn, blocked: bool, actions: list[GuardAction]) -> None:
        """What the guard did so far reaches the turn, each new action as an event (lock held)."""
        for action in live.guarded(blocked, actions):
            self._emit(live, GuardApplied(live.turn.id, action))

    def _speak(self, job: SpeakJob) -> None:
        live, attempt = job.live, job.attempt
        if attempt.cancel.is_set():
            return
        if job.text is None:
            done = partial(self._played_out, live)
            self._deliver(live, attempt, partial(self._output.finish, live.turn.id, done))
            return
        try:
            attempt.mark("tts_start")
            samples = self._stages.synthesizer.synthesize(job.text)
        except AssistantError as exc:
            self._failed(live, attempt, exc)
            return
        attempt.mark("tts_first_audio")
        rate = self._stages.synthesizer.sample_rate
        audio = np.concatenate([samples, np.zeros(int(pause_after(job.text) * rate), np.float32)])
        self._deliver(live, attempt, partial(self._play, live, job, audio))

    def _play(self, live: LiveTurn, job: SpeakJob, audio: npt.NDArray[np.float32]) -> None:
        """Hand a synthesized chunk to the output (lock held)."""
        assert job.text is not None
        turn, seconds = live.turn, len(audio) / self._stages.synthesizer.sample_rate
        try:
            self._output.enqueue(audio, turn.id)
        except AudioDeviceError as exc:
            self._end(live, exc, cut_at=self._output.played_s(turn.id))
            return
        live.chunks.append((job.text, seconds))
        self._set_state(live, State.SPEAKING)
        self._emit(live, ChunkSynthesized(turn.id, job.index, job.text, seconds))

    def _played_out(self, live: LiveTurn, report: PlaybackReport) -> None:
        """The output's word on a finished reply: played out, cut, or lost with the speaker."""
        if report.error is not None:
            self._end(live, report.error, cut_at=report.played_s)
        elif report.interrupted:
            self._end(live, None, interrupted=True, cut_at=report.played_s)
        else:
            live.turn.mark("last_audio_played")
            self._end(live, live.error)

    def _crashed(self, job: StageJob) -> None:
        error = AssistantError("Something went wrong inside the assistant", "The log file has the details.")
        self._end(job.live, error)

    # ----- turn bookkeeping ------------------------------------------------------------------

    def _begin_turn(self, images: tuple[PreparedImage, ...], source: str) -> LiveTurn:
        self._live = LiveTurn(Turn(), self._conversation, source, images=images)
        return self._live

    def _interrupt_current(self) -> None:
        """Cancel the turn in progress, silence the output and report what was heard (lock held)."""
        live = self._live
        if live is None or live.ended:
            return
        turn = live.turn
        turn.cancel.set()
        if live.attempt is not None:
            live.attempt.cancel.set()
        turn.released.set()
        self._output.clear()
        turn.mark("interrupted")
        self._end(live, None, interrupted=True, cut_at=self._output.played_s(turn.id))
        self._watchdog.cancelled(turn.id)

    def _end(
        self,
        live: LiveTurn,
        error: AssistantError | None,
        interrupted: bool = False,
        cut_at: float | None = None,
    ) -> None:
        """End ``live`` once: keep the exchange as the user got it and report it. ``cut_at``: seconds of
        the reply that played before it was cut (a barge-in, or the speaker lost)."""
        turn = live.turn
        with self._lock:
            if live.ended:
                return
            live.ended = True
            first_sound = self._output.first_sound_at(turn.id)
            if first_sound is not None:
                turn.marks.setdefault("first_audio_played", first_sound)
            turn.mark("ended")
            ended = live.outcome(error, interrupted, cut_at)
            self._keeping.ended(live, ended, cut=cut_at is not None)
            self._events.post(ended)
            if self._live is live and self._state is not State.IDLE:
                self._state = State.IDLE
                self._events.post(StateChanged(turn.id, State.IDLE))

    def _emit(self, live: LiveTurn, event: Event) -> None:
        """Post an event of ``live`` (lock held); a turn that has ended says nothing more."""
        if not live.ended:
            self._events.post(event)

    def _set_state(self, live: LiveTurn, state: State) -> None:
        with self._lock:
            if self._live is not live or self._state is state or live.ended:
                return
            self._state = state
            self._events.post(StateChanged(live.turn.id, state))
