"""The conversation sent to the model: trimmed to ``num_ctx``, images only on recent turns, cut-off replies
as heard."""

from __future__ import annotations

import pytest

from desktop_assistant.core.conversation import (
    CUT_OFF,
    IMAGE_NOTE,
    IMAGE_TOKENS,
    NOTHING_HEARD,
    ContextLimits,
    Conversation,
    Exchange,
    estimate_tokens,
)
from desktop_assistant.llm.base import ChatMessage, PreparedImage, TokenCounts

PERSONA = "You are a helpful voice assistant."


def image(name: str) -> PreparedImage:
    return PreparedImage(b"\x89PNG" + name.encode(), "image/png", 64, 64, name)


def chat(limits: ContextLimits, exchanges: int, words: int = 40) -> Conversation:
    """A conversation with ``exchanges`` past question/answer pairs of about ``words`` words each."""
    conversation = Conversation.with_persona(PERSONA, limits)
    for n in range(exchanges):
        conversation.record(f"question {n} " + "word " * words, (), f"answer {n} " + "word " * words, False)
    return conversation


def total(messages: list[ChatMessage]) -> int:
    return sum(estimate_tokens(m) for m in messages)


def test_a_short_conversation_is_sent_whole_in_order() -> None:
    conversation = chat(ContextLimits(num_ctx=4096), exchanges=3, words=5)
    messages = conversation.request("and now?")
    assert [(m.role, m.content.split()[:2]) for m in messages] == [
        ("system", ["You", "are"]),
        ("user", ["question", "0"]),
        ("assistant", ["answer", "0"]),
        ("user", ["question", "1"]),
        ("assistant", ["answer", "1"]),
        ("user", ["question", "2"]),
        ("assistant", ["answer", "2"]),
        ("user", ["and", "now?"]),
    ]


def test_a_small_window_keeps_the_newest_exchanges_that_fit() -> None:
    limits = ContextLimits(num_ctx=512)
    conversation = chat(limits, exchanges=20)
    messages = conversation.request("the new question")
    assert total(messages) <= limits.prompt_tokens
    assert messages[0] == ChatMessage("system", PERSONA)
    assert messages[-1] == ChatMessage("user", "the new question")
    kept = [m.content.split()[1] for m in messages[1:-1]]
    # Whole exchanges, the newest ones, in order; one more would not have fit.
    assert kept and len(kept) % 2 == 0
    assert kept == [str(n) for n in range(20 - len(kept) // 2, 20) for _ in (0, 1)]
    older = conversation.exchanges[-(len(kept) // 2 + 1)]
    pair = [ChatMessage("user", older.question), ChatMessage("assistant", older.answer)]
    assert total(messages) + total(pair) > limits.prompt_tokens


def test_the_models_own_count_makes_the_trimming_stricter() -> None:
    limits = ContextLimits(num_ctx=2048)
    conversation = chat(limits, exchanges=30)
    first = conversation.request("q")
    # The model says the prompt took twice the estimate: later requests keep about half as much.
    conversation.learn(first, TokenCounts(prompt=2 * total(first), reply=10))
    assert conversation.scale == 2.0
    second = conversation.request("q")
    assert 2 * total(second) <= limits.prompt_tokens
    assert len(second) < len(first)
    # A tokenizer thriftier than the estimate lets more in again.
    conversation.learn(second, TokenCounts(prompt=total(second) // 2, reply=10))
    assert len(conversation.request("q")) > len(second)


def test_an_odd_report_cannot_run_the_scale_away() -> None:
    conversation = chat(ContextLimits(), exchanges=1)
    messages = conversation.request("q")
    conversation.learn(messages, TokenCounts(prompt=1, reply=1))
    assert conversation.scale == 0.5
    conversation.learn(messages, TokenCounts(prompt=10**6, reply=1))
    assert conversation.scale == 3.0
    conversation.learn(messages, TokenCounts(prompt=0, reply=1))  # an old server that does not say
    assert conversation.scale == 3.0


def test_images_ride_only_on_the_latest_user_turns() -> None:
    conversation = Conversation.with_persona(PERSONA, ContextLimits(num_ctx=16384, images_in_context=2))
    for n in range(3):
        conversation.record(f"what is on screen {n}?", (image(f"s{n}"),), f"a chart {n}", cut_off=False)
    messages = conversation.request("and this one?", (image("new"),))
    users = [m for m in messages if m.role == "user"]
    assert [[i.source for i in m.images] for m in users] == [[], [], ["s2"], ["new"]]
    assert users[0].content == f"what is on screen 0?\n{IMAGE_NOTE}"
    assert users[2].content == "what is on screen 2?"
    assert total(messages) >= 2 * IMAGE_TOKENS


def test_a_cut_off_reply_is_kept_as_heard_and_marked() -> None:
    conversation = Conversation.with_persona(PERSONA)
    conversation.record("tell me a story", (), "Once upon a time there", cut_off=True)
    conversation.record("a shorter one", (), "", cut_off=True)
    conversation.record("thanks", (), "You are welcome.", cut_off=False)
    answers = [m.content for m in conversation.request("bye") if m.role == "assistant"]
    assert answers == [f"Once upon a time there {CUT_OFF}", NOTHING_HEARD, "You are welcome."]


def test_a_question_too_large_for_the_window_is_still_sent() -> None:
    conversation = chat(ContextLimits(num_ctx=512), exchanges=2)
    huge = "word " * 2000
    messages = conversation.request(huge)
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[-1].content == huge


@pytest.mark.parametrize(
    ("reply", "heard", "cut_off", "failed", "answer"),
    [
        ("All of it.", "All of it.", False, False, "All of it."),
        ("All of it, and more.", "All of it,", True, False, f"All of it, {CUT_OFF}"),
        ("Nothing played.", "", True, False, NOTHING_HEARD),
        # The speaker was lost mid-reply: an error, but the user heard the start.
        ("Half of it, then silence.", "Half of it,", False, True, f"Half of it, {CUT_OFF}"),
        # The server was down: nothing to remember.
        ("", "", False, True, None),
    ],
)
def test_a_turn_enters_the_conversation_as_the_user_got_it(
    reply: str, heard: str, cut_off: bool, failed: bool, answer: str | None
) -> None:
    exchange = Exchange.of_turn("question?", (), reply, heard, cut_off, failed)
    assert (exchange.answer if exchange is not None else None) == answer
    assert Exchange.of_turn("", (), reply, heard, cut_off, failed) is None
