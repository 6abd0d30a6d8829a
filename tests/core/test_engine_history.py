"""The real engine keeping its turns in the real history: ``HistoryLog`` over a ``HistoryStore`` in a
temporary folder, read back through a second ``HistoryStore`` the way another process would.

Fake stages from ``fakes.py`` where the model's timing must be scripted; the real ``OllamaChat``
against the loopback server where the request on the wire or the client's own failure matters.
"""

from __future__ import annotations

import base64
import io
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest
from PIL import Image

from desktop_assistant.bench.ollama_api import OllamaTestServer
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.core.conversation import IMAGE_NOTE, ContextLimits, Conversation
from desktop_assistant.core.engine import Engine, EngineConfig, Stages
from desktop_assistant.core.events import ChunkSynthesized, TurnEnded
from desktop_assistant.llm.base import ChatMessage, ChatModel, PreparedImage, TokenCounts
from desktop_assistant.llm.ollama_chat import OllamaChat
from desktop_assistant.store.history import HistoryStore
from desktop_assistant.store.history_log import HistoryLog, restore_conversation
from desktop_assistant.store.history_records import TurnRecord
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from tests.core.fakes import WAIT, FakeChat, FakeEars, FakeOutput, FakeVoice, Recorder

MODELS = {"stt": "tiny.en", "llm": "fake", "tts": "af_heart"}
SENTENCES = ["The first sentence is here.", " A second one follows it.", " And the third ends it."]


def png(name: str, color: str) -> PreparedImage:
    """A real 32x24 PNG (the store makes a thumbnail of it)."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), color).save(buffer, "PNG")
    return PreparedImage(buffer.getvalue(), "image/png", 32, 24, name)


def wait_until(ready: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


class History:
    """The history folder with the engine's log over one store and a reader's second store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.store = HistoryStore(folder)
        self.log = HistoryLog(self.store, MODELS)
        self.reader = HistoryStore(folder)

    def turns(self, conversation_id: str) -> list[TurnRecord]:
        return self.reader.turns(conversation_id)

    def ended(self, conversation_id: str, count: int) -> list[TurnRecord]:
        """The conversation's turns once ``count`` of them have ended on disk."""
        wait_until(
            lambda: sum(t.ended_at is not None for t in self.turns(conversation_id)) >= count,
            f"{count} ended turn(s) in the history",
        )
        return self.turns(conversation_id)


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    kept = History(tmp_path / "history")
    kept.log.start()
    try:
        yield kept
    finally:
        assert kept.log.close()
        assert kept.reader.integrity() == "ok"
        kept.reader.close()
        kept.store.close()


def engine_over(
    history: History,
    chat: ChatModel,
    recorder: Recorder,
    output: FakeOutput | None = None,
    conversation: Conversation | None = None,
    guard: SpeechGuard | None = None,
) -> Engine:
    engine = Engine(
        Stages(FakeEars({0: ""}), chat, FakeVoice()),
        output or FakeOutput(),
        recorder,
        conversation or Conversation.with_persona(""),
        EngineConfig(guard=guard or SpeechGuard()),
        None,
        history.log,
    )
    engine.start()
    return engine


def one_turn(
    engine: Engine, recorder: Recorder, text: str, images: tuple[PreparedImage, ...] = ()
) -> TurnEnded:
    count = len(recorder.of(TurnEnded))
    engine.ask_text(text, images)
    ended = recorder.wait_for(TurnEnded, count + 1)[-1]
    assert isinstance(ended, TurnEnded)
    return ended


def replies_are(history: History, conversation_id: str, reply: str) -> bool:
    return [t.reply for t in history.turns(conversation_id)] == [reply]


class PeekingChat(FakeChat):
    """Reads the history from a store of its own at the moment it is asked, before its first token."""

    def __init__(self, folder: Path, tokens: list[str]) -> None:
        super().__init__(tokens)
        self.folder = folder
        self.seen: list[TurnRecord] = []

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        peek = HistoryStore(self.folder)
        try:
            latest = peek.latest()
            self.seen = [] if latest is None else peek.turns(latest.id)
        finally:
            peek.close()
        yield from super().stream_reply(messages, cancel, on_counts)


class SteppedChat(FakeChat):
    """Streams one token at a time, each (and then the stream's end) only once the test has let it go."""

    def __init__(self, tokens: list[str]) -> None:
        super().__init__(tokens)
        self.steps = threading.Semaphore(0)

    def step(self) -> None:
        self.steps.release()

    def stream_reply(
        self,
        messages: Sequence[ChatMessage],
        cancel: threading.Event | None = None,
        on_counts: Callable[[TokenCounts], None] | None = None,
    ) -> Iterator[str]:
        self.requests.append(list(messages))
        for token in self.tokens:
            assert self.steps.acquire(timeout=WAIT), "the test never let the next token go"
            yield token
        assert self.steps.acquire(timeout=WAIT), "the test never let the stream end"


def test_the_question_and_its_images_are_on_disk_before_the_model_is_asked(history: History) -> None:
    recorder = Recorder()
    chat = PeekingChat(history.folder, ["Two squares."])
    images = (png("red.png", "red"), png("blue.png", "blue"))
    engine = engine_over(history, chat, recorder)
    try:
        ended = one_turn(engine, recorder, "What colours are these?", images)
    finally:
        engine.close()

    (seen,) = chat.seen
    assert seen.id == ended.turn_id and seen.conversation_id == engine.conversation.id
    assert seen.question == "What colours are these?" and seen.source == "typed"
    assert seen.ended_at is None and seen.reply == ""
    assert [(i.name, i.mime, i.width, i.height) for i in seen.images] == [
        ("red.png", "image/png", 32, 24),
        ("blue.png", "image/png", 32, 24),
    ]
    for stored, image in zip(seen.images, images, strict=True):
        assert stored.file is not None and stored.file.read_bytes() == image.data
        assert stored.thumbnail is not None and stored.thumbnail.is_file()


def test_the_reply_is_kept_sentence_by_sentence_while_it_streams(history: History) -> None:
    recorder = Recorder()
    chat = SteppedChat(SENTENCES)
    engine = engine_over(history, chat, recorder)
    try:
        engine.ask_text("Tell me three things.")
        conversation_id = engine.conversation.id
        for count in range(1, len(SENTENCES) + 1):
            chat.step()
            so_far = "".join(SENTENCES[:count])
            wait_until(
                partial(replies_are, history, conversation_id, so_far),
                f"the reply so far after sentence {count}",
            )
            (turn,) = history.turns(conversation_id)
            assert turn.ended_at is None and turn.cut_short  # still streaming
            assert turn.spoken in so_far
        assert recorder.of(TurnEnded) == []
        chat.step()  # the stream ends
        (ended,) = recorder.wait_for(TurnEnded)
    finally:
        engine.close()

    assert isinstance(ended, TurnEnded)
    (turn,) = history.ended(conversation_id, 1)
    assert turn.id == ended.turn_id and turn.question == "Tell me three things."
    assert turn.reply == ended.reply == "".join(SENTENCES)
    assert turn.spoken == ended.spoken == turn.heard == "".join(SENTENCES).strip()
    assert not (turn.interrupted or turn.incomplete or turn.blocked or turn.cut_short)
    assert turn.error is None and turn.guard_actions == ()
    # No speech recognition for a typed question; the model that answered, with who ran it.
    assert turn.models == {"llm": "fake", "llm_backend": "ollama", "tts": "af_heart"}
    assert turn.timings_ms == ended.timings_ms
    assert isinstance(turn.timings_ms["total"], int | float) and turn.timings_ms["total"] > 0


def test_what_the_guard_did_is_kept_with_the_turn(history: History) -> None:
    recorder = Recorder()
    tokens = ["Call me on", " +1 212-555-0123", " tomorrow.", " The secret plan", " is ready."]
    guard = SpeechGuard(block_phrases=["secret plan"], redact_pii=True)
    engine = engine_over(history, FakeChat(tokens), recorder, guard=guard)
    try:
        ended = one_turn(engine, recorder, "How do I reach you?")
    finally:
        engine.close()

    (turn,) = history.ended(engine.conversation.id, 1)
    assert turn.reply == "".join(tokens)
    assert "555" not in turn.spoken and "redacted" in turn.spoken and "secret" not in turn.spoken.lower()
    assert turn.blocked and ended.blocked
    assert turn.guard_actions == (
        GuardAction("redacted", "phone number", "+1 212-555-0123", (11, 26)),
        GuardAction("blocked", "block phrase", "secret plan", (41, 52)),
    )
    assert turn.guard_actions == ended.guard_actions


@pytest.mark.parametrize("how", ["stop", "next question"])
def test_a_reply_cut_off_mid_speech_is_kept_interrupted_with_what_was_heard(
    history: History, how: str
) -> None:
    recorder = Recorder()
    output = FakeOutput(drains=False)
    chat = FakeChat(
        ["Sure, the answer is forty-two.", " And here is more", " that never came."], gate_after=2
    )
    engine = engine_over(history, chat, recorder, output)
    try:
        engine.ask_text("What is the answer?")
        conversation_id = engine.conversation.id
        recorder.wait_for(ChunkSynthesized)
        output.position_s = 1.2  # 0.1 s a character: about "Sure, the answer" has played
        if how == "stop":
            engine.cancel()
        else:
            engine.ask_text("Never mind.")
        cut = recorder.wait_for(TurnEnded)[0]
        chat.gate.set()
        if how == "next question":
            output.drain()
            recorder.wait_for(TurnEnded, 2)
    finally:
        engine.close()

    assert isinstance(cut, TurnEnded)
    turns = history.ended(conversation_id, 2 if how == "next question" else 1)
    turn = turns[0]
    assert turn.id == cut.turn_id and turn.question == "What is the answer?"
    assert turn.interrupted and not turn.cut_short
    assert turn.reply == "Sure, the answer is forty-two. And here is more"
    assert turn.heard == cut.heard and turn.heard and len(turn.heard) < len(turn.reply)
    assert turn.reply.startswith(turn.heard.rstrip("."))
    if how == "next question":
        assert [t.question for t in turns] == ["What is the answer?", "Never mind."]


def dead_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("fault", ["model missing", "server down"])
def test_a_failed_turn_keeps_its_question_and_the_error(
    history: History, ollama_server: OllamaTestServer, fault: str
) -> None:
    if fault == "model missing":
        ollama_server.models = {}
        host = ollama_server.url
    else:
        host = f"http://127.0.0.1:{dead_port()}"
    chat = OllamaChat(LlmSettings(host=host, model="gemma3:4b", timeout_s=5.0))
    recorder = Recorder()
    engine = engine_over(history, chat, recorder)
    try:
        ended = one_turn(engine, recorder, "Is anyone there?")
    finally:
        engine.close()
        chat.close()

    assert ended.error
    (turn,) = history.ended(engine.conversation.id, 1)
    assert turn.question == "Is anyone there?" and turn.reply == ""
    assert turn.error == ended.error
    assert "\n" not in turn.error
    if fault == "model missing":
        assert "gemma3:4b" in turn.error
    # The model the turn asked, though it failed (the log was given another to begin with).
    assert (turn.models["llm"], turn.models["llm_backend"]) == ("gemma3:4b", "ollama")


def chat_bodies(server: OllamaTestServer) -> list[list[dict[str, object]]]:
    """The messages of every chat that asked something (not the empty load chat)."""
    return [r.body["messages"] for r in server.requests_to("/api/chat") if r.body.get("messages")]


def test_a_restarted_engine_continues_a_stored_conversation_with_its_images_in_context(
    history: History, ollama_server: OllamaTestServer
) -> None:
    ollama_server.reply = lambda messages: f"Answer {sum(m['role'] == 'user' for m in messages)}."
    red, blue, green = png("red.png", "red"), png("blue.png", "blue"), png("green.png", "green")
    settings = LlmSettings(host=ollama_server.url, model="gemma3:4b")
    limits = ContextLimits(4096, images_in_context=2)

    chat = OllamaChat(settings)
    recorder = Recorder()
    engine = engine_over(history, chat, recorder, conversation=Conversation.with_persona("", limits))
    try:
        first = one_turn(engine, recorder, "What is this?", (red,))
        second = one_turn(engine, recorder, "And this one?", (blue,))
        conversation_id = engine.conversation.id
    finally:
        engine.close()
        chat.close()
    assert (first.reply, second.reply) == ("Answer 1.", "Answer 2.")
    history.ended(conversation_id, 2)

    # A restart: a new chat client and engine, the conversation from the history only.
    restored = restore_conversation(history.reader, conversation_id, "", limits)
    chat = OllamaChat(settings)
    recorder = Recorder()
    engine = engine_over(history, chat, recorder, conversation=restored)
    try:
        third = one_turn(engine, recorder, "Which was first?", (green,))
    finally:
        engine.close()
        chat.close()

    before, after = chat_bodies(ollama_server)[1], chat_bodies(ollama_server)[2]
    assert after[0] == before[0]  # the same system prompt
    assert [(m["role"], m["content"]) for m in after[1:]] == [
        ("user", f"What is this?\n{IMAGE_NOTE}"),  # older than images_in_context: a note instead
        ("assistant", "Answer 1."),
        ("user", "And this one?"),
        ("assistant", "Answer 2."),
        ("user", "Which was first?"),
    ]
    sent = [[base64.b64decode(str(i)) for i in m.get("images") or []] for m in after]  # type: ignore[attr-defined]
    assert sent == [[], [], [], [blue.data], [], [green.data]]
    assert third.reply == "Answer 3."
    turns = history.ended(conversation_id, 3)
    assert [t.question for t in turns] == ["What is this?", "And this one?", "Which was first?"]
    assert turns[2].id == third.turn_id


def test_switching_conversations_keeps_each_turn_in_its_own(history: History) -> None:
    recorder = Recorder()
    chat = FakeChat(["Noted."])
    engine = engine_over(history, chat, recorder)
    try:
        first = engine.conversation
        one_turn(engine, recorder, "Remember the colour red.")
        second = Conversation.with_persona("")
        engine.open_conversation(second)
        one_turn(engine, recorder, "Remember the colour blue.")
        history.ended(first.id, 1)
        history.ended(second.id, 1)
        engine.open_conversation(restore_conversation(history.reader, first.id, "", ContextLimits()))
        one_turn(engine, recorder, "Which colour was it?")
    finally:
        engine.close()

    assert first.id != second.id
    assert [t.question for t in history.ended(first.id, 2)] == [
        "Remember the colour red.",
        "Which colour was it?",
    ]
    assert [t.question for t in history.ended(second.id, 1)] == ["Remember the colour blue."]
    back = [m.content for m in chat.requests[-1] if m.role == "user"]
    assert back == ["Remember the colour red.", "Which colour was it?"]
    assert {c.id for c in history.reader.conversations()} == {first.id, second.id}
