"""Fake stages, a recording event sink and an engine builder for the engine tests: scripted models that
let a test hold, release and fail each stage on a timeline."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from desktop_assistant.audio.output import AudioOutput, PlaybackReport, PlayedOut
from desktop_assistant.core.conversation import Conversation
from desktop_assistant.core.engine import Engine, EngineConfig, Stages
from desktop_assistant.core.events import Event, State, StateChanged
from desktop_assistant.errors import AudioDeviceError, ModelFileError
from desktop_assistant.llm.base import ChatMessage, TokenCounts
from desktop_assistant.stt.base import Transcript

TOKENS = [
    "Sure",
    ",",
    " the",
    " **answer**",
    " is",
    " forty",
    "-two",
    ".",
    " See",
    " [the docs](http://x.y)",
    ".",
]
WAIT = 5.0


class FakeChat:
    """Streams scripted tokens; can hold before token ``gate_after`` until ``gate`` is set, or fail."""

    def __init__(
        self, tokens: list[str], gate_after: int | None = None, fail: Exception | None = None
    ) -> None:
        self.tokens, self.gate_after, self.fail = tokens, gate_after, fail
        self.gate = threading.Event()
        self.requests: list[list[ChatMessage]] = []
        self.started = threading.Event()
        self.closed_early = threading.Event()

    @property
    def model(self) -> str:
        return "fake"

    @property
    def backend(self) -> str:
        return "ollama"

    def answerer(self, cancel: threading.Event | None = None) -> FakeChat:
        return self

    def load(self) -> None:
        return None

    def check_ready(self, needs_vision: bool, cancel: threading.Event | None = None) -> None:
        return None

    def close(self) -> None:
        return None

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        self.requests.append(list(messages))
        self.started.set()
        for i, token in enumerate(self.tokens):
            if i == self.gate_after:
                while not self.gate.wait(0.01):
                    if cancel is not None and cancel.is_set():
                        self.closed_early.set()
                        return
            if cancel is not None and cancel.is_set():
                self.closed_early.set()
                return
            yield token
        if self.fail:
            raise self.fail


class FakeVoice:
    """100 samples of 0.1 per character; records what it said."""

    def __init__(self, fail_on: str | None = None, crash_on: str | None = None) -> None:
        self.said: list[str] = []
        self.fail_on, self.crash_on = fail_on, crash_on

    @property
    def sample_rate(self) -> int:
        return 1_000

    def synthesize(self, text: str) -> np.ndarray:
        if self.fail_on and self.fail_on in text:
            raise ModelFileError("Kokoro failed", "Reimport it.")
        if self.crash_on and self.crash_on in text:
            raise RuntimeError("a bug")
        self.said.append(text)
        return np.full(100 * len(text), 0.1, np.float32)


class FakeEars:
    """Transcribes by looking the audio's length up in ``texts`` (longest key not above it)."""

    def __init__(self, texts: dict[int, str]) -> None:
        self.texts = texts
        self.calls: list[int] = []
        self.changed = threading.Condition()

    def wait_until_heard(self, samples: int) -> None:
        """Wait for a pass over at least ``samples`` samples."""
        with self.changed:
            assert self.changed.wait_for(lambda: bool(self.calls) and self.calls[-1] >= samples, WAIT)

    def transcribe(self, audio: np.ndarray) -> Transcript:
        with self.changed:
            self.calls.append(len(audio))
            self.changed.notify_all()
        fitting = [n for n in self.texts if n <= len(audio)]
        return Transcript(self.texts[max(fitting)] if fitting else "", "en", len(audio) / 16_000)


class FakeOutput:
    """A speaker whose playback position the test controls; ``drains=False`` holds every reply's
    played-out report until ``drain()``."""

    def __init__(self, drains: bool = True) -> None:
        self.enqueued: list[tuple[str, int]] = []
        self.cleared = 0
        self.position_s = 0.0
        self.drains = drains
        self.waiting: list[tuple[str, PlayedOut]] = []
        self.finished = threading.Event()

    def enqueue(self, samples: np.ndarray, tag: str) -> None:
        self.enqueued.append((tag, len(samples)))

    def clear(self) -> PlaybackReport:
        self.cleared += 1
        waiting, self.waiting = self.waiting, []
        for _, on_done in waiting:
            on_done(PlaybackReport(self.position_s, interrupted=True))
        return PlaybackReport(self.position_s, interrupted=bool(self.enqueued))

    def finish(self, tag: str, on_done: PlayedOut) -> None:
        self.finished.set()
        if self.drains:
            on_done(PlaybackReport(self.position_s, interrupted=False))
        else:
            self.waiting.append((tag, on_done))

    def drain(self, error: AudioDeviceError | None = None) -> None:
        """Every held reply has played out (or the speaker was lost with ``error``)."""
        self.drains = True
        waiting, self.waiting = self.waiting, []
        for _, on_done in waiting:
            on_done(PlaybackReport(self.position_s, interrupted=error is not None, error=error))

    def first_sound_at(self, tag: str) -> float | None:
        return None

    def played_s(self, tag: str) -> float:
        return self.position_s


class FakeMic:
    """Each utterance is whatever the test has 'spoken' into ``audio`` since its ``begin``."""

    def __init__(self, preroll: np.ndarray) -> None:
        self.preroll = preroll
        self.audio = np.zeros(0, np.float32)
        self.lock = threading.Lock()
        self.ended = 0
        self.discarded = 0
        self.calls: list[str] = []  # "end" and "discard", in order

    def begin(self) -> FakeMic:
        with self.lock:
            self.audio = self.preroll.copy()
        return self

    def speak(self, samples: np.ndarray) -> None:
        with self.lock:
            self.audio = np.concatenate([self.audio, samples])

    def snapshot(self) -> np.ndarray:
        with self.lock:
            return self.audio.copy()

    def end(self) -> np.ndarray:
        self.ended += 1
        self.calls.append("end")
        return self.snapshot()

    def discard(self) -> None:
        self.discarded += 1
        self.calls.append("discard")


class Recorder:
    """The event sink: keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.threads: set[str] = set()
        self.changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self.changed:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)
            self.changed.notify_all()

    def wait_for(self, kind: type, count: int = 1) -> list[Event]:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.of(kind)) >= count, WAIT), self.events
            return self.of(kind)

    def wait_state(self, state: State) -> None:
        with self.changed:
            assert self.changed.wait_for(
                lambda: any(isinstance(e, StateChanged) and e.state is state for e in self.events), WAIT
            ), self.events

    def of(self, kind: type) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]


def make_engine(
    recorder: Recorder,
    chat: FakeChat,
    voice: FakeVoice | None = None,
    ears: FakeEars | None = None,
    output: FakeOutput | None = None,
    mic: FakeMic | None = None,
    config: EngineConfig | None = None,
) -> Engine:
    engine = Engine(
        Stages(ears or FakeEars({0: ""}), chat, voice or FakeVoice()),
        output or FakeOutput(),
        recorder,
        Conversation.with_persona(""),
        config or EngineConfig(),
        mic,
    )
    engine.start()
    return engine


@contextlib.contextmanager
def hearing(stages: Stages, output: AudioOutput, microphone: Any) -> Iterator[tuple[Engine, Recorder]]:
    """An engine over ``stages`` and ``microphone`` (a real one, started here), recording its events;
    on the way out the microphone must never have failed, and both are closed."""
    recorder = Recorder()
    engine = Engine(stages, output, recorder, Conversation.with_persona(""), EngineConfig(), microphone)
    engine.start()
    microphone.start()
    try:
        yield engine, recorder
        assert microphone.error is None
    finally:
        engine.close()
        microphone.close()
