"""What every hotkey backend offers, and the key combination they listen for.

A backend reports the hold-to-talk combination going down and coming up; ``PushToTalk`` turns those into
talk commands. The combination is stored in Qt's portable notation (``ui.hotkey``, e.g. "Ctrl+Alt+Space").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from desktop_assistant.errors import HotkeyError

__all__ = ["HotkeyBackend", "HotkeyError", "KeyCombo"]


class HotkeyBackend(Protocol):
    """A source of global press/release events for one key combination."""

    @property
    def name(self) -> str:
        """"pynput", "portal" or "ptt": shown in the log and the settings."""
        ...

    def start(self, on_press: Callable[[], None], on_release: Callable[[], None]) -> None:
        """Begin listening; the callbacks may run on any thread. Raises ``HotkeyError`` on failure."""
        ...

    def stop(self) -> None:
        """Stop listening and join whatever ``start`` started; calling it again does nothing."""
        ...


# Modifier names accepted in the setting → our name; Qt writes Ctrl, Alt, Shift and Meta.
_MODIFIERS = {
    "ctrl": "ctrl", "control": "ctrl", "alt": "alt", "shift": "shift", "meta": "meta", "super": "meta",
}
_MODIFIER_ORDER = ("ctrl", "alt", "shift", "meta")
_QT_MODIFIERS = {"ctrl": "Ctrl", "alt": "Alt", "shift": "Shift", "meta": "Meta"}
# The XKB modifier names of the XDG shortcuts specification, and pynput's Key names.
_PORTAL_MODIFIERS = {"ctrl": "CTRL", "alt": "ALT", "shift": "SHIFT", "meta": "LOGO"}
_PYNPUT_MODIFIERS = {"ctrl": "ctrl", "alt": "alt", "shift": "shift", "meta": "cmd"}


@dataclass(frozen=True)
class _Key:
    """One non-modifier key: its Qt name, pynput name (a Key member, or the character) and XKB keysym."""

    qt: str
    pynput: str
    keysym: str


def _key_table() -> dict[str, _Key]:
    named = [
        _Key("Space", "space", "space"),
        _Key("Return", "enter", "Return"),
        _Key("Enter", "enter", "KP_Enter"),
        _Key("Esc", "esc", "Escape"),
        _Key("Tab", "tab", "Tab"),
        _Key("Backspace", "backspace", "BackSpace"),
        _Key("Ins", "insert", "Insert"),
        _Key("Del", "delete", "Delete"),
        _Key("Home", "home", "Home"),
        _Key("End", "end", "End"),
        _Key("PgUp", "page_up", "Prior"),
        _Key("PgDown", "page_down", "Next"),
        _Key("Left", "left", "Left"),
        _Key("Right", "right", "Right"),
        _Key("Up", "up", "Up"),
        _Key("Down", "down", "Down"),
        _Key("Pause", "pause", "Pause"),
        _Key("Print", "print_screen", "Print"),
        _Key("ScrollLock", "scroll_lock", "Scroll_Lock"),
        _Key("Menu", "menu", "Menu"),
    ]
    named += [_Key(f"F{n}", f"f{n}", f"F{n}") for n in range(1, 21)]
    named += [_Key(c.upper(), c, c) for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    punctuation = {
        ",": "comma", ".": "period", "-": "minus", "=": "equal", "/": "slash", ";": "semicolon",
        "'": "apostrophe", "[": "bracketleft", "]": "bracketright", "\\": "backslash", "`": "grave",
    }
    named += [_Key(char, char, keysym) for char, keysym in punctuation.items()]
    table = {key.qt.lower(): key for key in named}
    # Qt reads these spellings too.
    table.update(escape=table["esc"], insert=table["ins"], delete=table["del"],
                 pgdn=table["pgdown"], pageup=table["pgup"], pagedown=table["pgdown"])
    return table


_KEYS = _key_table()
# Keys that type text: alone (or with Shift only) they would start a recording in the middle of typing.
_TYPING = {name for name, key in _KEYS.items() if len(key.pynput) == 1 or key.pynput == "space"}


@dataclass(frozen=True)
class KeyCombo:
    """A hold-to-talk combination: modifiers ("ctrl", "alt", "shift", "meta") and one key ("space", "f9")."""

    modifiers: frozenset[str]
    key: str

    @classmethod
    def parse(cls, text: str) -> KeyCombo:
        """Read Qt's portable notation ("Ctrl+Alt+Space", "Meta+F9", "F8"); ``HotkeyError`` on nonsense."""
        hint = "Write it like Ctrl+Alt+Space, Ctrl+Shift+F9 or F8"
        parts = [part.strip().lower() for part in text.split("+")]
        if not text.strip() or "" in parts:
            raise HotkeyError(f"The hotkey {text.strip()!r} is not a key combination", hint)
        modifiers = [_MODIFIERS[part] for part in parts if part in _MODIFIERS]
        keys = [part for part in parts if part not in _MODIFIERS]
        if len(keys) != 1:
            raise HotkeyError(f"The hotkey {text.strip()!r} needs one key besides the modifiers", hint)
        if len(set(modifiers)) != len(modifiers):
            raise HotkeyError(f"The hotkey {text.strip()!r} repeats a modifier", hint)
        if keys[0] not in _KEYS:
            raise HotkeyError(f"The hotkey {text.strip()!r} uses a key this app does not know: {keys[0]!r}",
                              "Use a letter, a digit, F1 to F20, Space or another named key")
        key = _KEYS[keys[0]].qt.lower()
        if key in _TYPING and not set(modifiers) - {"shift"}:
            raise HotkeyError(f"The hotkey {text.strip()!r} would fire while typing",
                              "Add Ctrl, Alt or Meta, or use a function key such as F8")
        return cls(frozenset(modifiers), key)

    def __str__(self) -> str:
        """The combination in Qt's portable notation, modifiers in Qt's order."""
        return "+".join([_QT_MODIFIERS[m] for m in self._ordered()] + [_KEYS[self.key].qt])

    def portal_trigger(self) -> str:
        """The XDG shortcuts-spec form the portal takes as ``preferred_trigger``: "CTRL+ALT+space"."""
        return "+".join([_PORTAL_MODIFIERS[m] for m in self._ordered()] + [_KEYS[self.key].keysym])

    def pynput_names(self) -> tuple[str, ...]:
        """pynput's names for every key of the combination: ``Key`` members ("ctrl", "f9") or characters."""
        return (*[_PYNPUT_MODIFIERS[m] for m in self._ordered()], _KEYS[self.key].pynput)

    def _ordered(self) -> list[str]:
        return [m for m in _MODIFIER_ORDER if m in self.modifiers]
