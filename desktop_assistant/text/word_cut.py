"""Where a chunk may end between two words, for ``chunker.py``: natural word boundaries.

A boundary is natural unless it would split what is said as one unit: never after a function word ("the",
"of", "to", "can", "not"), before "of", after an abbreviation or an initial ("Dr", "e.g", "J"), next to a
number (so "3.5 million", "12 percent", "2,000 years" and a phone or card number stay whole), between two
capitalized words or before a name particle (a name: "New York", "Ludwig van Beethoven"), or next to
punctuation (after a mark is the marks' business; "-la", "&" and "/tmp" hold on to their neighbours). The
spoken form has no spaces inside an e-mail address or code and drops URLs, so no cut falls inside those.
"""

from __future__ import annotations

import re

OPENING = "\"'([{\u201c\u2018\u00ab"
# Words whose period does not end a sentence (compared without the period, in lower case).
_ABBREVIATIONS = frozenset({"etc", "vs", "dr", "mr", "mrs", "ms", "prof", "st", "jr", "sr"})
_DOTTED = re.compile(r"[A-Za-z](?:\.[A-Za-z])+")  # e.g, i.e, U.S, a.m
_INITIAL = re.compile(r"[A-Z]")
_WORD = re.compile(r"\S+")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")


def _words(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


# Words that lean on the word after them (in lower case, with a straight apostrophe): articles,
# prepositions, conjunctions, determiners, subject pronouns, auxiliaries, negation, degree and question words.
_FUNCTION_WORDS = _words(
    "a an the",
    "about above across after against along amid among around as at before behind below beneath beside",
    "besides between beyond by despite down during except for from in inside into like near of off on onto",
    "out outside over past per since than through throughout till to toward towards under underneath unlike",
    "until up upon versus via with within without",
    "and or but nor so yet if because although though while whereas unless whether once that",
    "my your his her its our their whose",
    "this these those each every some any no all both either neither many much few several such another",
    "i you he she it we they there let's",
    "can could will would shall should may might must do does did cannot",
    "can't won't wouldn't couldn't shouldn't don't doesn't didn't",
    "i'll you'll he'll she'll we'll they'll it'll i'd you'd he'd she'd we'd they'd i've you've we've they've",
    "not very too quite rather more most less least just only even",
    "what which who whom how when where why",
)
# Name particles: "Vincent van Gogh", "Leonardo da Vinci".
_PARTICLES = frozenset({"van", "von", "de", "da", "di", "du", "del", "der", "den", "la", "le", "bin", "ibn"})
_NO_CUT_AFTER = _FUNCTION_WORDS | _PARTICLES
_NUMBER_WORDS = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen",
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety",
    "hundred thousand million billion trillion dozen",
)


def is_abbreviation(word: str) -> bool:
    """Whether ``word`` (without its period and opening quotes) is an abbreviation or an initial: "Dr",
    "e.g", "U.S", "J"."""
    return word.lower() in _ABBREVIATIONS or bool(_DOTTED.fullmatch(word) or _INITIAL.fullmatch(word))


def natural_boundary(left: str, right: str) -> bool:
    """Whether speech may break between the whole words ``left`` and ``right``."""
    if not left[-1].isalnum() or not (right[0].isalnum() or right[0] in OPENING):
        return False
    before, after = _bare(left), _bare(right)
    if before in _NO_CUT_AFTER or after == "of" or is_abbreviation(left.lstrip(OPENING)):
        return False
    if _is_number(left) or _is_number(right):
        return False
    return not (_capitalized(left) and (_capitalized(right) or after in _PARTICLES))


def word_cut(text: str, least: int, before: int) -> int | None:
    """Where ``text`` may end at the first natural boundary after at least ``least`` words and before word
    ``before`` ends; None if there is none yet. A boundary counts once the word after it is complete."""
    words = list(_WORD.finditer(text))
    for count in range(least, min(before, len(words))):
        left, right = words[count - 1], words[count]
        if right.end() == len(text):
            return None  # the word after it may still grow
        if natural_boundary(left.group(), right.group()):
            return left.end()
    return None


def _bare(word: str) -> str:
    return _EDGES.sub("", word).lower().replace("\u2019", "'")


def _is_number(word: str) -> bool:
    return any(char.isdigit() for char in word) or _bare(word) in _NUMBER_WORDS


def _capitalized(word: str) -> bool:
    return word.lstrip(OPENING)[:1].isupper()
