"""Markdown to speakable text, converted while the reply streams in.

A reply is read line by line: the start of a line decides its block (heading, list item, fence, table row,
quote, rule), the rest is read inline (emphasis, code, links, URLs, HTML). Every step waits only while the
text seen so far could still mean something else, so any split of a reply gives the same spoken text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from desktop_assistant.text.inline import InlineReader, SpeechText, run_end, speak_inline

CODE_SENTENCE = "The code is on screen."

_FENCE_LINE = re.compile(r"[ \t>]*(`+|~+)\s*")
_REFERENCE = re.compile(r"\[[^\]]+\]:\s*\S+(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*")
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_LIST_MARKER = re.compile(r"(?:[-*+\u2022]|[0-9]{1,9}[.)])(?:[ \t]|$)")
# Line starts that one more character may turn into a heading or list marker.
_MARKER_PREFIX = re.compile(r"#+|[-*+\u2022]|[0-9]{1,9}[.)]?")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r":?-+:?")


_Kind = Enum("_Kind", "TEXT BLANK HEADING ITEM TABLE RULE REFERENCE FENCE_OPEN FENCE_BODY FENCE_CLOSE")
_INLINE_KINDS = frozenset({_Kind.TEXT, _Kind.ITEM, _Kind.HEADING})


@dataclass(frozen=True)
class _Line:
    """What a line is, where its content starts, its quote depth and, for a fence, its marker."""

    kind: _Kind
    start: int
    quote: int = 0
    fence: tuple[str, int] = ("", 0)
    indented: bool = False


class SpokenForm:
    """Incremental Markdown-to-speech converter.

    ``feed`` returns the spoken text that no later delta can change, ``finish`` the rest: for any split of
    a reply, the outputs joined equal ``to_spoken`` of the whole reply. One instance reads one reply.
    """

    def __init__(self) -> None:
        self._out = SpeechText()
        self._inline = InlineReader(self._out)
        self._buf = ""  # the current line and whatever arrived after it
        self._pos = 0
        self._line: _Line | None = None
        self._fence: tuple[str, int] | None = None
        self._quote = 0
        self._open: _Kind | None = None  # the paragraph or list item that the next block ends
        self._open_at = 0  # output count where that block, heading or table row began
        self._code_said_at = -1

    def feed(self, delta: str) -> str:
        """Adds a piece of the reply; returns the newly final spoken text (may be "")."""
        self._buf += delta
        self._read(final=False)
        return self._out.take()

    def finish(self) -> str:
        """Ends the reply; returns the spoken text still held back."""
        self._read(final=True)
        if self._open is _Kind.ITEM:
            self._end_block()
        self._open = None
        self._out.end()
        return self._out.take()

    def _read(self, final: bool) -> None:
        while True:
            newline = self._buf.find("\n")
            if newline < 0 and final and not self._buf:
                return
            line = self._buf if newline < 0 else self._buf[:newline]
            if not self._read_line(line, complete=newline >= 0 or final):
                return
            self._buf = "" if newline < 0 else self._buf[newline + 1 :]
            self._pos, self._line = 0, None
            if newline < 0:
                return

    def _read_line(self, line: str, complete: bool) -> bool:
        """Reads what is safe of the current line; True once it is complete and done."""
        if self._line is None:
            self._line = self._classify(line, complete)
            if self._line is None:
                return False
            self._begin(self._line)
            self._pos = self._line.start
        kind = self._line.kind
        if kind is _Kind.TABLE:
            self._table(line[self._line.start :])
        elif kind in _INLINE_KINDS:
            self._pos = self._inline.read(line, self._pos, complete, heading=kind is _Kind.HEADING)
        if not complete:
            return False
        if kind in (_Kind.HEADING, _Kind.TABLE) and self._out.count > self._open_at:
            self._out.end_sentence()
        return True

    def _classify(self, s: str, complete: bool) -> _Line | None:
        """What the line is, or None while its start could still become something else."""
        n = len(s)
        if self._fence is not None:
            if not complete:
                return None
            marker = _FENCE_LINE.fullmatch(s)
            fence = marker.group(1) if marker else ""
            closes = fence[:1] == self._fence[0] and len(fence) >= self._fence[1]
            return _Line(_Kind.FENCE_CLOSE if closes else _Kind.FENCE_BODY, n, self._quote)
        i = quote = 0
        while i < n and s[i] in " \t>":
            quote += s[i] == ">"
            i += 1
        if i == n:
            return _Line(_Kind.BLANK, n, quote) if complete else None
        c, end = s[i], run_end(s, i)
        if not complete and _MARKER_PREFIX.fullmatch(s, i):
            return None
        if c in "`~" and (end - i >= 3 or end == n):
            if not complete:
                return None
            if end - i >= 3 and (c == "~" or "`" not in s[end:]):
                return _Line(_Kind.FENCE_OPEN, n, quote, (c, end - i))
        if marker := _HEADING.match(s, i):
            return _Line(_Kind.HEADING, marker.end(), quote)
        if c in "-*_+=" and set(s[i:]) <= {c, " ", "\t"}:
            if not complete:
                return None
            if c != "+" and s.count(c) >= 3:
                return _Line(_Kind.RULE, n, quote)
        if marker := _LIST_MARKER.match(s, i):
            return _Line(_Kind.ITEM, marker.end(), quote)
        if c == "|":
            return _Line(_Kind.TABLE, i, quote) if complete else None
        if c == "[":
            close = s.find("]", i)
            if (close < 0 or close + 1 == n or s[close + 1] == ":") and not complete:
                return None
            if _REFERENCE.fullmatch(s, i):
                return _Line(_Kind.REFERENCE, n, quote)
        return _Line(_Kind.TEXT, i, quote, indented=s[:1] in (" ", "\t"))

    def _begin(self, line: _Line) -> None:
        """Separates the line from what came before and starts its block."""
        if line.kind is _Kind.FENCE_BODY:
            return
        if line.kind is _Kind.FENCE_CLOSE:
            self._fence = None
            return
        # An item goes on over indented lines only; a paragraph over any plain line.
        continues = line.kind is _Kind.TEXT and line.quote == self._quote and self._open is not None
        continues = continues and (self._open is _Kind.TEXT or line.indented)
        if not continues:
            self._end_block()
        self._quote = line.quote
        self._out.put(" ")
        self._inline.reset()
        if line.kind in (_Kind.TEXT, _Kind.ITEM) and not continues:
            self._open, self._open_at = line.kind, self._out.count
        elif line.kind in (_Kind.HEADING, _Kind.TABLE):
            self._open_at = self._out.count
        elif line.kind is _Kind.FENCE_OPEN:
            self._fence = line.fence
            if self._code_said_at != self._out.count:
                self._out.put(f"{CODE_SENTENCE} ")
                self._code_said_at = self._out.count

    def _end_block(self) -> None:
        if self._open is not None and self._out.count > self._open_at:
            self._out.end_sentence()
        self._open = None

    def _table(self, row: str) -> None:
        """A table row reads as its cells separated by commas; a separator row reads as nothing."""
        cells = [cell.strip() for cell in _CELL_SPLIT.split(row.strip().removeprefix("|"))]
        if not cells[-1]:
            cells.pop()
        if cells and all(_SEPARATOR_CELL.fullmatch(cell) for cell in cells):
            return
        self._out.put(", ".join(text for text in map(speak_inline, cells) if text))


def to_spoken(markdown: str) -> str:
    """The speakable form of a whole Markdown reply."""
    form = SpokenForm()
    return form.feed(markdown) + form.finish()
