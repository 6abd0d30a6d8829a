"""Global hotkeys through pynput: X11 (the RECORD extension), Windows and macOS.

pynput reports single keys; ``ComboTracker`` turns them into one press and one release of the combination.
pynput is imported only in ``start()``: on Linux its import needs an X display.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from desktop_assistant.errors import HotkeyError, first_line
from desktop_assistant.hotkey.base import KeyCombo

log = logging.getLogger(__name__)

_READY_TIMEOUT_S = 5.0
_JOIN_TIMEOUT_S = 2.0
KeyHandler = Callable[[object | None], None]


class ComboTracker:
    """Follows which keys are down; calls ``on_press`` once when the whole combination is down and
    ``on_release`` once when any of its keys comes up.

    ``canonical`` maps a key event to the value compared (pynput's ``listener.canonical`` folds left/right
    modifiers and letter case together); the combination's own keys pass through it too.
    """

    def __init__(
        self,
        keys: Iterable[Hashable],
        canonical: Callable[[Any], Hashable],
        on_press: Callable[[], None],
        on_release: Callable[[], None],
    ) -> None:
        self._canonical = canonical
        self._combo = frozenset(canonical(key) for key in keys)
        self._on_press = on_press
        self._on_release = on_release
        self._down: set[Hashable] = set()
        self._active = False

    @property
    def active(self) -> bool:
        """Whether the combination is down now (its press was reported, its release not yet)."""
        return self._active

    def key_down(self, key: object | None) -> None:
        """A key went down (or repeats); ``None`` is a key pynput could not name."""
        if key is None:
            return
        self._down.add(self._canonical(key))
        if not self._active and self._combo <= self._down:
            self._active = True
            self._on_press()

    def key_up(self, key: object | None) -> None:
        """A key came up."""
        if key is None:
            return
        value = self._canonical(key)
        self._down.discard(value)
        if self._active and value in self._combo:
            self._active = False
            self._on_release()


def pynput_keys(keyboard: Any, combo: KeyCombo) -> list[Any]:
    """The combination as pynput key objects, from the ``pynput.keyboard`` module given."""
    return [getattr(keyboard.Key, name) if len(name) > 1 else keyboard.KeyCode.from_char(name)
            for name in combo.pynput_names()]


def _unavailable(reason: str) -> HotkeyError:
    log.info("pynput cannot listen: %s", reason)
    return HotkeyError(
        "Global hotkeys are not available here",
        "Bind a key to 'desktop-assistant ptt press' and 'desktop-assistant ptt release', "
        "or hold the window's Talk button",
    )


class PynputBackend:
    """Listens for ``combo`` anywhere on the desktop with a pynput keyboard listener thread."""

    def __init__(self, combo: KeyCombo) -> None:
        self._combo = combo
        self._listener: Any = None
        self._tracker: ComboTracker | None = None

    @property
    def name(self) -> str:
        """Always "pynput"."""
        return "pynput"

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        """Start the listener thread and wait (briefly) until it receives keys."""
        if self._listener is not None:
            return
        try:
            from pynput import keyboard
        except Exception as exc:  # ImportError without a display, Xlib errors on a broken one
            raise _unavailable(first_line(exc)) from exc
        ready = threading.Event()
        listener = _ready_listener(keyboard)(ready, self._key_down, self._key_up)
        keys = pynput_keys(keyboard, self._combo)
        self._tracker = ComboTracker(keys, listener.canonical, on_press, on_release)
        listener.start()
        if not ready.wait(_READY_TIMEOUT_S) or not listener.receiving:
            # Never stop a listener that did not get ready: pynput would wait for it without a limit.
            self._tracker = None
            raise _unavailable(listener.failure or "the keyboard listener did not start")
        self._listener = listener
        log.info("listening for %s with pynput", self._combo)

    def stop(self) -> None:
        """Stop and join the listener thread."""
        listener, self._listener = self._listener, None
        self._tracker = None
        if listener is None:
            return
        listener.stop()
        try:
            listener.join(_JOIN_TIMEOUT_S)
        except Exception as exc:  # join re-raises what failed on the listener thread
            log.warning("the keyboard listener ended with: %s", first_line(exc))

    def _key_down(self, key: object | None) -> None:
        if self._tracker is not None:
            self._tracker.key_down(key)

    def _key_up(self, key: object | None) -> None:
        if self._tracker is not None:
            self._tracker.key_up(key)


def _ready_listener(keyboard: Any) -> Any:
    """pynput's ``Listener`` class, made to set an event once it receives keys or its thread ends."""

    class ReadyListener(keyboard.Listener):  # type: ignore[misc]
        def __init__(self, ready: threading.Event, on_press: KeyHandler, on_release: KeyHandler) -> None:
            super().__init__(on_press=on_press, on_release=on_release)
            self.name = "hotkey-pynput"
            self._ready_event = ready
            # Set once keys flow; the event alone is also set when the thread ends (no display).
            self.receiving = False
            self.failure: str | None = None

        def _mark_ready(self) -> None:
            super()._mark_ready()
            self.receiving = True
            self._ready_event.set()

        def run(self) -> None:
            try:
                super().run()
            except Exception as exc:  # no display, a display that went away: said by start() or logged
                self.failure = first_line(exc)
                log.warning("the keyboard listener stopped: %s", self.failure)
            finally:
                self.receiving = False
                self._ready_event.set()

        def _stop_platform(self) -> None:
            super()._stop_platform()
            # On X11 pynput disables recording through the recording connection itself, which the server
            # reads only after the next key event (pynput PR #583); the listener's other connection works.
            display = getattr(self, "_display_stop", None)
            if display is None:
                return
            try:
                display.record_disable_context(self._context)
                display.flush()
            except Exception as exc:  # the listener thread may have closed it already
                log.debug("disabling X recording: %s", first_line(exc))

    return ReadyListener
