"""What the speech guard did reaches the window as it happens: one ``GuardApplied`` per action, in order,
before the chunk it changed is synthesized, the same actions as the turn's end; an early reply's actions
wait with the rest of it, and a dropped one's never arrive."""

from __future__ import annotations

import numpy as np

from desktop_assistant.core.events import (
    ChunkSynthesized,
    Event,
    GuardApplied,
    ReplyDelta,
    TranscriptReady,
    TurnEnded,
)
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from tests.core.fakes import FakeChat, FakeEars, Recorder
from tests.core.test_engine_early_reply import EARS, FIRST, PREROLL, QUIET, SECOND, Rig, wait_until
from tests.core.test_engine_early_reply import speech as speech  # the fixture: the JFK clip's two seconds
from tests.core.test_engine_guard import run_turn

EMAIL = GuardAction("redacted", "e-mail address", "bob.smith@example.com", (9, 30))
PHONE = GuardAction("redacted", "phone number", "+1 212-555-0123", (46, 61))
# A reply whose first chunk, with the e-mail address, is complete once its fourth token is read.
EARLY_TOKENS = ["Mail bob@example.com.", " Then", " more", " words here.", " Bye."]
EARLY_CHUNK = "Mail redacted. Then"
EARLY_EMAIL = GuardAction("redacted", "e-mail address", "bob@example.com", (5, 20))


def timeline(recorder: Recorder) -> list[tuple[str, object]]:
    """The guard's actions and the chunks synthesized, in the order they were reported."""
    return [_entry(event) for event in recorder.events if isinstance(event, GuardApplied | ChunkSynthesized)]


def _entry(event: Event) -> tuple[str, object]:
    if isinstance(event, GuardApplied):
        return ("guard", event.action)
    assert isinstance(event, ChunkSynthesized)
    return ("chunk", event.text)


def reported_before(recorder: Recorder, action: GuardAction, chunk: str) -> bool:
    """``action`` was reported before the chunk ``chunk`` was synthesized (the chunker and the speaker run
    side by side, so a later action may come before an earlier chunk)."""
    order = timeline(recorder)
    return order.index(("guard", action)) < order.index(("chunk", chunk))


def guarded(recorder: Recorder) -> list[GuardAction]:
    return [e.action for e in recorder.events if isinstance(e, GuardApplied)]


def chunks(recorder: Recorder) -> list[str]:
    return [e.text for e in recorder.events if isinstance(e, ChunkSynthesized)]


def test_each_redaction_is_reported_before_the_chunk_it_changed_is_synthesized() -> None:
    tokens = [
        "Write to",
        " bob.smith@",
        "example.com",
        " today.",
        " Or call",
        " +1 212-555-0123",
        " at noon.",
        " Thanks!",
    ]
    recorder, voice, ended = run_turn(tokens, SpeechGuard())
    assert guarded(recorder) == list(ended.guard_actions) == [EMAIL, PHONE]
    assert reported_before(recorder, EMAIL, "Write to redacted today.")
    assert reported_before(recorder, PHONE, "Or call redacted at noon.")
    assert (
        chunks(recorder) == voice.said == ["Write to redacted today.", "Or call redacted at noon.", "Thanks!"]
    )
    # The words were on screen before the guard said what it did to them.
    events = recorder.events
    shown = next(i for i, e in enumerate(events) if isinstance(e, ReplyDelta) and e.text == "example.com")
    assert shown < events.index(GuardApplied(ended.turn_id, EMAIL))


def test_a_block_phrase_is_reported_once_and_nothing_after_it_is_synthesized() -> None:
    tokens = ["The first part is fine.", " Then the Secret", " plan appears.", " And more", " after it."]
    recorder, _, ended = run_turn(tokens, SpeechGuard(block_phrases=["secret plan"]))
    blocked = GuardAction("blocked", "block phrase", "Secret plan", (33, 44))
    assert guarded(recorder) == list(ended.guard_actions) == [blocked] and ended.blocked
    assert chunks(recorder) == ["The first part", "is fine."]


def test_a_reply_the_guard_leaves_alone_reports_nothing() -> None:
    recorder, _, ended = run_turn(["Nothing private", " here."], SpeechGuard())
    assert recorder.of(GuardApplied) == [] and ended.guard_actions == ()


def test_an_early_reply_reports_its_guard_actions_only_once_it_is_kept(speech: np.ndarray) -> None:
    rig = Rig(FakeChat(EARLY_TOKENS), FakeEars(EARS))
    try:
        rig.engine.press()
        rig.mic.speak(np.concatenate([speech, QUIET]))
        # The early reply is screened and synthesized while the key is held ...
        wait_until(lambda: EARLY_CHUNK in rig.voice.said, "the early reply's redacted chunk")
        assert rig.recorder.of(GuardApplied) == []  # ... and the window is told nothing of it yet
        rig.engine.release()
        (ended,) = rig.recorder.wait_for(TurnEnded)
    finally:
        rig.engine.close()
    assert isinstance(ended, TurnEnded) and ended.transcript == FIRST and len(rig.chat.requests) == 1
    assert ended.guard_actions == (EARLY_EMAIL,)
    order = [
        _entry(e) if isinstance(e, GuardApplied | ChunkSynthesized) else (type(e).__name__, None)
        for e in rig.recorder.events
        if isinstance(e, GuardApplied | ChunkSynthesized | TranscriptReady)
    ]
    assert order == [
        ("TranscriptReady", None),
        ("guard", EARLY_EMAIL),
        ("chunk", EARLY_CHUNK),
        ("chunk", "more words here."),
        ("chunk", "Bye."),
    ]


def test_an_early_reply_that_is_dropped_reports_none_of_its_guard_actions(speech: np.ndarray) -> None:
    rig = Rig(FakeChat(EARLY_TOKENS, gate_after=4), FakeEars(EARS))
    try:
        rig.engine.press()
        rig.mic.speak(np.concatenate([speech, QUIET]))
        wait_until(lambda: EARLY_CHUNK in rig.voice.said, "the early reply's redacted chunk")
        rig.mic.speak(speech)  # the user goes on: the early reply is dropped
        wait_until(rig.chat.closed_early.is_set, "the early request to be cut off")
        rig.ears.wait_until_heard(len(speech) * 2 + len(QUIET) + PREROLL)
        rig.engine.release()
        wait_until(lambda: len(rig.chat.requests) == 2, "the second request")
        rig.chat.gate.set()
        (ended,) = rig.recorder.wait_for(TurnEnded)
    finally:
        rig.engine.close()
    assert isinstance(ended, TurnEnded) and ended.transcript == SECOND
    # Only the asked-again reply's action arrives: the dropped one's, held back, never does.
    assert guarded(rig.recorder) == list(ended.guard_actions) == [EARLY_EMAIL]
    events = rig.recorder.events
    assert events.index(TranscriptReady(ended.turn_id, SECOND)) < events.index(
        GuardApplied(ended.turn_id, EARLY_EMAIL)
    )
