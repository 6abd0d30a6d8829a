"""Where national phone numbers are read: the text.phone_region setting, or the system locale's country."""

from __future__ import annotations

import pytest

from desktop_assistant.config.settings import Settings, parse_value
from desktop_assistant.errors import ConfigError
from desktop_assistant.text.pii import locale_region, phone_region


@pytest.mark.parametrize(
    ("environ", "region"),
    [
        ({"LANG": "en_GB.UTF-8"}, "GB"),
        ({"LC_ALL": "de_DE@euro", "LANG": "en_US.UTF-8"}, "DE"),
        ({"LC_ALL": "", "LC_MESSAGES": "pt_BR", "LANG": "en_GB.UTF-8"}, "BR"),
        ({"LANG": "es_ES.ISO-8859-1"}, "ES"),
        ({"LANG": "C.UTF-8"}, "US"),
        ({"LANG": "POSIX"}, "US"),
        ({"LANG": "en"}, "US"),
        ({}, "US"),
    ],
)
def test_the_locale_gives_the_region_else_us(environ: dict[str, str], region: str) -> None:
    assert locale_region(environ) == region


def test_the_setting_wins_over_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    assert phone_region("") == "FR"
    assert phone_region(" es ") == "ES"


def test_a_region_phonenumbers_does_not_know_is_one_clear_line() -> None:
    assert parse_value("text.phone_region", "gb") == "gb"
    assert Settings.from_mapping({"text": {"phone_region": ""}})[0].text.phone_region == ""
    hint = (
        "phonenumbers knows no such region. Use a two-letter country code such as US, GB or DE, "
        "or leave it empty for the system locale's."
    )
    with pytest.raises(ConfigError) as typed:
        parse_value("text.phone_region", "UK")
    assert typed.value.line() == f"Setting 'text.phone_region' cannot be 'UK': {hint}"
    with pytest.raises(ConfigError) as stored:
        Settings.from_mapping({"text": {"phone_region": "Britain"}})
    assert stored.value.line() == f"Setting 'text.phone_region' cannot be 'Britain': {hint}"


def test_never_speak_is_a_list_like_the_other_word_lists() -> None:
    assert parse_value("text.never_speak", "Voldemort, Project Falcon,") == ("Voldemort", "Project Falcon")
