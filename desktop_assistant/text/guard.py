"""The guard between the reply and the speaker: block phrases end a reply's speech, private data is spoken
as "redacted".

It reads the chunks that the chunker emits, in order. The chunker cuts only after punctuation that a space
follows, which no e-mail address, phone, card or IBAN holds, so those never straddle two chunks. A block
phrase or redact pattern may hold such a cut ("well, actually"), so each chunk is read together with the
chunk before it, and only what lies in the new chunk changes: what was spoken cannot be taken back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from desktop_assistant.config.settings import TextSettings, compile_pattern

REDACTED = "redacted"

Span = tuple[int, int]

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<![\w+.\-/])(?:"  # not inside a word, a longer number or a version
    # +49 30 1234567, +1 (555) 123-4567; a separator between later groups keeps the match linear
    r"(?:\+|00)\d{1,3}(?:[ .\-]?\(\d{1,4}\))?[ .\-]?\d+(?:[ .\-]\d+)*"
    r"|(?:1[ .\-])?(?:\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4}"  # (555) 123-4567, 1-800-555-1234
    r"|[2-9]\d{2}-\d{4}"  # 555-1234
    r"|(?:0\d{1,4}|\(0\d{1,4}\))(?:[ /\-]\d{3,})+"  # 030 1234567, 0151/23456789, (020) 7946 0958
    r"|0[1-9](?P<sep>[ .\-])\d{2}(?:(?P=sep)\d{2}){3}"  # 01 23 45 67 89
    r")(?![\w+]|[.\-/]\d)"
)
_PHONE_MIN_DIGITS = 7
_DIGIT_RUN = re.compile(r"(?<![\w.,])\d+(?:[ \-]\d+)*(?!\w)")
_DIGITS = re.compile(r"\d+")
_CARD_DIGITS = range(13, 20)
_IBAN_RUN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}[A-Z0-9]*(?: [A-Z0-9]+)*(?!\w)")
_IBAN_GROUP = re.compile(r"[A-Z0-9]+")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_MAX_GROUPS = 34  # no card or IBAN has more groups than characters, and an IBAN has at most 34


class SpeechGuard:
    """What may be spoken: block phrases, redact patterns and PII redaction, compiled once.

    The guard itself holds no state; ``for_reply`` gives the per-reply reader of the chunks.
    """

    def __init__(
        self, block_phrases: Sequence[str] = (), redact_patterns: Sequence[str] = (), redact_pii: bool = True
    ) -> None:
        phrases = sorted({" ".join(p.split()) for p in block_phrases if p.strip()}, key=len, reverse=True)
        alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in phrases)
        self._block = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if phrases else None
        self._patterns = tuple(compile_pattern(p) for p in redact_patterns)
        self._redact_pii = redact_pii

    @classmethod
    def from_settings(cls, settings: TextSettings) -> SpeechGuard:
        """The guard the ``text`` settings describe; ``ConfigError`` for a pattern that does not compile."""
        return cls(settings.block_phrases, settings.redact_patterns, settings.redact_pii)

    def for_reply(self) -> ReplyGuard:
        """A fresh reader for the chunks of one reply."""
        return ReplyGuard(self)

    def blocks(self, text: str, start: int = 0) -> bool:
        """Whether a block phrase occurs in ``text`` and reaches past ``start``."""
        return self._block is not None and any(m.end() > start for m in self._block.finditer(text))

    def redact(self, text: str, start: int = 0) -> str:
        """``text[start:]`` with every match of a pattern or PII form in ``text`` spoken as "redacted"."""
        pieces: list[str] = []
        position = start
        for begin, end in _merged(self._redactions(text)):
            if end <= position:
                continue
            pieces += [text[position : max(begin, position)], REDACTED]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def _redactions(self, text: str) -> Iterator[Span]:
        for pattern in self._patterns:
            yield from (m.span() for m in pattern.finditer(text) if m.end() > m.start())
        if self._redact_pii:
            yield from pii_spans(text)


class ReplyGuard:
    """Screens the chunks of one reply in order; after a block phrase, nothing more of it is spoken."""

    def __init__(self, guard: SpeechGuard) -> None:
        self._guard = guard
        self._previous = ""  # the chunk before, for a phrase or pattern that spans the cut
        self._blocked = False

    def screen(self, chunk: str) -> str | None:
        """The chunk as it may be spoken, or None once the reply reached a block phrase."""
        if self._blocked:
            return None
        start = len(self._previous) + 1 if self._previous else 0
        text = f"{self._previous} {chunk}" if self._previous else chunk
        if self._guard.blocks(text, start):
            self._blocked = True
            return None
        self._previous = chunk
        return self._guard.redact(text, start)


def pii_spans(text: str) -> Iterator[Span]:
    """Where ``text`` holds an e-mail address, a phone number, a payment card number or an IBAN."""
    yield from (m.span() for m in _EMAIL.finditer(text))
    yield from (m.span() for m in _PHONE.finditer(text) if _digit_count(m.group()) >= _PHONE_MIN_DIGITS)
    for run in _DIGIT_RUN.finditer(text):
        yield from _valid_windows(text, _DIGITS.finditer(text, run.start(), run.end()), _is_card)
    for run in _IBAN_RUN.finditer(text):
        yield from _valid_windows(text, _IBAN_GROUP.finditer(text, run.start(), run.end()), _is_iban)


def _valid_windows(
    text: str, groups: Iterable[re.Match[str]], valid: Callable[[str], bool]
) -> Iterator[Span]:
    """The longest runs of whole groups that are ``valid``, left to right, so that a number next to a card
    or an IBAN does not hide it."""
    spans = [m.span() for m in groups]
    first = 0
    while first < len(spans):
        for last in range(min(len(spans), first + _MAX_GROUPS) - 1, first - 1, -1):
            if valid(text[spans[first][0] : spans[last][1]]):
                yield spans[first][0], spans[last][1]
                first = last + 1
                break
        else:
            first += 1


def _is_card(text: str) -> bool:
    """13 to 19 digits, one kind of separator, a card network's first digits and a valid Luhn check."""
    digits = "".join(_DIGITS.findall(text))
    if len(digits) not in _CARD_DIGITS or len(set(_DIGITS.sub("", text))) > 1:
        return False
    network = digits[0] in "3456" or 2221 <= int(digits[:4]) <= 2720
    return network and _luhn_valid(digits)


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_iban(text: str) -> bool:
    """A country code, check digits and an account of 15 to 34 characters in all, whose mod-97 check is 1."""
    compact = text.replace(" ", "")
    if not _IBAN.fullmatch(compact):
        return False
    return int("".join(str(int(char, 36)) for char in compact[4:] + compact[:4])) % 97 == 1


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _merged(spans: Iterable[Span]) -> list[Span]:
    """Overlapping or touching spans joined, in order."""
    merged: list[Span] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged
