"""Hold-to-talk rules between raw key presses and the engine: autorepeat, taps, stuck keys.

Qt-free: the app passes a scheduler that calls back on the GUI thread, the tests a scripted one.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Protocol


class TalkTarget(Protocol):
    """What a hold drives: the app maps these onto the engine's press, release and cancel."""

    def start_talking(self) -> None:
        """The hold began: start recording (and interrupt a reply being spoken)."""
        ...

    def stop_talking(self) -> None:
        """The hold ended: the recording is the question."""
        ...

    def drop_talking(self) -> None:
        """The hold was only a tap: throw the recording away."""
        ...


class Cancellable(Protocol):
    """A scheduled call that can still be called off."""

    def cancel(self) -> None:
        """Drop the call if it has not run yet."""
        ...


class Scheduler(Protocol):
    """Runs a callback later, on the thread that calls ``PushToTalk``."""

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Cancellable:
        """Run ``callback`` once after ``delay_s`` seconds, unless cancelled first."""
        ...


class _Phase(enum.Enum):
    IDLE = "idle"
    HELD = "held"
    EXPIRED = "expired"  # the hold outlasted max_hold_s; waiting for the key to come up


class PushToTalk:
    """Turns presses and releases (from any source, all on one thread) into talk commands.

    A press starts talking; a second press while held is autorepeat and is ignored. A release shorter than
    ``min_press_s`` drops the recording (the press still interrupted any reply: a tap means "stop"). A hold
    that reaches ``max_hold_s`` stops talking then, and its eventual release is ignored.
    """

    def __init__(
        self,
        target: TalkTarget,
        min_press_s: float,
        max_hold_s: float,
        scheduler: Scheduler,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._target = target
        self._min_press_s = min_press_s
        self._max_hold_s = max_hold_s
        self._scheduler = scheduler
        self._clock = clock
        self._phase = _Phase.IDLE
        self._pressed_at = 0.0
        self._deadline: Cancellable | None = None

    @property
    def held(self) -> bool:
        """Whether a press is recording now (a hold cut off by ``max_hold_s`` no longer is)."""
        return self._phase is _Phase.HELD

    def press(self) -> None:
        """The key went down; ignored while it is already down (autorepeat, or a stuck key timed out)."""
        if self._phase is not _Phase.IDLE:
            return
        self._phase = _Phase.HELD
        self._pressed_at = self._clock()
        self._deadline = self._scheduler.call_later(self._max_hold_s, self._expire)
        self._target.start_talking()

    def release(self) -> None:
        """The key came up: stop talking, or drop a tap; ignored without a press in effect."""
        if self._phase is _Phase.EXPIRED:
            self._phase = _Phase.IDLE
            return
        if self._phase is not _Phase.HELD:
            return
        self._phase = _Phase.IDLE
        self._cancel_deadline()
        if self._clock() - self._pressed_at < self._min_press_s:
            self._target.drop_talking()
        else:
            self._target.stop_talking()

    def toggle(self) -> None:
        """A click: press when not held, else release (a quick second click drops, like a tap)."""
        if self._phase is _Phase.HELD:
            self.release()
            return
        self._phase = _Phase.IDLE  # a click after a timed-out hold starts afresh
        self.press()

    def _expire(self) -> None:
        if self._phase is not _Phase.HELD:
            return
        self._phase = _Phase.EXPIRED
        self._deadline = None
        self._target.stop_talking()

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
