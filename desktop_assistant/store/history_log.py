"""The engine's ``TurnLog`` over the history store, and a stored conversation made live again.

Writes run on one ``history-writer`` thread, in the order the engine made them, so no stage waits for
the disk except for a question, which is kept before the model is called.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from desktop_assistant.core.conversation import IMAGE_NOTE, ContextLimits, Conversation, Exchange
from desktop_assistant.core.events import TurnEnded
from desktop_assistant.core.turn_log import AskedTurn
from desktop_assistant.courier import Courier
from desktop_assistant.errors import AssistantError
from desktop_assistant.llm.base import PreparedImage
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.store.history_records import TurnEnd, TurnRecord

log = logging.getLogger(__name__)

# A question waits this long for its write before the model is asked anyway (another process may hold
# the database a moment).
ASKED_WAIT_S = 3.0
CLOSE_S = 2.0


@dataclass
class _Write:
    """One write for the writer thread; ``done`` is set once it is on disk (or failed, with ``error``)."""

    apply: Callable[[HistoryStore], str | None]
    done: threading.Event = field(default_factory=threading.Event)
    error: str | None = None


class HistoryLog:
    """Keeps the engine's turns in ``store``. ``models`` names the models in use (``stt`` is kept only
    for spoken questions); ``on_written(conversation_id)`` is called on the writer thread after each
    question and each turn's end is on disk."""

    def __init__(
        self,
        store: HistoryStore,
        models: dict[str, str],
        store_images: bool = True,
        on_written: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._models = models
        self._store_images = store_images
        self._on_written = on_written
        self._writes = Courier[_Write]("history-writer", self._run)
        self._warned = False

    def start(self) -> None:
        """Start the writer thread."""
        self._writes.start()

    def close(self, timeout: float = CLOSE_S) -> bool:
        """Write what is queued (for at most ``timeout`` s), then stop; the store stays open."""
        return self._writes.close(timeout)

    def asked(self, turn: AskedTurn) -> str | None:
        """Keep the question (and its images) before the model is asked."""
        write = self._post(lambda store: self._begin(store, turn))
        if not write.done.wait(ASKED_WAIT_S):
            return "The history is slow to write; this question is kept as soon as it can be."
        return write.error

    def replying(self, turn_id: str, reply: str, spoken: str) -> None:
        """Keep the reply so far."""
        self._post(lambda store: store.update_reply(turn_id, reply, spoken))

    def ended(self, turn: AskedTurn, ended: TurnEnded) -> None:
        """Keep what the turn came to."""
        end = TurnEnd(
            reply=ended.reply,
            spoken=ended.spoken,
            heard=ended.heard,
            interrupted=ended.interrupted,
            incomplete=ended.incomplete,
            blocked=ended.blocked,
            error=ended.error,
            timings_ms=ended.timings_ms,
            guard_actions=ended.guard_actions,
            models=self._models_of(turn, ended) if ended.model else None,
        )

        def write(store: HistoryStore) -> str:
            self._begin(store, turn)  # a turn ended before the model was called was never begun
            store.end_turn(turn.turn_id, end)
            return turn.conversation_id

        self._post(write)

    def _begin(self, store: HistoryStore, turn: AskedTurn) -> str:
        store.begin_turn(
            turn.conversation_id,
            turn.turn_id,
            turn.source,
            turn.question,
            turn.images,
            self._models_of(turn),
            self._store_images,
            (turn.voice_cues, turn.voice_measures),
        )
        return turn.conversation_id

    def _models_of(self, turn: AskedTurn, ended: TurnEnded | None = None) -> dict[str, str]:
        """The models of ``turn`` (Whisper only for a spoken one), with the one that answered once known."""
        models = {k: v for k, v in self._models.items() if k != "stt" or turn.source == "spoken"}
        if ended is not None:
            models.update(llm=ended.model, llm_backend=ended.backend)
        return models

    def _post(self, apply: Callable[[HistoryStore], str | None]) -> _Write:
        write = _Write(apply)
        self._writes.post(write)
        return write

    def _run(self, write: _Write) -> None:
        try:
            written = write.apply(self._store)
        except AssistantError as exc:
            write.error = exc.line()
            if not self._warned:  # once: a full disk would otherwise log every sentence
                log.warning("%s", write.error)
                self._warned = True
            return
        finally:
            write.done.set()
        if written is not None and self._on_written is not None:
            self._on_written(written)


def restore_conversation(
    store: HistoryStore, conversation_id: str, persona: str, limits: ContextLimits
) -> Conversation:
    """The stored conversation ``conversation_id`` as the engine continues it: its turns, as the user got
    them, with the images that are still kept."""
    exchanges = [e for e in map(exchange_of, store.turns(conversation_id)) if e is not None]
    return Conversation.with_persona(persona, limits, exchanges, conversation_id)


def exchange_of(turn: TurnRecord) -> Exchange | None:
    """What a stored turn adds to the context; a turn never ended counts as cut off where it stopped."""
    images: tuple[PreparedImage, ...] = tuple(
        image for image in (stored.prepared() for stored in turn.images) if image is not None
    )
    # The question as the model got it, with the note on how it sounded; images not kept
    # (history.store_images off, or removed) leave the note an older image leaves.
    question = f"{turn.question} {turn.voice_cues}" if turn.voice_cues else turn.question
    question = f"{question}\n{IMAGE_NOTE}" if turn.images and not images else question
    never_ended = turn.ended_at is None
    heard = turn.spoken if never_ended else turn.heard
    cut_off = never_ended or turn.interrupted or turn.incomplete or turn.blocked
    return Exchange.of_turn(question, images, turn.reply, heard, cut_off, turn.error is not None)
