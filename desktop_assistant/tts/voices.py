"""What language a Kokoro voice speaks, from the first letter of its name (``af_heart``: American English)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Kokoro v1.0's naming: the first letter is the language, the second the voice's sex.
LANGUAGES = {
    "a": "American English",
    "b": "British English",
    "e": "Spanish",
    "f": "French",
    "h": "Hindi",
    "i": "Italian",
    "j": "Japanese",
    "p": "Brazilian Portuguese",
    "z": "Mandarin Chinese",
}
ENGLISH_PREFIXES = ("a", "b")
# Voices an English-speaking default falls back to, best first.
PREFERRED_VOICES = ("af_heart", "af_bella", "am_michael", "bf_emma")


def voice_language(name: str) -> str:
    """The language a voice speaks, or "an unknown language" for a name outside Kokoro's scheme."""
    return (
        LANGUAGES.get(name[:1], "an unknown language") if name[1:3] in ("f_", "m_") else "an unknown language"
    )


def languages_of(names: Iterable[str]) -> list[str]:
    """The languages of a voices file's voices, each once, in the order of ``LANGUAGES``."""
    found = {voice_language(name) for name in names}
    return [language for language in LANGUAGES.values() if language in found]


def english_voices(names: Iterable[str]) -> list[str]:
    """The voices that speak English, in the given order."""
    return [name for name in names if name[:1] in ENGLISH_PREFIXES and name[1:3] in ("f_", "m_")]


def speaks_english(language: str) -> bool:
    """Whether a ``tts.language`` setting (``en-us``, ``en-gb``, ``ja``…) is English."""
    return language.lower().startswith("en")


def voice_to_use(current: str, names: Sequence[str], english: bool) -> str:
    """The voice to speak with from a voices file's ``names``: ``current`` where the file has it (and,
    for ``english`` settings, it speaks English), else the best English voice, else the first voice."""
    if current in names and (not english or english_voices([current])):
        return current
    preferred = [v for v in PREFERRED_VOICES if v in names] + english_voices(names)
    if preferred:
        return preferred[0]
    return current if current in names or not names else sorted(names)[0]
