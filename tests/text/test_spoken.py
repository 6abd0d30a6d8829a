"""The spoken form of Markdown replies: each rule by example, and streaming that matches the whole text."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_assistant.text.spoken import CODE_SENTENCE, SpokenForm, to_spoken


def feed_in_pieces(text: str, cuts: list[int]) -> list[str]:
    """Every output of a SpokenForm fed ``text`` cut at ``cuts``, the finish() output last."""
    form = SpokenForm()
    bounds = [0, *sorted(cuts), len(text)]
    return [form.feed(text[a:b]) for a, b in itertools.pairwise(bounds)] + [form.finish()]


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        (
            "**Bold**, *italic*, __strong__, _em_ and ~~gone~~ words.",
            "Bold, italic, strong, em and gone words.",
        ),
        ("***Both*** at once", "Both at once"),
        ("Call `foo()` with my_var set.", "Call foo() with my_var set."),
        ("Use `__init__` and `a*b*c`, not __init__.", "Use __init__ and a*b*c, not init."),
        ("2 * 3 is 6 and 4*5 is 20.", "2 * 3 is 6 and 4*5 is 20."),
        ("Escaped \\*stars\\* stay.", "Escaped *stars* stay."),
    ],
)
def test_emphasis_and_inline_code_keep_the_words(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("# Title\nBody text.", "Title. Body text."),
        ("### Steps ###\nGo.", "Steps. Go."),
        ("###### Six\n####### seven", "Six. ####### seven"),
        ("#hashtag and C# stay", "#hashtag and C# stay"),
        ("Intro\n## Done?\nYes", "Intro. Done? Yes"),
    ],
)
def test_headings_read_as_their_own_sentence(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("Buy:\n- milk\n- eggs!\n* bread\n+ jam", "Buy: milk. eggs! bread. jam."),
        ("Steps\n1. Open it\n2) Close it.", "Steps. Open it. Close it."),
        ("- first\n  goes on\n- second\nAfter the list", "first goes on. second. After the list"),
        ("- outer\n  - inner", "outer. inner."),
        ("• bullet", "bullet."),
        ("-5 degrees and 3.14 is pi", "-5 degrees and 3.14 is pi"),
        ("> Quoted words\n> go on\n\nAfter.", "Quoted words go on. After."),
        ("> - quoted item\nplain", "quoted item. plain"),
    ],
)
def test_list_markers_and_quotes_are_dropped(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("See [the docs](https://example.com/a_(b)) now.", "See the docs now."),
        ("A [**bold** link](x.html) and [ref][1].", "A bold link and ref."),
        ("Look: ![a chart](chart.png) above.", "Look: above."),
        ("Noted[^1] here.", "Noted here."),
        ("[1]: https://example.com\nText.", "Text."),
        ("A [bracket] stays and [half", "A [bracket] stays and [half"),
        ("Open [https://x.org](https://x.org) later.", "Open later."),
    ],
)
def test_links_read_as_their_text(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("Run this:\n```bash\nrm -rf build\n```\nDone.", f"Run this: {CODE_SENTENCE} Done."),
        ("Try\n~~~\nx = 1\n~~~\n\nOk", f"Try. {CODE_SENTENCE} Ok"),
        ("Two:\n```\na\n```\n```py\nb\n```\nEnd", f"Two: {CODE_SENTENCE} End"),
        ("One\n```\na\n```\nmid\n```\nb\n```", f"One. {CODE_SENTENCE} mid. {CODE_SENTENCE}"),
        ("Unclosed:\n```python\nsecret = 1\nmore = 2", f"Unclosed: {CODE_SENTENCE}"),
        ("- step:\n  ```\n  ls\n  ```\n- next", f"step: {CODE_SENTENCE} next."),
        ("```inline code``` stays", "inline code stays"),
    ],
)
def test_code_blocks_become_one_sentence(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("Visit https://example.com/x?y=1 for more.", "Visit for more."),
        ("Docs: www.python.org.", "Docs:"),
        ("Is it http://a.b/c?", "Is it?"),
        ("Read (https://a.b) first.", "Read first."),
        ("Both (see https://a.b/c).", "Both (see)."),
        ("Links: https://a.io, https://b.io.", "Links:"),
        ("Autolink <https://x.com> here.", "Autolink here."),
        ("A wwwx word and xhttp://y stay.", "A wwwx word and xhttp://y stay."),
    ],
)
def test_raw_urls_are_not_read(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("Done! 🎉 Next 👍🏽 step ✅.", "Done! Next step."),
        ("Family 👨\u200d👩\u200d👧 flag 🇫🇷 heart ❤️ star ★ box ┌─┐", "Family flag heart star box"),
        ("It is 25°C, © 2024, café ™ €5 ≈ 6", "It is 25°C, © 2024, café ™ €5 ≈ 6"),
        ("zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
    ],
)
def test_emoji_and_pictographs_are_dropped(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("| Name | Age |\n|---|:--:|\n| Ann | 30 |\n| **Bo** | `25` |", "Name, Age. Ann, 30. Bo, 25."),
        ("Text\n| a | | b |\nMore", "Text. a, b. More"),
        ("One.\n\n---\n\nTwo.\n***\n___\nThree", "One. Two. Three"),
        ("Setext\n=====\nBody", "Setext. Body"),
        ("A<br>B <b>bold</b> &amp; C&nbsp;D <!-- note --> E", "A B bold & C D E"),
        ("x < y and a<b and AT&T", "x < y and a<b and AT&T"),
    ],
)
def test_tables_rules_and_html(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("First line\nsecond line\n\nNew para", "First line second line. New para"),
        ("  Spaced\t\tout   words  \n\n\n", "Spaced out words."),
        ("Ends with colon:\n\nNext", "Ends with colon: Next"),
        ('He said "no"\n\nThen', 'He said "no". Then'),
        ("Hard break  \nand on\r\nwindows", "Hard break and on windows"),
        ("", ""),
        ("\n\n", ""),
    ],
)
def test_whitespace_and_paragraphs(markdown: str, spoken: str) -> None:
    assert to_spoken(markdown) == spoken


def test_a_sentence_comes_out_before_its_line_ends() -> None:
    form = SpokenForm()
    first = form.feed("Sure, the capital of France is Paris. It")
    assert first.startswith("Sure, the capital of France is Paris.")
    assert (
        first + form.feed(" is lovely.") + form.finish()
        == "Sure, the capital of France is Paris. It is lovely."
    )


@pytest.mark.parametrize(
    ("pieces", "held"),
    [
        (["See [the do", "cs](https://ex", "ample.com) now."], ["See", "", " the docs now."]),
        (["Go to htt", "ps://a.b/c now"], ["Go to", " now"]),
        (["Intro\n-", " item"], ["Intro", ". item"]),
        (["Wow!", " Yes"], ["Wow", "! Yes"]),
        (["Some **bo", "ld** text"], ["Some bo", "ld text"]),
        (["Text\n``", "`py\nx = 1\n", "```\nEnd"], ["Text", f". {CODE_SENTENCE}", " End"]),
    ],
)
def test_feed_holds_back_only_what_may_change(pieces: list[str], held: list[str]) -> None:
    form = SpokenForm()
    assert [form.feed(piece) for piece in pieces] == held
    assert "".join(held) + form.finish() == to_spoken("".join(pieces))


def test_streamed_code_is_never_read() -> None:
    form = SpokenForm()
    outputs = [form.feed(piece) for piece in ["Here:\n``", "`python\nsecret_", "value = 1\nprint(secret"]]
    outputs.append(form.finish())
    assert "".join(outputs) == f"Here: {CODE_SENTENCE}"
    assert not any("secret" in out for out in outputs)


# A grammar of Markdown-ish replies: words, punctuation, emphasis, code, links, URLs, emoji, then lines.
WORDS = ["Paris", "the", "answer", "is", "42", "my_var", "3.14", "Dr.", "café", "well", "hot", "war"]
PUNCTUATION = [".", ",", "!", "?", ":", ";", "...", "(", ")", '"']
EMOJI = ["🎉", "👍🏽", "✅", "👨\u200d👩\u200d👧", "🇫🇷", "❤️"]
URLS = ["https://example.com/a_b", "http://x.io/p?q=1.", "www.site.org", "(https://a.b/c)"]
word = st.sampled_from(WORDS)
inline = st.one_of(
    word,
    st.sampled_from(PUNCTUATION),
    st.sampled_from(EMOJI),
    st.sampled_from(URLS),
    word.map(lambda w: f"**{w}**"),
    word.map(lambda w: f"*{w}*"),
    word.map(lambda w: f"_{w}_"),
    word.map(lambda w: f"~~{w}~~"),
    word.map(lambda w: f"`{w}()`"),
    st.tuples(word, st.sampled_from(URLS)).map(lambda t: f"[{t[0]}]({t[1]})"),
    word.map(lambda w: f"![{w}](img.png)"),
    st.sampled_from(["<b>", "</b>", "<br>", "&amp;"]),
)
text_line = st.lists(inline, max_size=8).map(" ".join)
fence_open = st.tuples(
    st.sampled_from(["```", "```python", "~~~"]),
    st.lists(st.sampled_from(["codeword = 1", "print(codeword)", "# codeword", "- codeword"]), max_size=3),
).map(lambda f: "\n".join([f[0], *f[1]]))
fence = fence_open.map(lambda f: f"{f}\n{f[:3]}")
block = st.one_of(
    text_line,
    st.tuples(st.sampled_from(["# ", "## ", "- ", "* ", "+ ", "1. ", "2) ", "> ", "  - "]), text_line).map(
        "".join
    ),
    st.sampled_from(["", "---", "***", "|---|---|", "[1]: https://ref.example"]),
    st.tuples(text_line, text_line).map(lambda t: f"| {t[0]} | {t[1]} |"),
    fence,
)
# An unclosed fence can only come last: a later fence line would close it.
markdown_reply = st.tuples(st.lists(block, max_size=8), st.sampled_from(["", "```py\ncodeword", "~~~"])).map(
    lambda r: "\n".join([*r[0], r[1]])
)
PICTOGRAPH_CHARS = set("".join(EMOJI))


@settings(max_examples=200, deadline=None)
@given(markdown_reply, st.data())
def test_any_split_gives_the_whole_text_spoken(markdown: str, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(markdown)), max_size=12))
    assert "".join(feed_in_pieces(markdown, cuts)) == to_spoken(markdown)


@settings(max_examples=150, deadline=None)
@given(markdown_reply)
def test_character_by_character_gives_the_whole_text_spoken(markdown: str) -> None:
    assert "".join(feed_in_pieces(markdown, list(range(len(markdown))))) == to_spoken(markdown)


@settings(max_examples=200, deadline=None)
@given(markdown_reply)
def test_generated_replies_read_no_markup_code_urls_or_emoji(markdown: str) -> None:
    spoken = to_spoken(markdown)
    for forbidden in ("codeword", "http", "www", "*", "`", "~~", "](", "|", "#", "<", ">", "  "):
        assert forbidden not in spoken
    assert not PICTOGRAPH_CHARS & set(spoken)
    assert spoken == spoken.strip()
    assert all(unicodedata.category(ch) != "Cf" for ch in spoken)
    fences = markdown.count("```") + markdown.count("~~~")
    assert (CODE_SENTENCE in spoken) == (fences > 0)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab hw.:/()[]!*_~`<>&#;|-+=1\\\n\t^\"'🎉", "http", "https://", "<br>", "```"]),
        max_size=40,
    ).map("".join),
    st.data(),
)
def test_any_split_of_arbitrary_text_gives_the_same_spoken_text(text: str, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    spoken = "".join(feed_in_pieces(text, cuts))
    assert spoken == to_spoken(text)
    assert "  " not in spoken and spoken == spoken.strip()
