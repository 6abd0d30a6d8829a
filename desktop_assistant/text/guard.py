"""The guard between the reply and the speaker: block phrases end a reply's speech, private data and
redact patterns are spoken as "redacted", never-speak words as "something".

It reads the chunks that the chunker emits, in order. The chunker cuts after punctuation that a space
follows, which no e-mail address, phone, card or IBAN holds, or between words but never next to a number or
between two capitalized words, so those never straddle two chunks. A block phrase or redact pattern may
hold such a cut ("well, actually"), so each chunk is read together with the chunk before it, and only what
lies in the new chunk changes: what was spoken cannot be taken back. So that none of a block or never-speak
phrase is spoken before the cut, a chunk that ends with its first words waits for the next one
(``ends_inside_phrase``; ``ReplySpeech`` holds it). ``pii.py`` finds the private data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from desktop_assistant.config.item_checks import compile_pattern
from desktop_assistant.config.settings import TextSettings
from desktop_assistant.text import pii

REDACTED = "redacted"
NEVER_SPOKEN = "something"

# A span to change, the rule that found it and what is spoken instead.
_Hit = tuple[int, int, str, str]


@dataclass(frozen=True)
class GuardAction:
    """What the guard did to a reply's speech: ``kind`` is "redacted", "replaced" (a never-speak word) or
    "blocked", ``rule`` the rule that matched (a PII kind, a redact pattern, "never speak" or "block
    phrase"), ``text`` the words it matched and ``span`` where they lie in the reply's spoken text (its
    chunks joined by single spaces)."""

    kind: str
    rule: str
    text: str
    span: tuple[int, int] = (0, 0)


class SpeechGuard:
    """What may be spoken: block phrases, redact patterns, PII redaction and never-speak words, compiled once.

    National phone numbers are read as numbers of ``phone_region`` (empty: the system locale's country).
    The guard itself holds no state; ``for_reply`` gives the per-reply reader of the chunks.
    """

    def __init__(
        self,
        block_phrases: Sequence[str] = (),
        redact_patterns: Sequence[str] = (),
        redact_pii: bool = True,
        phone_region: str = "",
        never_speak: Sequence[str] = (),
    ) -> None:
        self._block = _phrases_pattern(block_phrases)
        self._never = _phrases_pattern(never_speak)
        self._openings = _openings((*block_phrases, *never_speak))
        self._patterns = tuple(compile_pattern(p) for p in redact_patterns)
        self._pii = pii.PiiFinder(pii.phone_region(phone_region)) if redact_pii else None

    @classmethod
    def from_settings(cls, settings: TextSettings) -> SpeechGuard:
        """The guard the ``text`` settings describe; ``ConfigError`` for a pattern that does not compile."""
        return cls(
            settings.block_phrases,
            settings.redact_patterns,
            settings.redact_pii,
            settings.phone_region,
            settings.never_speak,
        )

    def for_reply(self) -> ReplyGuard:
        """A fresh reader for the chunks of one reply."""
        return ReplyGuard(self)

    def ends_inside_phrase(self, text: str) -> bool:
        """Whether ``text`` ends with the first words of a block phrase or never-speak phrase, not all of
        them: the rest may follow in the next chunk, so ``text`` must not be spoken before it is seen."""
        words = tuple(text.casefold().split())
        return any(words[-len(opening) :] == opening for opening in self._openings)

    def block_match(self, text: str, start: int = 0) -> GuardAction | None:
        """The block phrase in ``text`` that reaches past ``start``, as the action it causes (its span
        in ``text``)."""
        if self._block is None:
            return None
        match = next((m for m in self._block.finditer(text) if m.end() > start), None)
        return None if match is None else GuardAction("blocked", "block phrase", match.group(), match.span())

    def redact(self, text: str, start: int = 0) -> tuple[str, list[GuardAction]]:
        """``text[start:]`` with every match of a pattern or PII form in ``text`` spoken as "redacted" and
        every never-speak word as "something", and what was changed by which rule (spans in ``text``)."""
        pieces: list[str] = []
        actions: list[GuardAction] = []
        position = start
        for begin, end, rules, spoken in _merged(self._hits(text)):
            if end <= position:
                continue
            pieces += [text[position : max(begin, position)], spoken]
            begin = max(begin, position)
            kind = "redacted" if spoken == REDACTED else "replaced"
            actions.append(GuardAction(kind, rules, text[begin:end], (begin, end)))
            position = end
        pieces.append(text[position:])
        return "".join(pieces), actions

    def _hits(self, text: str) -> Iterator[_Hit]:
        for pattern in self._patterns:
            rule = f"pattern {pattern.pattern}"
            yield from ((*m.span(), rule, REDACTED) for m in pattern.finditer(text) if m.end() > m.start())
        if self._pii is not None:
            yield from ((*finding, REDACTED) for finding in self._pii.findings(text))
        if self._never is not None:
            yield from ((*m.span(), "never speak", NEVER_SPOKEN) for m in self._never.finditer(text))


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


def _phrases_pattern(phrases: Sequence[str]) -> re.Pattern[str] | None:
    """Any of ``phrases`` as whole words in any case, its words apart by any whitespace; None for none."""
    unique = sorted({" ".join(p.split()) for p in phrases if p.strip()}, key=len, reverse=True)
    alternatives = "|".join(r"\s+".join(map(re.escape, p.split())) for p in unique)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if unique else None


def _openings(phrases: Sequence[str]) -> frozenset[tuple[str, ...]]:
    """The first words of each phrase of two words or more, every proper prefix of them, in lower case."""
    openings: set[tuple[str, ...]] = set()
    for phrase in phrases:
        words = tuple(phrase.casefold().split())
        openings.update(words[:count] for count in range(1, len(words)))
    return frozenset(openings)


def _merged(hits: Iterable[_Hit]) -> list[_Hit]:
    """Overlapping or touching spans joined, in order, with the rules that found them; "redacted" is
    spoken for a join that any redaction is part of."""
    merged: list[_Hit] = []
    for begin, end, rule, spoken in sorted(hits):
        if merged and begin <= merged[-1][1]:
            first, last, rules, was = merged[-1]
            rules = rules if rule in rules.split(", ") else f"{rules}, {rule}"
            merged[-1] = (first, max(end, last), rules, REDACTED if REDACTED in (spoken, was) else was)
        else:
            merged.append((begin, end, rule, spoken))
    return merged
