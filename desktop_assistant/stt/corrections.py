"""The correction table: words Whisper writes for a name it does not know, replaced by the name.

Each ``heard=meant`` entry is compared, by edit distance (rapidfuzz's ``fuzz.ratio``), with every run of
whole words in a transcript that has as many words as its heard side, one fewer or one more. Words are
compared lower-cased and run together, so "Zorbletics", "Zorb-letics" and "zorb letics" are all close to
"zorblatix". A run never spans punctuation other than a hyphen, and never starts or ends inside a word.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from desktop_assistant.config.item_checks import split_correction
from desktop_assistant.config.settings import SttSettings
from desktop_assistant.stt.base import Transcriber, Transcript

_APOSTROPHES = "'\u2019"
_WORD = re.compile(rf"\w+(?:[{_APOSTROPHES}]\w+)*")
_NO_APOSTROPHES = str.maketrans("", "", _APOSTROPHES)
# What may lie between two words of one match: spaces and hyphens, nothing that ends a clause.
_JOINER = re.compile(r"[\s\-]*")
_SENTENCE_START = re.compile(r"(?:^|[.!?])\s*$")


def _compact(words: Sequence[str]) -> str:
    return "".join(words).casefold().translate(_NO_APOSTROPHES)


@dataclass(frozen=True)
class Correction:
    """One entry: what Whisper writes (``heard``) and what the user meant."""

    heard: str
    meant: str

    @classmethod
    def parse(cls, text: str) -> Correction:
        """``heard=meant`` as a correction; ``ConfigError`` when a side is missing."""
        return cls(*split_correction(text))

    @property
    def word_count(self) -> int:
        """How many words the heard side has."""
        return len(_WORD.findall(self.heard))


@dataclass(frozen=True)
class _Match:
    """A run of words (by index) that scored ``score`` against a heard side."""

    score: float
    first: int
    last: int
    meant: str


class CorrectionTable:
    """The corrections compiled once; ``apply`` rewrites a transcript with the best matches."""

    def __init__(self, corrections: Sequence[Correction], threshold: float) -> None:
        self._threshold = threshold
        # Entries grouped by their heard side's word count: each group is scored in one rapidfuzz call.
        self._groups: dict[int, tuple[list[str], list[str]]] = {}
        for correction in corrections:
            heard, meant = self._groups.setdefault(correction.word_count, ([], []))
            heard.append(_compact(_WORD.findall(correction.heard)))
            meant.append(correction.meant)

    @classmethod
    def from_settings(cls, settings: SttSettings) -> CorrectionTable:
        """The table of ``stt.corrections`` with ``stt.correction_threshold``."""
        return cls([Correction.parse(item) for item in settings.corrections], settings.correction_threshold)

    def apply(self, text: str) -> str:
        """``text`` with each run of words close enough to a heard side replaced by its meant form.

        The best-scoring matches win, then the longer and the earlier; matches never overlap.
        """
        if not self._groups:
            return text
        words = list(_WORD.finditer(text))
        chosen: list[_Match] = []
        taken = [False] * len(words)
        matches = self._matches(words, _joins(text, words))
        for match in sorted(matches, key=lambda m: (-m.score, m.first - m.last, m.first)):
            if not any(taken[match.first : match.last + 1]):
                taken[match.first : match.last + 1] = [True] * (match.last - match.first + 1)
                chosen.append(match)
        out = text
        for match in sorted(chosen, key=lambda m: m.first, reverse=True):
            start, end = words[match.first].start(), words[match.last].end()
            out = out[:start] + _cased(match.meant, text, start) + out[end:]
        return out

    def _matches(self, words: list[re.Match[str]], joins: list[bool]) -> list[_Match]:
        found: list[_Match] = []
        for count, (heard, meant) in self._groups.items():
            spans = [
                (first, last)
                for size in sorted({max(1, count - 1), count, count + 1})
                for first in range(len(words) - size + 1)
                if all(joins[first : (last := first + size - 1)])
            ]
            if not spans:
                continue
            runs = [_compact([w.group() for w in words[a : b + 1]]) for a, b in spans]
            scores: npt.NDArray[np.float32] = process.cdist(
                runs, heard, scorer=fuzz.ratio, score_cutoff=self._threshold, dtype=np.float32
            )
            # Below the cutoff rapidfuzz writes 0, which a threshold of 0 must not take for a match.
            for row, column in zip(*np.nonzero(scores >= max(self._threshold, 1e-6)), strict=True):
                first, last = spans[row]
                found.append(_Match(float(scores[row, column]), first, last, meant[column]))
        return found


def _joins(text: str, words: list[re.Match[str]]) -> list[bool]:
    """For each word but the last, whether only spaces or hyphens lie between it and the next."""
    return [_JOINER.fullmatch(text, a.end(), b.start()) is not None for a, b in itertools.pairwise(words)]


def _cased(meant: str, text: str, start: int) -> str:
    """``meant`` as written, but with a capital where heard words start a sentence with one."""
    if meant[:1].islower() and text[start].isupper() and _SENTENCE_START.search(text, 0, start):
        return meant[0].upper() + meant[1:]
    return meant


class CorrectedTranscriber:
    """A ``Transcriber`` whose transcripts pass through a correction table."""

    def __init__(self, transcriber: Transcriber, table: CorrectionTable) -> None:
        self._transcriber = transcriber
        self._table = table

    def transcribe(self, audio: npt.NDArray[np.float32]) -> Transcript:
        """Transcribe with the wrapped transcriber, then apply the corrections to the text."""
        heard = self._transcriber.transcribe(audio)
        return Transcript(self._table.apply(heard.text), heard.language, heard.audio_s)
