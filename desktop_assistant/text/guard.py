"""The guard between the reply and the speaker: block phrases end a reply's speech, private data is spoken
as "redacted".

It reads the chunks that the chunker emits, in order. The chunker cuts after punctuation that a space
follows, which no e-mail address, phone, card or IBAN holds, or between words but never next to a number or
between two capitalized words, so those never straddle two chunks. A block phrase or redact pattern may
hold such a cut ("well, actually"), so each chunk is read together with the chunk before it, and only what
lies in the new chunk changes: what was spoken cannot be taken back.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from desktop_assistant.config.settings import TextSettings, compile_pattern

REDACTED = "redacted"

Span = tuple[int, int]
# A span to redact and the rule that found it.
Finding = tuple[int, int, str]


@dataclass(frozen=True)
class GuardAction:
    """What the guard did to a reply's speech: ``kind`` is "redacted" or "blocked", ``rule`` the rule
    that matched (a PII kind, a redact pattern or a block phrase), ``text`` the words it matched and
    ``span`` where they lie in the reply's spoken text (its chunks joined by single spaces)."""

    kind: str
    rule: str
    text: str
    span: tuple[int, int] = (0, 0)


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

    def block_match(self, text: str, start: int = 0) -> GuardAction | None:
        """The block phrase in ``text`` that reaches past ``start``, as the action it causes (its span
        in ``text``)."""
        if self._block is None:
            return None
        match = next((m for m in self._block.finditer(text) if m.end() > start), None)
        return None if match is None else GuardAction("blocked", "block phrase", match.group(), match.span())

    def redact(self, text: str, start: int = 0) -> tuple[str, list[GuardAction]]:
        """``text[start:]`` with every match of a pattern or PII form in ``text`` spoken as "redacted",
        and what was redacted by which rule (spans in ``text``)."""
        pieces: list[str] = []
        actions: list[GuardAction] = []
        position = start
        for begin, end, rules in _merged(self._redactions(text)):
            if end <= position:
                continue
            pieces += [text[position : max(begin, position)], REDACTED]
            begin = max(begin, position)
            actions.append(GuardAction("redacted", rules, text[begin:end], (begin, end)))
            position = end
        pieces.append(text[position:])
        return "".join(pieces), actions

    def _redactions(self, text: str) -> Iterator[Finding]:
        for pattern in self._patterns:
            rule = f"pattern {pattern.pattern}"
            yield from ((*m.span(), rule) for m in pattern.finditer(text) if m.end() > m.start())
        if self._redact_pii:
            yield from pii_findings(text)


class ReplyGuard:
    """Screens the chunks of one reply in order; after a block phrase, nothing more of it is spoken.

    ``actions`` lists what it redacted and blocked so far, in order.
    """

    def __init__(self, guard: SpeechGuard) -> None:
        self._guard = guard
        self._previous = ""  # the chunk before, for a phrase or pattern that spans the cut
        self._previous_at = 0  # where it starts in the reply's spoken text
        self._blocked = False
        self.actions: list[GuardAction] = []

    def screen(self, chunk: str) -> str | None:
        """The chunk as it may be spoken, or None once the reply reached a block phrase."""
        if self._blocked:
            return None
        start = len(self._previous) + 1 if self._previous else 0
        text = f"{self._previous} {chunk}" if self._previous else chunk
        block = self._guard.block_match(text, start)
        if block is not None:
            self._blocked = True
            self.actions.append(self._in_reply(block))
            return None
        spoken, actions = self._guard.redact(text, start)
        self.actions += map(self._in_reply, actions)
        self._previous, self._previous_at = chunk, self._previous_at + start
        return spoken

    def _in_reply(self, action: GuardAction) -> GuardAction:
        """``action`` with its span moved from the screened text to the reply's spoken text."""
        begin, end = action.span
        return dataclasses.replace(action, span=(self._previous_at + begin, self._previous_at + end))


def pii_findings(text: str) -> Iterator[Finding]:
    """Where ``text`` holds an e-mail address, a phone number, a payment card number or an IBAN."""
    yield from ((*m.span(), "e-mail address") for m in _EMAIL.finditer(text))
    for m in _PHONE.finditer(text):
        if _digit_count(m.group()) >= _PHONE_MIN_DIGITS:
            yield (*m.span(), "phone number")
    for run in _DIGIT_RUN.finditer(text):
        for span in _valid_windows(text, _DIGITS.finditer(text, run.start(), run.end()), _is_card):
            yield (*span, "card number")
    for run in _IBAN_RUN.finditer(text):
        for span in _valid_windows(text, _IBAN_GROUP.finditer(text, run.start(), run.end()), _is_iban):
            yield (*span, "IBAN")


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


def _merged(findings: Iterable[Finding]) -> list[Finding]:
    """Overlapping or touching spans joined, in order, with the rules that found them."""
    merged: list[Finding] = []
    for begin, end, rule in sorted(findings):
        if merged and begin <= merged[-1][1]:
            first, last, rules = merged[-1]
            rules = rules if rule in rules.split(", ") else f"{rules}, {rule}"
            merged[-1] = (first, max(end, last), rules)
        else:
            merged.append((begin, end, rule))
    return merged
