"""``PushToTalk`` on scripted timelines: a fake clock and scheduler, and the exact talk calls they cause."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from desktop_assistant.hotkey.push_to_talk import PushToTalk


class Call:
    """A scheduled callback; cancelled ones never run."""

    def __init__(self, due: float, callback: Callable[[], None]) -> None:
        self.due = due
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timeline:
    """The clock, the scheduler and the talk target at once: it records each talk call with its time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[Call] = []
        self.talk: list[tuple[float, str]] = []

    def clock(self) -> float:
        return self.now

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Call:
        call = Call(self.now + delay_s, callback)
        self.calls.append(call)
        return call

    def advance(self, to: float) -> None:
        """Move the clock to ``to``, running each due callback at its own time."""
        while due := sorted((c for c in self.calls if c.due <= to), key=lambda c: c.due):
            call = due[0]
            self.calls.remove(call)
            if not call.cancelled:
                self.now = call.due
                call.callback()
        self.now = to

    def start_talking(self) -> None:
        self.talk.append((self.now, "start"))

    def stop_talking(self) -> None:
        self.talk.append((self.now, "stop"))

    def drop_talking(self) -> None:
        self.talk.append((self.now, "drop"))


Talk = list[tuple[float, str]]


def push_to_talk(timeline: Timeline, max_hold_s: float) -> PushToTalk:
    return PushToTalk(timeline, 0.25, max_hold_s, timeline, clock=timeline.clock)


def play(script: list[tuple[float, str]], end: float = 1000.0, max_hold_s: float = 120.0) -> Talk:
    """Run ``(time, "press" | "release" | "toggle")`` steps, then let the clock run to ``end``."""
    timeline = Timeline()
    ptt = push_to_talk(timeline, max_hold_s)
    for at, action in script:
        timeline.advance(at)
        getattr(ptt, action)()
    timeline.advance(end)
    return timeline.talk


def test_a_hold_talks_from_press_to_release() -> None:
    assert play([(0.0, "press"), (2.0, "release")]) == [(0.0, "start"), (2.0, "stop")]


def test_a_tap_starts_then_drops() -> None:
    # The start interrupts a reply being spoken; the drop throws the empty recording away.
    assert play([(0.0, "press"), (0.1, "release")]) == [(0.0, "start"), (0.1, "drop")]


def test_a_press_of_exactly_the_minimum_counts() -> None:
    assert play([(1.0, "press"), (1.25, "release")]) == [(1.0, "start"), (1.25, "stop")]


def test_an_autorepeat_storm_is_one_hold() -> None:
    storm = [(0.5 + n * 0.03, "press") for n in range(60)]
    assert play([(0.0, "press"), *storm, (3.0, "release")]) == [(0.0, "start"), (3.0, "stop")]


def test_a_stuck_key_stops_at_the_limit_and_its_release_is_ignored() -> None:
    repeats = [(4.0 + n * 0.5, "press") for n in range(10)]
    script = [(0.0, "press"), *repeats, (20.0, "release"), (21.0, "press"), (23.0, "release")]
    assert play(script, max_hold_s=5.0) == [(0.0, "start"), (5.0, "stop"), (21.0, "start"), (23.0, "stop")]


def test_a_release_cancels_the_limit() -> None:
    talk = play([(0.0, "press"), (2.0, "release")], end=500.0, max_hold_s=5.0)
    assert talk == [(0.0, "start"), (2.0, "stop")]


@pytest.mark.parametrize("script", [[(0.0, "release")], [(0.0, "release"), (1.0, "release")]])
def test_a_release_without_a_press_does_nothing(script: list[tuple[float, str]]) -> None:
    assert play(script) == []


def test_a_second_release_does_nothing() -> None:
    assert play([(0.0, "press"), (1.0, "release"), (1.5, "release")]) == [(0.0, "start"), (1.0, "stop")]


def test_toggle_clicks_start_and_stop() -> None:
    script = [(0.0, "toggle"), (3.0, "toggle"), (4.0, "toggle"), (4.1, "toggle")]
    assert play(script) == [(0.0, "start"), (3.0, "stop"), (4.0, "start"), (4.1, "drop")]


def test_toggle_after_a_timed_out_hold_starts_again() -> None:
    script = [(0.0, "toggle"), (7.0, "toggle"), (9.0, "toggle")]
    assert play(script, max_hold_s=5.0) == [(0.0, "start"), (5.0, "stop"), (7.0, "start"), (9.0, "stop")]


def test_held_follows_the_hold() -> None:
    timeline = Timeline()
    ptt = push_to_talk(timeline, max_hold_s=5.0)
    seen = [ptt.held]
    ptt.press()
    seen.append(ptt.held)
    timeline.advance(6.0)
    seen.append(ptt.held)
    ptt.release()
    ptt.press()
    seen.append(ptt.held)
    ptt.release()
    seen.append(ptt.held)
    assert seen == [False, True, False, True, False]
