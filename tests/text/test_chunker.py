"""Cutting speakable text into TTS chunks: a short first chunk, growing back to whole sentences, the same
for any split."""

from __future__ import annotations

import dataclasses
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_assistant.config.settings import TextSettings
from desktop_assistant.text.chunker import ChunkSizing, SpeechChunker, split_chunks
from desktop_assistant.text.spoken import SpokenForm, to_spoken
from desktop_assistant.text.word_cut import natural_boundary

# The first clause whole, however long: the chunks before cuts between words.
WHOLE_CLAUSE = ChunkSizing(first_clause_max_words=1000)
KENNEDY = "The speaker is John F. Kennedy, at home."
BENCH_REPLY = (
    "The speaker is John F. Kennedy, at his inauguration in January 1961. "
    "He asks Americans to think about what they can give to their country. "
    "It is one of the most quoted lines of any American president."
)


def chunks_in_pieces(text: str, cuts: list[int], sizing: ChunkSizing | None = None) -> list[str]:
    """The chunks of a SpeechChunker fed ``text`` cut at ``cuts``, then finished."""
    chunker = SpeechChunker(sizing)
    bounds = [0, *sorted(cuts), len(text)]
    chunks = [chunk for a, b in itertools.pairwise(bounds) for chunk in chunker.feed(text[a:b])]
    return chunks + chunker.finish()


def test_the_bench_reply_starts_with_about_a_second_of_speech() -> None:
    assert split_chunks(BENCH_REPLY) == [
        "The speaker is",
        "John F. Kennedy,",
        "at his inauguration in January 1961.",
        "He asks Americans to think about what they can give to their country.",
        "It is one of the most quoted lines of any American president.",
    ]


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        # A long first clause is cut between words, at the first natural boundary after three words.
        (
            "Sure, I can help with that. The answer is 42.",
            ["Sure, I can help", "with that.", "The answer is 42."],
        ),
        (
            "Well, the capital of France is Paris, a city of 2,000 years. Dr. Smith agrees.",
            ["Well, the capital of France", "is Paris,", "a city of 2,000 years.", "Dr. Smith agrees."],
        ),
        ("Okay, let me check the weather for you.", ["Okay, let me", "check the weather for you."]),
        # A first clause of up to four words is taken whole; then whole sentences.
        ("Yes, of course, I will do that now. Fine.", ["Yes, of course,", "I will do that now.", "Fine."]),
        ("Yes. Of course, gladly. Go on.", ["Yes. Of course,", "gladly.", "Go on."]),
        (
            "First of all; then, more, and more. Next, one. Last!",
            ["First of all;", "then, more, and more.", "Next, one.", "Last!"],
        ),
        ("Note the time: noon. Ok? Ok!", ["Note the time:", "noon.", "Ok?", "Ok!"]),
        ("The answer is 42. It is.", ["The answer is 42.", "It is."]),
        # With no natural boundary before it, the first clause is the first chunk.
        ("It is the best of all the options. Sure.", ["It is the best of all the options.", "Sure."]),
        ("Short", ["Short"]),
        ("Two words.", ["Two words."]),
        ("red green blue pink grey", ["red green blue", "pink grey"]),
        ("", []),
        ("   \n ", []),
    ],
)
def test_a_short_first_chunk_then_whole_sentences(text: str, chunks: list[str]) -> None:
    assert split_chunks(text) == chunks


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
        (
            BENCH_REPLY,
            [
                "The speaker is John F. Kennedy,",
                "at his inauguration in January 1961.",
                "He asks Americans to think about what they can give to their country.",
                "It is one of the most quoted lines of any American president.",
            ],
        ),
    ],
)
def test_a_first_clause_of_any_length_may_be_taken_whole(text: str, chunks: list[str]) -> None:
    assert split_chunks(text, WHOLE_CLAUSE) == chunks


# Each sentence's first chunk, with the defaults: the cut comes at the first natural boundary after three
# words; the rest of the sentence is the second chunk.
@pytest.mark.parametrize(
    ("sentence", "first"),
    [
        ("We went to the market and bought bread.", "We went to the market"),  # not after "to", "the"
        ("I would like to know more about it.", "I would like to know"),  # "would", "like", "to"
        ("Sorry, I don\u2019t know that one.", "Sorry, I don\u2019t know"),
        ("The capital of France is Paris.", "The capital of France"),  # not before "of"
        # Numbers with their units and magnitudes; phone numbers whole.
        ("It added 3.5 million people last year.", "It added 3.5 million people"),
        ("Prices rose 12 percent over the year.", "Prices rose 12 percent"),
        ("The total was 1,000 dollars in all.", "The total was 1,000 dollars"),
        ("Call the office 030 1234567 today please.", "Call the office 030 1234567 today"),
        ("Rome stood for 2,000 years before it fell.", "Rome stood for 2,000 years"),
        ("We need three thousand more chairs for the event.", "We need three thousand more chairs"),
        ("Call me at 555 123 4567 after lunch today.", "Call me at 555 123 4567 after lunch"),
        # Names, initials, abbreviations.
        ("I met Anna Maria Lopez at the station.", "I met Anna Maria Lopez"),
        ("He flew to New York City last night.", "He flew to New York City"),
        ("Books by J. R. R. Tolkien sell well still.", "Books by J. R. R. Tolkien"),
        ("Music by Ludwig van Beethoven fills the hall.", "Music by Ludwig van Beethoven"),
        ("Please ask Dr. Smith about the results.", "Please ask Dr. Smith"),
        ("Please ask Dr Smith about the results.", "Please ask Dr Smith"),
        ("We use e.g. saws and hammers daily.", "We use e.g. saws"),
        ("Compare red vs blue vs green today.", "Compare red vs blue"),
        # E-mail addresses, code, symbols and quotes.
        ("Write to john.smith@example.com for the report.", "Write to john.smith@example.com"),
        ("Run ls -la /tmp to see the files.", "Run ls -la /tmp"),
        ("Salt & pepper & oil & vinegar go well.", "Salt & pepper & oil & vinegar"),
        ('He said "hello" to me twice.', 'He said "hello" to me'),
    ],
)
def test_the_cut_between_words_keeps_units_whole(sentence: str, first: str) -> None:
    assert split_chunks(sentence) == [first, sentence[len(first) + 1 :]]


def test_links_and_code_read_aloud_are_cut_like_any_text() -> None:
    spoken = to_spoken("See [the docs](https://example.com/a/b) for more, e.g. `os.scandir()` today.")
    assert split_chunks(spoken) == ["See the docs", "for more,", "e.g. os.scandir() today."]


@pytest.mark.parametrize(
    ("text", "sizing", "chunks"),
    [
        ("Sure. I can help, of course.", ChunkSizing(1), ["Sure.", "I can help, of course."]),
        ("Sure, I can help, of course. Fine.", ChunkSizing(1), ["Sure,", "I can help, of course.", "Fine."]),
        ("Sure, I can help with that.", ChunkSizing(1), ["Sure,", "I can help with that."]),
        (
            "One two, three four five, six. Seven.",
            ChunkSizing(5, first_clause_max_words=5),
            ["One two, three four five,", "six.", "Seven."],
        ),
        # A cut between words comes after at least first_chunk_min_words words too.
        (
            "Sure, I can help friends with that.",
            ChunkSizing(5, 1),
            ["Sure, I can help friends", "with that."],
        ),
        (KENNEDY, ChunkSizing(1, 1, 1), ["The speaker", "is John F. Kennedy,", "at home."]),
        (KENNEDY, ChunkSizing(2, 2), ["The speaker", "is John F. Kennedy,", "at home."]),
        (KENNEDY, ChunkSizing(first_chunk_words=2), ["The speaker is", "John F. Kennedy,", "at home."]),
        # After four words every boundary before the clause's end lies inside the name.
        (KENNEDY, ChunkSizing(first_chunk_words=4), ["The speaker is John F. Kennedy,", "at home."]),
        (KENNEDY, ChunkSizing(first_clause_max_words=5), ["The speaker is", "John F. Kennedy,", "at home."]),
        (KENNEDY, ChunkSizing(first_clause_max_words=6), ["The speaker is John F. Kennedy,", "at home."]),
    ],
)
def test_the_sizing_knobs(text: str, sizing: ChunkSizing, chunks: list[str]) -> None:
    assert split_chunks(text, sizing) == chunks


def test_the_sizing_comes_from_the_text_settings() -> None:
    assert ChunkSizing.from_settings(TextSettings()) == ChunkSizing()
    settings = TextSettings(first_chunk_min_words=2, first_chunk_words=4, first_clause_max_words=7)
    assert ChunkSizing.from_settings(settings) == ChunkSizing(2, 4, 7)
    with pytest.raises(ValueError, match="at least one word"):
        ChunkSizing(first_chunk_words=0)


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
    assert chunker.feed("I can help.") == []
    assert chunker.feed(" ") == []
    assert chunker.feed("T") == ["I can help."]
    assert chunker.feed("hen Dr.") == []
    assert chunker.feed(" Smith") == []
    assert chunker.feed(" came.") == []
    assert chunker.finish() == ["Then Dr. Smith came."]


def test_first_clause_is_ready_as_soon_as_the_next_word_starts() -> None:
    chunker = SpeechChunker(WHOLE_CLAUSE)
    assert chunker.feed("Well, the capital of France is Paris,") == []
    assert chunker.feed(" a") == ["Well, the capital of France is Paris,"]


def test_a_cut_between_words_waits_for_the_word_after_it() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("The speaker is Jo") == []
    assert chunker.feed("hn") == []  # "John" or "Johnson": still a name, but it may grow
    assert chunker.feed(" ") == []  # "John ," would end a clause of five words
    assert chunker.feed("F") == ["The speaker is"]
    assert chunker.feed(". Kennedy,") == []
    assert chunker.feed(" at his") == ["John F. Kennedy,"]
    assert chunker.feed(" home. He") == ["at his home."]


def test_a_cut_between_words_waits_until_the_first_clause_is_known_to_be_long() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("Sure, I can help ") == []  # "help," would end a clause of four words
    assert chunker.feed("with") == []
    assert chunker.feed(" ") == ["Sure, I can help"]


def test_the_chunk_after_a_cut_between_words_ends_with_its_clause() -> None:
    text = "Now the long first clause goes on, and the sentence goes on too; then ends. Next, more."
    assert split_chunks(text) == [
        "Now the long",
        "first clause goes on,",
        "and the sentence goes on too; then ends.",
        "Next, more.",
    ]


def test_finish_flushes_the_rest_and_never_returns_blank_chunks() -> None:
    chunker = SpeechChunker()
    assert chunker.feed("The answer is 42. ") == []
    assert chunker.finish() == ["The answer is 42."]
    assert chunker.feed("  ") == []
    assert chunker.finish() == []
    chunker = SpeechChunker(ChunkSizing(first_clause_max_words=3))
    assert chunker.feed("red green blue pink") == []
    assert chunker.finish() == ["red green blue", "pink"]  # the last word is complete now


TOKENS = [
    *["Hello", "world", "the", "It", "and", "x", "5", "Dr.", "e.g.", "3.14", "1,000", "J.", "No.", "no"],
    *["New", "York", "million", "of", "can", "Dr", "van", "a@b.com", "&"],
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
sizings = st.builds(ChunkSizing, st.integers(1, 5), st.integers(1, 6), st.integers(1, 8))


def expected_chunks(text: str, sizing: ChunkSizing) -> list[str]:
    """The chunks by the rule, from the chunks with the first clause whole: a first clause longer than
    first_clause_max_words is cut at its first natural word boundary after enough words, if it has one."""
    whole = split_chunks(text, dataclasses.replace(sizing, first_clause_max_words=len(text) + 1))
    words = whole[0].split() if whole else []
    if len(words) > sizing.first_clause_max_words:
        least = max(sizing.first_chunk_words, sizing.first_chunk_min_words)
        for count in range(least, len(words)):
            if natural_boundary(words[count - 1], words[count]):
                return [" ".join(words[:count]), " ".join(words[count:]), *whole[1:]]
    return whole


@settings(max_examples=300, deadline=None)
@given(speakable_text, sizings, st.data())
def test_any_split_gives_the_same_chunks(text: str, sizing: ChunkSizing, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    chunks = chunks_in_pieces(text, cuts, sizing)
    assert chunks == split_chunks(text, sizing) == expected_chunks(text, sizing)
    assert all(chunk and chunk == chunk.strip() for chunk in chunks)
    assert " ".join(chunks) == " ".join(text.split())
    if len(text.split()) >= sizing.first_chunk_min_words:
        assert len(chunks[0].split()) >= sizing.first_chunk_min_words


@settings(max_examples=100, deadline=None)
@given(speakable_text, sizings)
def test_character_by_character_gives_the_same_chunks(text: str, sizing: ChunkSizing) -> None:
    assert chunks_in_pieces(text, list(range(len(text))), sizing) == split_chunks(text, sizing)


@settings(max_examples=200, deadline=None)
@given(speakable_text, sizings)
def test_chunks_grow_back_to_whole_sentences(text: str, sizing: ChunkSizing) -> None:
    # Only the first chunk ends between words, only the first two after a clause; the last is the rest.
    ends = [chunk.rstrip("\"')]}\u201d\u2019\u00bb")[-1:] for chunk in split_chunks(text, sizing)[:-1]]
    for index, end in enumerate(ends):
        if end.isalnum():
            assert index == 0
        elif end in ",;:":
            assert index == 0 or (index == 1 and ends[0].isalnum())


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
        "Sure! Here's how to list",
        "files in Python:",
        "The code is on screen.",
        "See the os docs for more, e.g. os.scandir().",
        "It's easy, really.",
        "Works on Linux.",
        "Works on Windows.",
    ]
