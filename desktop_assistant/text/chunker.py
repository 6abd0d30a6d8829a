"""Cutting speakable text into the chunks that the TTS speaks one by one.

The first chunk is short, so that speech starts early: about a second of speech. It is the first clause
when that ends within ``first_clause_max_words`` words; else it ends at the first natural word boundary
(``word_cut.py``) after ``first_chunk_words`` words, and if none comes before the clause ends, it is the
clause. No first chunk has fewer than ``first_chunk_min_words`` words: a shorter clause is not cut on.
A chunk cut between words is spoken without a pause after it (``core/heard.py``).

Then the chunks grow back to whole sentences, one step at a time, so that the audio queue grows with them
(a short first chunk followed at once by a long sentence would keep the listener waiting while that is
synthesized): each chunk ends at a boundary one level above the one the chunk before it ended at. After a
cut between words the next chunk ends at the clause's end; after a clause, at the sentence's end; from then
on every chunk is a whole sentence.

Any split of the text gives the same chunks. A cut after a mark waits until the next non-space character
shows whether the mark really ends a sentence; a cut between words waits until the word after it is
complete and the first clause is known to be longer than ``first_clause_max_words``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_assistant.text.word_cut import OPENING, is_abbreviation, word_cut

if TYPE_CHECKING:
    from desktop_assistant.config.settings import TextSettings

_MARK = re.compile(r"[.!?…]+|[,;:]")
_CLOSING = "\"')]}\u201d\u2019\u00bb"
_QUOTES = "\"'\u201d\u2019\u00bb"
_CLAUSE = ",;:"
# The levels a chunk may end at: between words, after a clause, after a sentence.
_WORD, _CLAUSE_END, _SENTENCE_END = range(3)
# (where the chunk ends in the buffer, the level of that boundary)
_Cut = tuple[int, int]


@dataclass(frozen=True)
class ChunkSizing:
    """How long the first chunk is, in words; about 2.7 words are a second of speech.

    The defaults aim at a second of speech, which Kokoro on two cores synthesizes in about 0.45 s (0.15 s
    and 0.26 s per second of speech): a cut between words after 3 words ("The speaker is", 1.1 s), and a
    first clause of up to 4 words (1.5 s) spoken whole, since a cut would save only about 0.1 s there.
    """

    first_chunk_min_words: int = 3  # a first clause or sentence shorter than this is not cut on
    first_chunk_words: int = 3  # a cut between words comes after at least this many words
    first_clause_max_words: int = 4  # a first clause this short is taken whole

    def __post_init__(self) -> None:
        if min(self.first_chunk_min_words, self.first_chunk_words, self.first_clause_max_words) < 1:
            raise ValueError(f"every chunk size must be at least one word: {self}")

    @classmethod
    def from_settings(cls, settings: TextSettings) -> ChunkSizing:
        """The sizing the ``text`` settings describe."""
        return cls(
            settings.first_chunk_min_words, settings.first_chunk_words, settings.first_clause_max_words
        )


class SpeechChunker:
    """Cuts streamed speakable text into TTS chunks: a short first one, growing back to whole sentences."""

    def __init__(self, sizing: ChunkSizing | None = None) -> None:
        self._sizing = sizing or ChunkSizing()
        self._buf = ""  # text after the last cut
        self._scan = 0  # where the next possible cut is looked for in _buf
        self._level = _WORD  # the lowest level the current chunk may end at

    def feed(self, text: str) -> list[str]:
        """Adds text; returns the chunks that are now complete."""
        self._buf += text
        chunks: list[str] = []
        while (cut := self._next_cut()) is not None:
            end, level = cut
            chunks.append(" ".join(self._buf[:end].split()))
            self._buf, self._scan, self._level = self._buf[end:], 0, min(level + 1, _SENTENCE_END)
        return chunks

    def finish(self) -> list[str]:
        """Ends the text; returns the chunks left: the rest is the last, unless only whitespace is left."""
        chunks = self.feed(" ")  # the last word is complete: a cut between words may come before it
        rest = " ".join(self._buf.split())
        self._buf, self._scan, self._level = "", 0, _WORD
        return [*chunks, rest] if rest else chunks

    def _next_cut(self) -> _Cut | None:
        """Where the current chunk ends, or None while the text so far does not tell."""
        buf = self._buf
        while (mark := _MARK.search(buf, self._scan)) is not None:
            end = after = mark.end()
            while after < len(buf) and buf[after] in _CLOSING:
                after += 1
            if after < len(buf) and not buf[after].isspace():
                self._scan = end
                continue
            following = after
            while following < len(buf) and buf[following].isspace():
                following += 1
            if following == len(buf):
                break  # unknown until more text comes; if none does, finish() takes the rest whole
            level = self._mark_level(buf, mark, after, buf[following])
            if level is not None and level >= self._level:
                if self._level > _WORD:
                    return after, level
                if len(buf[:after].split()) >= self._sizing.first_chunk_min_words:
                    return self._first_cut(buf, (after, level))
            self._scan = end
        return self._first_cut(buf, None) if self._level == _WORD else None

    def _first_cut(self, buf: str, clause: _Cut | None) -> _Cut | None:
        """The first chunk's end: ``clause``, the end of the first clause or sentence (None while unknown),
        if it comes within first_clause_max_words words, else a cut between words before it."""
        sizing = self._sizing
        # An unknown end lies at the last word so far or after it.
        words = len(buf[: clause[0]].split() if clause else buf.split())
        if words <= sizing.first_clause_max_words:
            return clause
        cut = word_cut(buf, max(sizing.first_chunk_words, sizing.first_chunk_min_words), words)
        return clause if cut is None else (cut, _WORD)

    def _mark_level(self, buf: str, mark: re.Match[str], after: int, following: str) -> int | None:
        """The level of a cut after ``buf[:after]``, given the next non-space character; None if none."""
        marks = mark.group()
        if following.islower() and any(q in buf[mark.end() : after] for q in _QUOTES):
            return None  # a quoted sentence that the outer sentence goes on after
        if marks in _CLAUSE:
            return _CLAUSE_END
        return _SENTENCE_END if _ends_sentence(buf, mark.start(), marks, following) else None


def _ends_sentence(buf: str, start: int, marks: str, following: str) -> bool:
    """Whether the end marks at ``start``, followed by whitespace and ``following``, end a sentence."""
    if "!" in marks or "?" in marks:
        return True
    if marks != ".":
        return following.isupper()  # an ellipsis ends a sentence only before a new one
    word_start = start
    while word_start > 0 and not buf[word_start - 1].isspace():
        word_start -= 1
    word = buf[word_start:start].lstrip(OPENING)
    return not (is_abbreviation(word) or (word.lower() == "no" and following.isdigit()))


def split_chunks(text: str, sizing: ChunkSizing | None = None) -> list[str]:
    """The chunks of a whole text, as ``SpeechChunker`` gives them for any split."""
    chunker = SpeechChunker(sizing)
    return chunker.feed(text) + chunker.finish()
