"""Cutting speakable text into the chunks that the TTS speaks one by one.

The first chunk is the first clause of at least a few words, so speech starts early; after it come whole
sentences, which sound more natural than clause-sized pieces. A cut waits until the next non-space character
shows whether the mark before it really ends a sentence, so any split of the text gives the same chunks.
"""

from __future__ import annotations

import re

_MARK = re.compile(r"[.!?…]+|[,;:]")
_CLOSING = "\"')]}\u201d\u2019\u00bb"
_QUOTES = "\"'\u201d\u2019\u00bb"
_OPENING = "\"'([{\u201c\u2018\u00ab"
_CLAUSE = ",;:"
# Words whose period does not end a sentence (compared without the period, in lower case).
_ABBREVIATIONS = frozenset({"etc", "vs", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr"})
_DOTTED = re.compile(r"[A-Za-z](?:\.[A-Za-z])+")  # e.g, i.e, U.S, a.m
_INITIAL = re.compile(r"[A-Z]")


class SpeechChunker:
    """Cuts streamed speakable text into TTS chunks: first a clause, then whole sentences."""

    def __init__(self, first_chunk_min_words: int = 3) -> None:
        self._min_words = first_chunk_min_words
        self._buf = ""  # text after the last cut
        self._scan = 0  # where the next possible cut is looked for in _buf
        self._first = True

    def feed(self, text: str) -> list[str]:
        """Adds text; returns the chunks that are now complete."""
        self._buf += text
        return self._cut()

    def finish(self) -> list[str]:
        """Ends the text; returns the rest as the last chunk, or nothing if only whitespace is left."""
        rest = " ".join(self._buf.split())
        self._buf, self._scan, self._first = "", 0, True
        return [rest] if rest else []

    def _cut(self) -> list[str]:
        chunks: list[str] = []
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
                # Unknown until more text comes; if none does, finish() takes the rest whole.
                break
            if self._is_cut(buf, mark, after, buf[following]):
                chunks.append(" ".join(buf[:after].split()))
                buf, self._scan, self._first = buf[after:], 0, False
            else:
                self._scan = end
        self._buf = buf
        return chunks

    def _is_cut(self, buf: str, mark: re.Match[str], after: int, following: str) -> bool:
        """Whether to cut after ``buf[:after]``, given the next non-space character."""
        marks = mark.group()
        if following.islower() and any(q in buf[mark.end() : after] for q in _QUOTES):
            return False  # a quoted sentence that the outer sentence goes on after
        ends = self._first if marks in _CLAUSE else _ends_sentence(buf, mark.start(), marks, following)
        return ends and (not self._first or len(buf[:after].split()) >= self._min_words)


def _ends_sentence(buf: str, start: int, marks: str, following: str) -> bool:
    """Whether the end marks at ``start``, followed by whitespace and ``following``, end a sentence."""
    if "!" in marks or "?" in marks:
        return True
    if marks != ".":
        return following.isupper()  # an ellipsis ends a sentence only before a new one
    word_start = start
    while word_start > 0 and not buf[word_start - 1].isspace():
        word_start -= 1
    word = buf[word_start:start].lstrip(_OPENING)
    if word.lower() in _ABBREVIATIONS or _DOTTED.fullmatch(word) or _INITIAL.fullmatch(word):
        return False
    return not (word.lower() == "no" and following.isdigit())


def split_chunks(text: str, first_chunk_min_words: int = 3) -> list[str]:
    """The chunks of a whole text, as ``SpeechChunker`` gives them for any split."""
    chunker = SpeechChunker(first_chunk_min_words)
    return chunker.feed(text) + chunker.finish()
