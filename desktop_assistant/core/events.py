"""What the engine tells the world (events, in the past tense) and the states it moves through.

Events are frozen dataclasses stamped with the turn id; the engine hands them to an ``EventSink``,
a plain callable that knows nothing of Qt (the UI's bridge is one such sink).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from desktop_assistant.text.guard import GuardAction


class State(Enum):
    """Where the engine is in a turn."""

    IDLE = "idle"
    RECORDING = "recording"
    TRANSCRIBING = "transcribing"
    THINKING = "thinking"
    SPEAKING = "speaking"


@dataclass(frozen=True)
class StateChanged:
    """The engine moved to ``state``."""

    turn_id: str
    state: State


@dataclass(frozen=True)
class TranscriptReady:
    """What the user said (or typed), final for this turn; ``cues``: the note on how a spoken question
    sounded, sent to the model after it ("" for none)."""

    turn_id: str
    text: str
    cues: str = ""


@dataclass(frozen=True)
class ReplyDelta:
    """A piece of the model's reply as it streams in."""

    turn_id: str
    text: str


@dataclass(frozen=True)
class ChunkSynthesized:
    """A chunk of spoken text was synthesized and queued for the speaker."""

    turn_id: str
    index: int
    text: str
    duration_s: float


@dataclass(frozen=True)
class GuardApplied:
    """The speech guard changed what is read aloud of the reply: ``action`` says how (redacted, replaced,
    blocked), by which rule, and which words. Posted as the guard acts, before the chunk it changed (if
    any) is synthesized; ``TurnEnded.guard_actions`` repeats them all."""

    turn_id: str
    action: GuardAction


@dataclass(frozen=True)
class ProblemReported:
    """Something went wrong that the turn survives (the microphone stopped mid-recording, and what it
    captured is still answered); ``line`` says what and what to do."""

    turn_id: str
    line: str


@dataclass(frozen=True)
class ModelChosen:
    """The model that answers this turn: its ``model`` name and its ``backend`` (``ollama``, or
    ``builtin`` for llama.cpp in this process), told before its first word."""

    turn_id: str
    model: str
    backend: str


@dataclass(frozen=True)
class TurnEnded:
    """The turn is over: answered, interrupted (barge-in or cancel) or failed (``error`` is one line).

    ``blocked``: a block phrase stopped the reply's speech; ``spoken`` holds only what came before it.
    ``guard_actions``: what the guard did (redacted, replaced, blocked), in order. ``voice_cues``: the
    note on how the question sounded, as the model got it. ``model`` and ``backend``: the model that
    answered (empty when the turn ended before one was asked).
    """

    turn_id: str
    transcript: str
    reply: str
    spoken: str
    heard: str
    interrupted: bool
    incomplete: bool
    error: str | None
    timings_ms: dict[str, float | None]
    blocked: bool = False
    guard_actions: tuple[GuardAction, ...] = ()
    voice_cues: str = ""
    model: str = ""
    backend: str = ""


Event = (
    StateChanged
    | TranscriptReady
    | ModelChosen
    | ReplyDelta
    | ChunkSynthesized
    | GuardApplied
    | ProblemReported
    | TurnEnded
)
EventSink = Callable[[Event], None]


class TurnEndWaiter:
    """An event sink for callers that run one turn at a time and wait for its end (``ask``, the bench)."""

    def __init__(self) -> None:
        self._ended: list[TurnEnded] = []
        self._done = threading.Event()

    def __call__(self, event: Event) -> None:
        if isinstance(event, TurnEnded):
            self._ended.append(event)
            self._done.set()

    def wait(self, timeout: float) -> TurnEnded | None:
        """The first turn's end, once it came; None on timeout."""
        return self._ended[0] if self._done.wait(timeout) else None
