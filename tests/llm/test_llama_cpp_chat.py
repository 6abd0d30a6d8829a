"""The built-in model's adapter on the packaged SmolLM2-135M-Instruct, run by the real llama.cpp."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_assistant.cancel import CancelToken
from desktop_assistant.config.settings import LlmSettings
from desktop_assistant.core.conversation import ContextLimits, Conversation
from desktop_assistant.errors import LLMError, ReplyInterrupted
from desktop_assistant.llm.base import ChatMessage, TokenCounts
from desktop_assistant.llm.llama_cpp_chat import LlamaCppChat

pytestmark = pytest.mark.model

QUESTION = [
    ChatMessage("system", "You are a helpful assistant. Answer in one short sentence."),
    ChatMessage("user", "What is the capital of France?"),
]
# A prompt long enough that llama.cpp is still reading it when the cancel comes.
LONG_QUESTION = [ChatMessage("user", "Tell me about the weather. " * 250 + "Now, what is two plus two?")]


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf: Path) -> Iterator[LlamaCppChat]:
    """The packaged SmolLM2 with greedy decoding (temperature 0: the same words every time), loaded once."""
    chat = LlamaCppChat(LlmSettings(num_ctx=4096, temperature=0.0), smollm2_gguf)
    chat.load()
    yield chat
    chat.close()


def test_a_reply_streams_in_many_deltas_with_its_token_counts(smollm2: LlamaCppChat) -> None:
    counts: list[TokenCounts] = []
    deltas = list(smollm2.stream_reply(QUESTION, on_counts=counts.append))
    assert len(deltas) > 3
    assert "Paris" in "".join(deltas)
    assert smollm2.model == "SmolLM2-135M-Instruct.Q4_1"
    assert smollm2.backend == "builtin"
    (count,) = counts
    assert count.reply == len(deltas)
    assert 20 < count.prompt < 80  # the two messages in SmolLM2's chat template


def test_cancel_mid_reply_ends_the_stream_and_the_model_answers_again(smollm2: LlamaCppChat) -> None:
    cancel = CancelToken()
    received: list[str] = []
    for delta in smollm2.stream_reply([ChatMessage("user", "Count from one to fifty.")], cancel):
        received.append(delta)
        if len(received) == 3:
            cancel.set()
    assert len(received) == 3
    # The reader stopped before its next token and let the model go: the next reply is whole.
    assert "Paris" in "".join(smollm2.stream_reply(QUESTION))


def test_cancel_before_the_first_token_returns_at_once_with_nothing(smollm2: LlamaCppChat) -> None:
    cancel = CancelToken()
    started = threading.Event()

    def replies() -> Iterator[str]:
        started.set()
        yield from smollm2.stream_reply(LONG_QUESTION, cancel)

    timer = threading.Timer(0.02, cancel.set)
    timer.start()
    try:
        assert list(replies()) == []
    finally:
        timer.join()
    assert started.is_set()
    assert "Paris" in "".join(smollm2.stream_reply(QUESTION))


def test_a_cancel_set_before_the_request_runs_nothing(smollm2: LlamaCppChat) -> None:
    cancel = CancelToken()
    cancel.set()
    assert list(smollm2.stream_reply(QUESTION, cancel)) == []


def test_the_conversation_is_trimmed_to_the_models_context(smollm2_gguf: Path) -> None:
    chat = LlamaCppChat(LlmSettings(num_ctx=1024, temperature=0.0), smollm2_gguf)
    conversation = Conversation.with_persona("", ContextLimits(num_ctx=1024))
    for n in range(12):
        conversation.record(f"Tell me fact number {n} about rivers.", (), "Rivers flow downhill. " * 8)
    messages = conversation.request("What is the capital of France?")
    counts: list[TokenCounts] = []
    try:
        reply = "".join(chat.stream_reply(messages, on_counts=counts.append))
    finally:
        chat.close()
    assert 3 <= len(messages) < 2 + 2 * 12  # older exchanges were left out, the newest kept
    assert messages[-1].content == "What is the capital of France?"
    assert reply.strip()
    assert counts[0].prompt + counts[0].reply <= 1024


def test_a_question_longer_than_the_context_gets_one_line(smollm2_gguf: Path) -> None:
    chat = LlamaCppChat(LlmSettings(num_ctx=512), smollm2_gguf)
    try:
        with pytest.raises(LLMError) as caught:
            list(chat.stream_reply([ChatMessage("user", "word " * 2000)]))
    finally:
        chat.close()
    assert caught.value.message == "The conversation is longer than the built-in model's context (512 tokens)"
    assert "llm.num_ctx" in caught.value.hint


def test_a_turn_with_an_image_is_refused_with_one_line(smollm2: LlamaCppChat) -> None:
    with pytest.raises(LLMError) as caught:
        smollm2.check_ready(needs_vision=True)
    assert caught.value.message == "The built-in model (SmolLM2-135M-Instruct.Q4_1) cannot see images"
    assert "ollama pull gemma3:4b" in caught.value.hint
    smollm2.check_ready(needs_vision=False)


def test_close_mid_reply_cuts_it_off_with_the_text_so_far(smollm2_gguf: Path) -> None:
    chat = LlamaCppChat(LlmSettings(temperature=0.0), smollm2_gguf)
    received: list[str] = []
    with pytest.raises(ReplyInterrupted) as caught:
        for delta in chat.stream_reply([ChatMessage("user", "Count from one to fifty.")]):
            received.append(delta)
            if len(received) == 2:
                threading.Thread(target=chat.close).start()
    assert caught.value.partial == "".join(received)
    with pytest.raises(LLMError, match="closed"):
        list(chat.stream_reply(QUESTION))


def test_a_missing_file_gets_one_line(tmp_path: Path) -> None:
    chat = LlamaCppChat(LlmSettings(), tmp_path / "gone.gguf")
    with pytest.raises(LLMError) as caught:
        chat.load()
    assert caught.value.message == f"The built-in model file {tmp_path / 'gone.gguf'} is missing"


def test_a_damaged_file_gets_one_line(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + bytes(200))
    with pytest.raises(LLMError) as caught:
        LlamaCppChat(LlmSettings(), damaged).load()
    assert caught.value.message.startswith("The built-in model damaged.gguf cannot be loaded")


def test_close_while_the_model_loads_ends_the_load_with_one_line_and_frees_it(smollm2_gguf: Path) -> None:
    chat = LlamaCppChat(LlmSettings(), smollm2_gguf)
    failures: list[LLMError] = []

    def load() -> None:
        try:
            chat.load()
        except LLMError as exc:
            failures.append(exc)

    loader = threading.Thread(target=load)
    loader.start()
    chat.close()  # the app quits while its models load
    loader.join(timeout=30)
    assert not loader.is_alive()
    if failures:  # closed before the warm-up finished (else the load won the race and close freed it)
        assert failures[0].message == "The built-in model is closed"
    assert chat._llama is None
    with pytest.raises(LLMError, match="closed"):
        chat.load()
