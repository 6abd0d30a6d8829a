"""Reading the ``ui.hotkey`` setting into a ``KeyCombo``, and writing it for pynput and the portal."""

from __future__ import annotations

import pytest

from desktop_assistant.hotkey.base import HotkeyError, KeyCombo


@pytest.mark.parametrize(
    ("text", "qt", "portal", "pynput"),
    [
        ("Ctrl+Alt+Space", "Ctrl+Alt+Space", "CTRL+ALT+space", ("ctrl", "alt", "space")),
        ("Ctrl+Shift+F9", "Ctrl+Shift+F9", "CTRL+SHIFT+F9", ("ctrl", "shift", "f9")),
        ("Meta+Space", "Meta+Space", "LOGO+space", ("cmd", "space")),
        ("F8", "F8", "F8", ("f8",)),
        ("alt + ctrl + a", "Ctrl+Alt+A", "CTRL+ALT+a", ("ctrl", "alt", "a")),
        ("Ctrl+PgUp", "Ctrl+PgUp", "CTRL+Prior", ("ctrl", "page_up")),
        ("Control+Alt+Escape", "Ctrl+Alt+Esc", "CTRL+ALT+Escape", ("ctrl", "alt", "esc")),
        ("Ctrl+,", "Ctrl+,", "CTRL+comma", ("ctrl", ",")),
        ("Shift+F12", "Shift+F12", "SHIFT+F12", ("shift", "f12")),
    ],
)
def test_parse_and_write(text: str, qt: str, portal: str, pynput: tuple[str, ...]) -> None:
    combo = KeyCombo.parse(text)
    assert str(combo) == qt
    assert combo.portal_trigger() == portal
    assert combo.pynput_names() == pynput
    assert KeyCombo.parse(qt) == combo


def test_parts_are_modifiers_and_a_lower_case_key() -> None:
    combo = KeyCombo.parse("Ctrl+Alt+Space")
    assert combo.modifiers == frozenset({"ctrl", "alt"})
    assert combo.key == "space"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "is not a key combination"),
        ("Ctrl+", "is not a key combination"),
        ("Ctrl++", "is not a key combination"),
        ("Ctrl+Alt", "needs one key besides the modifiers"),
        ("Ctrl+A+B", "needs one key besides the modifiers"),
        ("Ctrl+Ctrl+A", "repeats a modifier"),
        ("Ctrl+Banana", "does not know: 'banana'"),
        ("Space", "would fire while typing"),
        ("Shift+A", "would fire while typing"),
    ],
)
def test_nonsense_is_one_line_with_a_hint(text: str, says: str) -> None:
    with pytest.raises(HotkeyError) as caught:
        KeyCombo.parse(text)
    line = caught.value.line()
    assert says in line
    assert caught.value.hint
    assert "\n" not in line
