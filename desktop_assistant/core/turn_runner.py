"""One voice turn, headless: hear (STT), think (streamed LLM), speak (TTS per chunk), stages overlapped.

The LLM stream is read on the calling thread and turned into spoken chunks as it arrives; a TTS
worker thread synthesizes each chunk while the model keeps generating. Whisper runs on its own
thread while the server is checked.
"""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.turn import Turn
from desktop_assistant.errors import AssistantError, NoSpeechError, ReplyInterrupted
from desktop_assistant.llm.base import ChatModel, PreparedImage
from desktop_assistant.stt.base import Transcriber
from desktop_assistant.text.chunker import SpeechChunker
from desktop_assistant.text.spoken import SpokenForm
from desktop_assistant.tts.base import Synthesizer

log = logging.getLogger(__name__)

# Bounded so a fast model cannot run far ahead of speech; a chunk is a sentence, so 16 is plenty.
CHUNK_QUEUE_SIZE = 16
QUEUE_POLL_S = 0.1
# Kokoro trims each chunk's silence; these restore the breath a listener expects between them.
CLAUSE_PAUSE_S = 0.1
SENTENCE_PAUSE_S = 0.25


@dataclass(frozen=True)
class TurnInput:
    """What the user gave: speech (16 kHz mono, already trimmed) or typed text, and images."""

    audio: npt.NDArray[np.float32] | None = None
    text: str = ""
    images: tuple[PreparedImage, ...] = ()


@dataclass(frozen=True)
class SpeechChunk:
    """A chunk of spoken text on its way to the TTS worker."""

    turn_id: str
    index: int
    text: str


@dataclass(frozen=True)
class TurnResult:
    """What happened in the turn. ``error`` is set when it ended early; what arrived is still here."""

    transcript: str
    reply: str
    chunks: tuple[str, ...]
    audio: npt.NDArray[np.float32]
    sample_rate: int
    timings_ms: dict[str, float | None]
    error: AssistantError | None = None

    @property
    def spoken(self) -> str:
        """The text sent to TTS."""
        return " ".join(self.chunks)

    @property
    def incomplete(self) -> bool:
        """True when the reply stream was cut mid-way."""
        return isinstance(self.error, ReplyInterrupted)


@dataclass
class _Speech:
    """What the TTS worker produced, read by the caller after it is joined."""

    pieces: list[npt.NDArray[np.float32]] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    error: AssistantError | None = None
    crash: BaseException | None = None


class TurnRunner:
    """Runs turns over one set of loaded stages and one conversation."""

    def __init__(
        self,
        chat: ChatModel,
        synthesizer: Synthesizer,
        conversation: Conversation,
        transcriber: Transcriber | None = None,
        first_chunk_min_words: int = 3,
    ) -> None:
        self._chat = chat
        self._synthesizer = synthesizer
        self._transcriber = transcriber
        self._conversation = conversation
        self._min_words = first_chunk_min_words

    def run(self, given: TurnInput, turn: Turn | None = None) -> TurnResult:
        """Run one turn. Raises ``NoSpeechError`` when Whisper hears nothing; a failure after that lands
        in ``TurnResult.error`` so the transcript and any partial reply are never lost."""
        turn = turn or Turn()
        transcript, error = self._hear(given, turn)
        reply, speech = "", _Speech()
        if error is None:
            turn.mark("llm_request")
            reply, speech = self._think_and_speak(transcript, given.images, turn)
            error = speech.error
        if error is None:
            self._conversation.record(transcript, given.images, reply)
        turn.mark("done")
        return TurnResult(
            transcript=transcript,
            reply=reply,
            chunks=tuple(speech.spoken),
            audio=np.concatenate(speech.pieces) if speech.pieces else np.zeros(0, np.float32),
            sample_rate=self._synthesizer.sample_rate,
            timings_ms=_timings(turn),
            error=error,
        )

    def _hear(self, given: TurnInput, turn: Turn) -> tuple[str, AssistantError | None]:
        """Transcribe on the STT thread while the server is checked on this one."""
        if given.audio is None:
            return given.text, self._check_ready(given)
        if self._transcriber is None:
            raise ValueError("a speech turn needs a transcriber")
        audio, transcriber = given.audio, self._transcriber
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt") as pool:
            turn.mark("stt_start")
            future = pool.submit(transcriber.transcribe, audio)
            future.add_done_callback(lambda _: turn.mark("stt_done"))
            error = self._check_ready(given)
            text = future.result().text
        if not text.strip():
            raise NoSpeechError(
                "No speech detected", "Speak closer to the microphone, or check the recording."
            )
        return text, error

    def _check_ready(self, given: TurnInput) -> AssistantError | None:
        try:
            self._chat.check_ready(needs_vision=bool(given.images))
        except AssistantError as exc:
            return exc
        return None

    def _think_and_speak(
        self, transcript: str, images: tuple[PreparedImage, ...], turn: Turn
    ) -> tuple[str, _Speech]:
        chunks: queue.Queue[SpeechChunk | None] = queue.Queue(CHUNK_QUEUE_SIZE)
        speech = _Speech()
        worker = threading.Thread(target=self._speak, args=(chunks, speech, turn), name="tts", daemon=True)
        worker.start()
        spoken_form, chunker = SpokenForm(), SpeechChunker(self._min_words)
        reply: list[str] = []
        sent = 0

        def send(texts: list[str]) -> None:
            nonlocal sent
            for text in texts:
                turn.mark("first_chunk_text")
                _put(chunks, SpeechChunk(turn.id, sent, text), worker)
                sent += 1

        try:
            for delta in self._chat.stream_reply(self._conversation.request(transcript, images), turn.cancel):
                turn.mark("llm_first_token")
                reply.append(delta)
                send(chunker.feed(spoken_form.feed(delta)))
            turn.mark("llm_done")
        except AssistantError as exc:
            speech.error = exc
            reply = [getattr(exc, "partial", "") or "".join(reply)]
        finally:
            send(chunker.feed(spoken_form.finish()) + chunker.finish())
            _put(chunks, None, worker)
            worker.join()
        if speech.crash is not None:
            raise speech.crash
        return "".join(reply), speech

    def _speak(self, chunks: queue.Queue[SpeechChunk | None], speech: _Speech, turn: Turn) -> None:
        """The TTS worker: one synthesis per chunk, in order, until the end marker or cancel."""
        while not turn.cancel.is_set():
            try:
                chunk = chunks.get(timeout=QUEUE_POLL_S)
            except queue.Empty:
                continue
            if chunk is None:
                return
            if chunk.turn_id != turn.id:
                continue
            try:
                turn.mark("tts_start")
                samples = self._synthesizer.synthesize(chunk.text)
            except AssistantError as exc:
                speech.error = speech.error or exc
                return
            except BaseException as exc:  # a bug: handed to the caller's thread, which re-raises it
                speech.crash = exc
                return
            turn.mark("first_audio")
            pause = np.zeros(int(_pause_after(chunk.text) * self._synthesizer.sample_rate), np.float32)
            speech.pieces += [samples, pause]
            speech.spoken.append(chunk.text)


def _pause_after(chunk: str) -> float:
    """A clause gets a short pause after it, a sentence a longer one."""
    return CLAUSE_PAUSE_S if chunk.rstrip("\"')]").endswith((",", ";", ":")) else SENTENCE_PAUSE_S


def _put(chunks: queue.Queue[SpeechChunk | None], item: SpeechChunk | None, worker: threading.Thread) -> None:
    """Queue ``item`` unless the worker has stopped (cancelled or failed) and will never take it."""
    while worker.is_alive():
        try:
            chunks.put(item, timeout=QUEUE_POLL_S)
            return
        except queue.Full:
            continue


def _timings(turn: Turn) -> dict[str, float | None]:
    """Stage timings in ms: ``stt``, ``llm_first_token`` and ``tts_first_chunk`` are stage durations;
    ``first_audio`` and ``total`` count from the end of the user's speech (the turn's start)."""
    return {
        "stt": turn.between_ms("stt_start", "stt_done"),
        "llm_first_token": turn.between_ms("llm_request", "llm_first_token"),
        "tts_first_chunk": turn.between_ms("tts_start", "first_audio"),
        "first_audio": turn.since_start_ms("first_audio"),
        "llm_total": turn.between_ms("llm_request", "llm_done"),
        "total": turn.since_start_ms("done"),
    }
