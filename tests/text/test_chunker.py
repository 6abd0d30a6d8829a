"""Cutting speakable text into TTS chunks: the first clause, then whole sentences, the same for any split."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_assistant.text.chunker import SpeechChunker, split_chunks
from desktop_assistant.text.spoken import SpokenForm


def chunks_in_pieces(text: str, cuts: list[int], min_words: int = 3) -> list[str]:
    """The chunks of a SpeechChunker fed ``text`` cut at ``cuts``, then finished."""
    chunker = SpeechChunker(min_words)
    bounds = [0, *sorted(cuts), len(text)]
    chunks = [chunk for a, b in itertools.pairwise(bounds) for chunk in chunker.feed(text[a:b])]
    return chunks + chunker.finish()


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        (
            "Sure, I can help with that. The answer is 42.",
            ["Sure, I can help with that.", "The answer is 42."],
        ),
        (
            "Well, the capital of France is Paris, a city of 2,000 years. Dr. Smith agrees.",
            ["Well, the capital of France is Paris,", "a city of 2,000 years.", "Dr. Smith agrees."],
        ),
        ("Yes. Of course, gladly. Go on.", ["Yes. Of course,", "gladly.", "Go on."]),
        (
            "First of all; then, more, and more. Next, one. Last!",
            ["First of all;", "then, more, and more.", "Next, one.", "Last!"],
        ),
        ("Note the time: noon. Ok? Ok!", ["Note the time:", "noon.", "Ok?", "Ok!"]),
        ("Short", ["Short"]),
        ("Two words.", ["Two words."]),
        ("", []),
        ("   \n ", []),
    ],
)
def test_first_clause_then_whole_sentences(text: str, chunks: list[str]) -> None:
    assert split_chunks(text) == chunks


@pytest.mark.parametrize(
    ("text", "min_words", "chunks"),
    [
        ("Sure. I can help, of course.", 1, ["Sure.", "I can help, of course."]),
        ("Sure, I can help, of course. Fine.", 1, ["Sure,", "I can help, of course.", "Fine."]),
        ("One two, three four five, six. Seven.", 5, ["One two, three four five,", "six.", "Seven."]),
    ],
)
def test_first_chunk_minimum_words(text: str, min_words: int, chunks: list[str]) -> None:
    assert split_chunks(text, min_words) == chunks


# Each case is a middle sentence: "Here we go." comes first and "Done." after it.
@pytest.mark.parametrize(
    "sentence",
    [
        "We use tools, e.g. saws and i.e. hammers.",
        "It has fruit, apples etc. and more.",
        "Red vs. Blue is on today.",
        "Ask Dr. Who and Mr. Bean today.",
        "Ask Mrs. Doe and Ms. Roe and Prof. Ray.",
        "He lives on Main St. Louis is far.",
        "Bob Jr. and Bob Sr. came too.",
        "Born in the U.S. and raised in the U.K. too.",
        "We met at 9 a.m. Today at 5 p.m. Again.",
        "Room No. 5 is free now.",
        "I read J. R. R. Tolkien twice.",
        "Pi is 3.14 in v1.2.3 of it.",
        "Well... maybe not today.",
        "Wait for it… later then.",
        'He said "Stop." and then left.',
        'She asked "why?" and smiled.',
        "It costs 1,000 or 2,500 dollars, roughly.",
        "The time is 10:30 sharp; be there.",
    ],
)
def test_marks_that_do_not_cut(sentence: str) -> None:
    assert split_chunks(f"Here we go. {sentence} Done.") == ["Here we go.", sentence, "Done."]


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        ("I waited a long time... Then it came.", ["I waited a long time...", "Then it came."]),
        ("I waited a long time… Then it came.", ["I waited a long time…", "Then it came."]),
        ("I said no to that. No. I will not.", ["I said no to that.", "No.", "I will not."]),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        ("Is it (really?) Yes it is.", ["Is it (really?)", "Yes it is."]),
        ("What now?! We go.", ["What now?!", "We go."]),
        ("The end is near.\nNew line here.", ["The end is near.", "New line here."]),
        ("Spaces   inside    stay   single. Yes.", ["Spaces inside stay single.", "Yes."]),
        ("Ask Dr. Who. Dr. Who answers.", ["Ask Dr. Who.", "Dr. Who answers."]),
    ],
)
def test_marks_that_cut(text: str, chunks: list[str]) -> None:
    assert split_chunks(f"Here we go. {text}") == ["Here we go.", *chunks]


def test_a_mark_at_the_end_of_the_buffer_waits_for_the_next_character() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("I can help with that.") == []
    assert chunker.feed(" ") == []
    assert chunker.feed("T") == ["I can help with that."]
    assert chunker.feed("hen Dr.") == []
    assert chunker.feed(" Smith") == []
    assert chunker.feed(" came.") == []
    assert chunker.finish() == ["Then Dr. Smith came."]


def test_first_clause_is_ready_as_soon_as_the_next_word_starts() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("Well, the capital of France is Paris,") == []
    assert chunker.feed(" a") == ["Well, the capital of France is Paris,"]


def test_finish_flushes_the_rest_and_never_returns_blank_chunks() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("The answer is 42. ") == []
    assert chunker.finish() == ["The answer is 42."]
    assert chunker.feed("  ") == []
    assert chunker.finish() == []


TOKENS = [
    *["Hello", "world", "the", "It", "and", "x", "5", "Dr.", "e.g.", "3.14", "1,000", "J.", "No.", "no"],
    *[
        "etc.",
        "U.S.",
        "a.m.",
        ".",
        ",",
        "!",
        "?",
        "...",
        "…",
        ":",
        ";",
        '"',
        ")",
        "(",
        "'",
        " ",
        "  ",
        "\n",
        "\t",
    ],
]
speakable_text = st.lists(st.sampled_from(TOKENS), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(speakable_text, st.integers(1, 5), st.data())
def test_any_split_gives_the_same_chunks(text: str, min_words: int, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    chunks = chunks_in_pieces(text, cuts, min_words)
    assert chunks == split_chunks(text, min_words)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert " ".join(chunks) == " ".join(text.split())
    if len(text.split()) >= min_words:
        assert len(chunks[0].split()) >= min_words


@settings(max_examples=100, deadline=None)
@given(speakable_text)
def test_character_by_character_gives_the_same_chunks(text: str) -> None:
    assert chunks_in_pieces(text, list(range(len(text)))) == split_chunks(text)


REPLY = (
    "Sure! Here's how to list files in **Python**:\n\n"
    "```python\nimport os\nprint(os.listdir('.'))\n```\n\n"
    "See the [os docs](https://docs.python.org/3/library/os.html) for more, e.g. `os.scandir()`. "
    "It's *easy* 🎉, really.\n"
    "- Works on Linux\n"
    "- Works on Windows\n"
)


def test_streamed_markdown_reply_becomes_speakable_chunks() -> None:
    form, chunker = SpokenForm(), SpeechChunker()
    chunks: list[str] = []
    for token in re.findall(r"\s*\S{1,3}|\s+", REPLY):  # LLM-like tokens, splitting words and markers
        chunks += chunker.feed(form.feed(token))
    chunks += chunker.feed(form.finish()) + chunker.finish()
    assert chunks == [
        "Sure! Here's how to list files in Python:",
        "The code is on screen.",
        "See the os docs for more, e.g. os.scandir().",
        "It's easy, really.",
        "Works on Linux.",
        "Works on Windows.",
    ]
