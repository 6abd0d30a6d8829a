"""Inline Markdown read aloud: emphasis, code, links, URLs, HTML and emoji, for ``spoken.py``.

``InlineReader`` reads the inline part of one line into a ``SpeechText``, which keeps spacing and sentence
ends tidy. Both work on streamed text: a step that the rest of the line could still change waits.
"""

from __future__ import annotations

import html
import re
import string
import unicodedata

_URL_PREFIXES = ("http://", "https://", "www.")
_URL_TRAILING = ".,;:!?'\"*_~`>]"
_END_PUNCTUATION = ".!?…:;,"
_CLOSING = "\"')]}\u201d\u2019\u00bb"
# Punctuation that closes up on the word before it once the text between them was dropped.
_TIGHT = ",.;:!?)]}…"
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_ESCAPABLE = frozenset(string.punctuation)
_SILENT_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn"})
_WORD = re.compile(r"[^\W_]+")
_MARKUP = re.compile(
    r"<!--.*?-->|</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>|<(?:[A-Za-z][A-Za-z0-9+.-]*:|www\.)[^\s<>]*>"
    r"|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
# Every prefix of a _MARKUP match: while the text seen so far fits, the markup may still complete.
_MARKUP_PREFIX = re.compile(
    r"<(?:!(?:-(?:-.*)?)?|/?(?:[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?)?|[A-Za-z][A-Za-z0-9+.-]*(?::[^\s<>]*)?"
    r"|www\.[^\s<>]*)|&(?:#\d{0,7}|#[xX][0-9a-fA-F]{0,6}|[A-Za-z][A-Za-z0-9]{0,31})?"
)
_LINE_BREAK_TAG = re.compile(r"<br\s*/?>", re.IGNORECASE)
_NOT_LINK = (-1, -1)


def _is_pictograph(ch: str) -> bool:
    """Emoji, pictographs, their joiners and modifiers, and other characters with no spoken form."""
    code = ord(ch)
    category = unicodedata.category(ch)
    if category == "So":
        # Below the arrows block live symbols that are read (©, ®, °, ™); from there on, pictographs.
        return code >= 0x2190
    if category in _SILENT_CATEGORIES:
        return True
    return (
        0x1F3FB <= code <= 0x1F3FF or code == 0x20E3 or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF
    )


def run_end(s: str, i: int) -> int:
    """The end of the run of the character at ``i``."""
    return len(s) - len(s[i:].lstrip(s[i]))


def _matching(s: str, open_at: int) -> int:
    """The index of the bracket closing the one at ``open_at``, or -1 if the text does not hold it."""
    opener, depth = s[open_at], 0
    for index in range(open_at, len(s)):
        if s[index] == opener:
            depth += 1
        elif s[index] == _PAIRS[opener]:
            depth -= 1
            if depth == 0:
                return index
    return -1


def _link_span(s: str, start: int, complete: bool) -> tuple[int, int] | None:
    """(end of link text, end of link) for the ``[`` at ``start``; _NOT_LINK; None while unknown."""
    close = _matching(s, start)
    if close < 0:
        return None
    after = s[close + 1] if close + 1 < len(s) else ""
    if not after and not complete:
        return None
    if after in ("(", "["):
        end = _matching(s, close + 1)
        return None if end < 0 else (close, end + 1)
    if s.startswith("[^", start):
        return (start + 1, close + 1)  # a footnote mark: no text to read
    return _NOT_LINK


class SpeechText:
    """Collects spoken text: drops pictographs, collapses whitespace, tidies around dropped text."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._space = False
        self._gap = False
        self._held = ""  # an opening bracket kept back: if only dropped text fills it, both go
        self._held_space = False
        self._held_gap = False
        self._raw_last = ""
        self.last = ""  # the last character emitted that is not a closing quote or bracket
        self.count = 0

    def gap(self) -> None:
        """Notes that text was dropped here."""
        self._gap = True
        self._held_gap = True

    def put(self, text: str) -> None:
        """Adds text; whitespace becomes at most one space between visible characters."""
        for ch in text:
            if ch.isspace():
                self._space = True
            elif _is_pictograph(ch):
                self.gap()
            elif self._gap and ch in ",.;:" and self._raw_last in _END_PUNCTUATION:
                continue  # "Docs: <url>." reads "Docs:", not "Docs:."
            elif self._held and ch == _PAIRS[self._held] and self._held_gap:
                self._held, self._space, self._gap = "", self._held_space, True
            else:
                self._release()
                if ch in _PAIRS:
                    self._held, self._held_space, self._held_gap = ch, self._space, False
                    self._space = False
                else:
                    self._emit(ch)

    def end_sentence(self) -> None:
        """Ends the text so far with a period unless it already ends with a stop or a pause."""
        if self.count and self.last not in _END_PUNCTUATION:
            self._release()
            self._space = False
            self._emit(".")

    def end(self) -> None:
        """Releases what is held back at the end of the text."""
        self._release()
        self._space = False

    def take(self) -> str:
        """The text emitted since the last call."""
        text = "".join(self._parts)
        self._parts.clear()
        return text

    def _release(self) -> None:
        if self._held:
            ch, inner_space, self._held = self._held, self._space, ""
            self._space = self._held_space
            self._emit(ch)
            self._space = inner_space

    def _emit(self, ch: str) -> None:
        if self._space and self.count and self._raw_last not in _PAIRS and not (self._gap and ch in _TIGHT):
            self._parts.append(" ")
        self._space = self._gap = False
        self._parts.append(ch)
        self._raw_last = ch
        self.count += 1
        if ch not in _CLOSING:
            self.last = ch


class InlineReader:
    """Reads the inline Markdown of one line (emphasis, code, links, URLs, HTML) into a SpeechText."""

    def __init__(self, out: SpeechText) -> None:
        self._out = out
        self._prev = " "
        self._code = False

    def reset(self) -> None:
        """Starts a new line."""
        self._prev, self._code = " ", False

    def read(self, s: str, i: int, complete: bool, heading: bool = False) -> int:
        """Reads ``s`` from ``i`` as far as is safe; returns where it stopped (``len(s)`` when complete)."""
        while i < len(s):
            step = self._step(s, i, complete, heading)
            if step is None:
                break
            self._prev, i = s[step - 1], step
        return i

    def _step(self, s: str, i: int, complete: bool, heading: bool) -> int | None:
        c = s[i]
        if c == "`":
            end = run_end(s, i)
            if end == len(s) and not complete:
                return None
            self._code = not self._code
            return end
        if not self._code:
            if c in "*_~":
                return self._emphasis(s, i, complete)
            if c == "\\":
                if i + 1 == len(s) and not complete:
                    return None
                escaped = i + 1 < len(s) and s[i + 1] in _ESCAPABLE
                self._out.put(s[i + escaped])
                return i + 1 + escaped
            if c in "[!":
                return self._link(s, i, complete)
            if c in "<&":
                return self._markup(s, i, complete)
            if c == "#" and heading and self._prev.isspace():
                return self._closing_hashes(s, i, complete)
        return self._text(s, i, complete)

    def _emphasis(self, s: str, i: int, complete: bool) -> int | None:
        end = run_end(s, i)
        if end == len(s) and not complete:
            return None
        before, after, c = self._prev, s[end] if end < len(s) else " ", s[i]
        literal = (
            (before.isspace() and after.isspace())
            or (c == "~" and end - i == 1)
            or (c == "_" and before.isalnum() and after.isalnum())
            or (c == "*" and before.isdigit() and after.isdigit())
        )
        if literal:
            self._out.put(s[i:end])
        return end

    def _link(self, s: str, i: int, complete: bool) -> int | None:
        """``[text](url)`` reads as text; images and footnote marks read as nothing; the rest is literal."""
        image = s[i] == "!"
        start = i + image
        if start < len(s) and s[start] == "[":
            span = _link_span(s, start, complete)
        else:
            span = None if start == len(s) else _NOT_LINK
        if span is None and not complete:
            return None
        text_end, end = span or _NOT_LINK
        if end < 0:
            self._out.put(s[i])
            return i + 1
        text = s[start + 1 : text_end]
        if image or not text.strip():
            self._out.gap()
        else:
            InlineReader(self._out).read(text, 0, True)
        return end

    def _markup(self, s: str, i: int, complete: bool) -> int | None:
        match = _MARKUP.match(s, i)
        if match is None:
            if not complete and _MARKUP_PREFIX.fullmatch(s, i):
                return None
            self._out.put(s[i])
            return i + 1
        token = match.group()
        if token.startswith("&"):
            self._out.put(html.unescape(token))
        elif _LINE_BREAK_TAG.fullmatch(token):
            self._out.put(" ")
        else:
            self._out.gap()
        return match.end()

    def _closing_hashes(self, s: str, i: int, complete: bool) -> int | None:
        end = run_end(s, i)
        if s[end:].strip(" \t"):
            self._out.put(s[i:end])
            return end
        return len(s) if complete else None

    def _text(self, s: str, i: int, complete: bool) -> int | None:
        if not self._prev.isalnum() and s[i] in "hHwW":
            head = s[i : i + 8].lower()
            if head.startswith(_URL_PREFIXES):
                return self._url(s, i, complete)
            if not complete and i + len(head) == len(s) and any(p.startswith(head) for p in _URL_PREFIXES):
                return None
        word = _WORD.match(s, i)
        end = word.end() if word else i + 1
        self._out.put(s[i:end])
        return end

    def _url(self, s: str, i: int, complete: bool) -> int | None:
        end = i + len(s[i:].split(maxsplit=1)[0])
        if end == len(s) and not complete:
            return None
        url = s[i:end]
        while url and (url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
            url = url[:-1]
        self._out.gap()
        return i + max(len(url), 1)


def speak_inline(text: str) -> str:
    """The spoken form of one complete piece of inline Markdown."""
    out = SpeechText()
    InlineReader(out).read(text, 0, True)
    out.end()
    return out.take()
