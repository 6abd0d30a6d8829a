"""The checks of single setting values (a list setting's items, a text setting) that ``Rule.item_check``
runs, and the parsing they share with the code that uses those values."""

from __future__ import annotations

import re

import phonenumbers

from desktop_assistant.errors import ConfigError, first_line


def compile_pattern(text: str) -> re.Pattern[str]:
    """``text`` compiled; ``ConfigError`` with one clear line when it is not a valid regular expression."""
    try:
        return re.compile(text)
    except re.error as exc:
        raise ConfigError(
            f"The redact pattern {text!r} is not a valid regular expression: {first_line(exc)}",
            "Fix it or remove it from text.redact_patterns.",
        ) from None


def check_pattern(text: str) -> None:
    """Raise ``ConfigError`` when ``text`` is not a valid regular expression."""
    compile_pattern(text)


def check_phone_region(text: str) -> None:
    """Raise ``ConfigError`` unless ``text`` is empty or a region code that phonenumbers knows."""
    if text.strip() and text.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(
            f"Setting 'text.phone_region' cannot be {text!r}: phonenumbers knows no such region",
            "Use a two-letter country code such as US, GB or DE, or leave it empty for the system locale's.",
        )


def split_correction(text: str) -> tuple[str, str]:
    """``heard=meant`` as its two sides, stripped; ``ConfigError`` with one clear line for a missing side."""
    heard, equals, meant = (part.strip() for part in text.partition("="))
    if not equals or not re.search(r"\w", heard) or not meant:
        missing = "no '='" if not equals else "no words before '='" if meant else "nothing after '='"
        raise ConfigError(
            f"The correction {text!r} has {missing}",
            "Write each as heard=meant, e.g. 'comfy eye=ComfyUI', in stt.corrections.",
        )
    return heard, meant


def check_correction(text: str) -> None:
    """Raise ``ConfigError`` when ``text`` is not ``heard=meant``."""
    split_correction(text)
