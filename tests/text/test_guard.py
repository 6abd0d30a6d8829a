"""The speech guard: private data is spoken as "redacted", a block phrase silences the rest of the reply."""

from __future__ import annotations

import itertools

import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from desktop_assistant.config.item_checks import check_pattern
from desktop_assistant.config.settings import TextSettings
from desktop_assistant.errors import ConfigError
from desktop_assistant.text.chunker import ChunkSizing, split_chunks
from desktop_assistant.text.guard import GuardAction, SpeechGuard
from desktop_assistant.text.speech_text import ReplySpeech


def screen_all(guard: SpeechGuard, chunks: list[str]) -> list[str | None]:
    """Every chunk of one reply, screened in order."""
    reply = guard.for_reply()
    return [reply.screen(chunk) for chunk in chunks]


def redact(text: str, region: str = "US") -> str | None:
    """``text`` as one chunk through the default guard (PII on, nothing blocked), phone numbers read as
    numbers of ``region``."""
    return SpeechGuard(phone_region=region).for_reply().screen(text)


@pytest.mark.parametrize(
    ("region", "text", "spoken"),
    [
        ("US", "Mail bob.smith+news@mail.example.co.uk.", "Mail redacted."),
        ("US", "Write to <anna_k@example.org> today", "Write to <redacted> today"),
        ("US", "Call (212) 555-0123, or 212-555-0123.", "Call redacted, or redacted."),
        ("US", "Or 212.555.0123 or 212 555 0123 or 1-800-555-1234.", "Or redacted or redacted or redacted."),
        # An international number whatever the region, even one whose area code is not assigned.
        ("DE", "Ring +1 (555) 123-4567 or +44 20 7946 0958.", "Ring redacted or redacted."),
        ("US", "Ring +4930123456 or +33 6 12 34 56 78.", "Ring redacted or redacted."),
        (
            "DE",
            "Ring 030 1234567 or 0151/23456789 or 0049 30 1234567.",
            "Ring redacted or redacted or redacted.",
        ),
        ("GB", "Ring (020) 7946 0958 or 020 7946 0958.", "Ring redacted or redacted."),
        ("FR", "Ring 01 23 45 67 89 or 06.12.34.56.78.", "Ring redacted or redacted."),
        ("ES", "Llama al 912 345 678 hoy.", "Llama al redacted hoy."),
        ("US", "Card 4111 1111 1111 1111, expires soon.", "Card redacted, expires soon."),
        ("US", "Card 4111-1111-1111-1111 or 378282246310005.", "Card redacted or redacted."),
        ("US", "In 2024 4111 1111 1111 1111 was used.", "In 2024 redacted was used."),
        ("US", "IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX.", "IBAN redacted BIC COBADEFFXXX."),
        ("US", "Pay GB29NWBK60161331926819 now.", "Pay redacted now."),
    ],
)
def test_private_data_is_spoken_as_redacted(region: str, text: str, spoken: str) -> None:
    assert redact(text, region) == spoken


def test_a_national_number_is_read_in_the_region_only() -> None:
    assert redact("Llama al 912 345 678.", "US") == "Llama al 912 345 678."
    assert redact("Ligue 912 345 678.", "PT") == "Ligue redacted."


@pytest.mark.parametrize(
    "text",
    [
        "From 1999-2004, and again in 2019 to 2021.",
        "On 2024-01-15, 15.01.2024 or 01/15/2024 at 12:30:45.",
        "It costs $1,299.99, or 1 299 999 euros, or 1.234.567 yen.",
        "Install version 10.0.19041.1234, or 3.12.1, or v2.0.0-rc1.",
        "The router is at 192.168.100.200 and serves 42 people.",
        "There were 1234567 cows and 8 000 000 sheep.",
        "Not a card: 4111 1111 1111 1112.",
        "Not an IBAN: GB28NWBK60161331926819.",
        "Follow @someone on the forum, or meet at the cafe.",
        "Read pages 250-1000, or 12-15, by 2024-05-17.",
    ],
)
@pytest.mark.parametrize("region", ["US", "GB", "DE", "ES"])
def test_years_dates_times_prices_versions_and_short_numbers_are_spoken(region: str, text: str) -> None:
    assert redact(text, region) == text


def test_redaction_of_pii_can_be_turned_off_while_patterns_still_apply() -> None:
    guard = SpeechGuard(redact_patterns=[r"Apollo \d+"], redact_pii=False)
    assert screen_all(guard, ["Mail bob@example.com about Apollo 11."]) == [
        "Mail bob@example.com about redacted."
    ]


def test_a_pattern_that_spans_a_cut_is_redacted_in_the_later_chunk() -> None:
    guard = SpeechGuard(redact_patterns=[r"project,? \w+"])
    assert screen_all(guard, ["It is about the project,", "Apollo, as agreed."]) == [
        "It is about the project,",
        "redacted, as agreed.",
    ]


@pytest.mark.parametrize(
    ("chunks", "spoken"),
    [
        (["The Secret  Plan is this.", "More."], [None, None]),
        (
            ["Secretary planning and secret plans.", "A secret plan."],
            ["Secretary planning and secret plans.", None],
        ),
        (["I mean well,", "actually no.", "Fine."], ["I mean well,", None, None]),
    ],
)
def test_a_block_phrase_matches_whole_words_in_any_case_and_across_a_cut(
    chunks: list[str], spoken: list[str | None]
) -> None:
    guard = SpeechGuard(block_phrases=["secret plan", "well, actually"])
    assert screen_all(guard, chunks) == spoken


def test_each_reply_starts_unblocked() -> None:
    guard = SpeechGuard(block_phrases=["never say this"])
    assert screen_all(guard, ["Never say this.", "Or that."]) == [None, None]
    assert screen_all(guard, ["Or that."]) == ["Or that."]


def test_from_settings_takes_the_text_settings() -> None:
    text = TextSettings(block_phrases=("stop here",), redact_patterns=(r"code \w+",), redact_pii=False)
    guard = SpeechGuard.from_settings(text)
    assert screen_all(guard, ["Mail a@b.io the code XYZ.", "Stop here.", "Gone."]) == [
        "Mail a@b.io the redacted.",
        None,
        None,
    ]


def test_a_pattern_that_does_not_compile_is_one_clear_line() -> None:
    check_pattern(r"\d{4}-\d{4}")
    with pytest.raises(ConfigError) as caught:
        check_pattern("secret (plan")
    assert caught.value.line() == (
        "The redact pattern 'secret (plan' is not a valid regular expression: "
        "missing ), unterminated subpattern at position 7. Fix it or remove it from text.redact_patterns."
    )
    with pytest.raises(ConfigError):
        SpeechGuard.from_settings(TextSettings(redact_patterns=("ok", "[bad")))


# ----- properties ---------------------------------------------------------------------------------

ordinary_text = st.text(
    st.characters(exclude_categories=("Nd", "Cs"), exclude_characters="@"), min_size=1, max_size=80
)


# Card networks' first digits and the lengths they issue.
CARD_FORMS = [
    *[("34", 15), ("37", 15), ("51", 16), ("55", 16), ("2221", 16), ("2720", 16)],
    *(("4", length) for length in range(13, 20)),
    *(("6011", length) for length in range(16, 20)),
]


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid card number of a real network, grouped by four with spaces, dashes or nothing."""
    prefix, length = draw(st.sampled_from(CARD_FORMS))
    body = prefix + draw(st.text("0123456789", min_size=length - 1 - len(prefix), max_size=length - 1))
    body = body[: length - 1]
    digits = body + next(d for d in "0123456789" if luhn_sum(body + d) % 10 == 0)
    separator = draw(st.sampled_from(["", " ", "-"]))
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def luhn_sum(digits: str) -> int:
    """The Luhn sum: every second digit from the right doubled, its digits added."""
    doubled = [int(d) * (1 + i % 2) for i, d in enumerate(reversed(digits))]
    return sum(n // 10 + n % 10 for n in doubled)


def digit_strings(low: int, high: int, first: str = "0123456789") -> st.SearchStrategy[str]:
    """Digit strings of ``low`` to ``high`` digits whose first digit is one of ``first``."""
    return st.builds(
        str.__add__, st.sampled_from(first), st.text("0123456789", min_size=low - 1, max_size=high - 1)
    )


REGIONS = ["US", "GB", "DE", "FR", "ES", "IN", "JP", "BR", "IT", "AU"]
NUMBER_TYPES = [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
NUMBER_FORMATS = [
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
]


@st.composite
def phone_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(region, a valid phone number of a region): its national form with the region, or its international
    form with any region; the region's example number with other last digits."""
    home = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(home, draw(st.sampled_from(NUMBER_TYPES)))
    digits = str(example.national_number)
    number = phonenumbers.parse(digits[:-4] + draw(st.text("0123456789", min_size=4, max_size=4)), home)
    assume(phonenumbers.is_valid_number(number))
    form = draw(st.sampled_from(NUMBER_FORMATS))
    text = phonenumbers.format_number(number, form)
    if form == phonenumbers.PhoneNumberFormat.NATIONAL:
        return home, text
    return draw(st.sampled_from(REGIONS)), text.replace(" ", draw(st.sampled_from([" ", "-"])))


@st.composite
def in_context(draw: st.DrawFn, private: st.SearchStrategy[tuple[str, str]]) -> tuple[str, str, str]:
    """(region, private value, a chunk of plain words holding it)."""
    region, value = draw(private)
    template = draw(
        st.sampled_from(["{}", "Call {} now.", "It is {}, as said.", "Use ({}) today!", "Num: {}."])
    )
    return region, value, template.format(value)


@settings(max_examples=300, deadline=None)
@given(st.lists(ordinary_text, min_size=1, max_size=5))
def test_text_without_digits_or_at_signs_passes_unchanged(chunks: list[str]) -> None:
    assert screen_all(SpeechGuard(), chunks) == chunks


emails = st.builds(
    lambda *parts: ("US", "{}@{}.{}".format(*parts)),
    st.from_regex(r"[a-z][a-z0-9._+-]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z0-9]+(?:[.-][a-z0-9]+){0,2}", fullmatch=True),
    st.sampled_from(["com", "org", "de", "co.uk"]),
)
private_numbers = st.one_of(st.tuples(st.sampled_from(REGIONS), card_numbers()), phone_numbers())


@settings(max_examples=600, deadline=None)
@given(in_context(private_numbers))
def test_a_card_or_phone_number_never_leaks_a_digit(case: tuple[str, str, str]) -> None:
    region, number, chunk = case
    spoken = redact(chunk, region)
    assert spoken is not None and "redacted" in spoken
    assert not any(char.isdigit() for char in spoken), (region, number, spoken)


@settings(max_examples=300, deadline=None)
@given(
    in_context(st.one_of(private_numbers, emails)),
    st.sampled_from(["", "Sure, here it is. ", "Well, the one that you asked me for is "]),
    st.builds(ChunkSizing, st.integers(1, 4), st.integers(1, 5), st.integers(1, 6)),
)
def test_the_chunker_keeps_private_data_whole_so_none_reaches_the_speaker(
    case: tuple[str, str, str], lead: str, sizing: ChunkSizing
) -> None:
    region, value, sentence = case
    reply = f"{lead}{sentence} That is all, thanks. Bye!"
    chunks = split_chunks(reply, sizing)
    assert any(value in chunk for chunk in chunks), chunks
    spoken = " ".join(text or "" for text in screen_all(SpeechGuard(phone_region=region), chunks))
    assert not any(char.isdigit() or char == "@" for char in spoken), (value, spoken)


@pytest.mark.parametrize(
    "number", ["+44 20 7946 0958", "(020) 7946 0958", "912 345 678", "(11) 91234-5678", "+1 (212) 555-0123"]
)
@pytest.mark.parametrize("sizing", [ChunkSizing(1, 1, 1), ChunkSizing(), ChunkSizing(3, 2, 2)])
def test_the_chunker_never_cuts_inside_a_phone_number(number: str, sizing: ChunkSizing) -> None:
    for reply in (
        f"Well, you can reach the office at {number} on most days.",
        f"Call {number}, or {number}. {number} works too!",
        f"{number} is the number of the office in town.",
    ):
        chunks = split_chunks(reply, sizing)
        assert sum(chunk.count(number) for chunk in chunks) == reply.count(number), chunks


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text("abcdefghijklmnopqrstuvwxy ,.!?", min_size=1, max_size=40), min_size=1, max_size=6),
    st.data(),
)
def test_a_block_phrase_silences_its_chunk_and_every_later_one(
    chunks: list[str], data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(chunks) - 1))
    phrase = data.draw(st.sampled_from(["zebra crossing", "ZEBRA Crossing", "Zebra \t crossing"]))
    chunks[at] = f"{chunks[at]} {phrase}, {chunks[at]}"
    spoken = screen_all(SpeechGuard(block_phrases=["zebra crossing"]), chunks)
    assert spoken == chunks[:at] + [None] * (len(chunks) - at)


def test_the_guard_says_what_it_redacted_and_blocked_by_which_rule_and_where() -> None:
    guard = SpeechGuard(block_phrases=["secret plan"], redact_patterns=[r"ticket-\d+"])
    reply = guard.for_reply()
    chunks = ["Mail anna@example.org about ticket-42,", "or call 212-555-0123.", "The secret plan is ready."]
    assert reply.screen(chunks[0]) == "Mail redacted about redacted,"
    assert reply.screen(chunks[1]) == "or call redacted."
    assert reply.screen(chunks[2]) is None
    assert reply.actions == [
        GuardAction("redacted", "e-mail address", "anna@example.org", (5, 21)),
        GuardAction("redacted", r"pattern ticket-\d+", "ticket-42", (28, 37)),
        GuardAction("redacted", "phone number", "212-555-0123", (47, 59)),
        GuardAction("blocked", "block phrase", "secret plan", (65, 76)),
    ]
    spoken_text = " ".join(chunks)
    assert [spoken_text[slice(*a.span)] for a in reply.actions] == [a.text for a in reply.actions]


def test_overlapping_rules_are_one_redaction_naming_both() -> None:
    reply = SpeechGuard(redact_patterns=[r"anna@\w+"]).for_reply()
    assert reply.screen("Mail anna@example.org today") == "Mail redacted today"
    assert reply.actions == [
        GuardAction("redacted", r"pattern anna@\w+, e-mail address", "anna@example.org", (5, 21))
    ]


def test_a_never_speak_word_is_spoken_as_something_in_any_case_as_a_whole_word() -> None:
    reply = SpeechGuard(never_speak=["Voldemort", "ice  cream"]).for_reply()
    assert reply.screen("VOLDEMORT likes Ice\tCream,") == "something likes something,"
    assert reply.screen("not Voldemorts or ice creamery.") == "not Voldemorts or ice creamery."
    assert reply.actions == [
        GuardAction("replaced", "never speak", "VOLDEMORT", (0, 9)),
        GuardAction("replaced", "never speak", "Ice\tCream", (16, 25)),
    ]


FILLER = ["we", "all", "love", "the", "idea", "of", "a", "quiet", "walk", "home"]


@settings(max_examples=60, deadline=None)
@given(
    before=st.lists(st.sampled_from(FILLER), max_size=8),
    after=st.lists(st.sampled_from(FILLER), min_size=1, max_size=8),
    phrase=st.sampled_from(["ice cream", "deep blue sea", "well, actually"]),
    sizing=st.builds(ChunkSizing, st.integers(1, 4), st.integers(1, 4), st.integers(1, 6)),
    cuts=st.lists(st.integers(1, 200), max_size=10),
)
def test_a_phrase_the_chunker_cuts_is_guarded_before_any_of_it_is_spoken(
    before: list[str], after: list[str], phrase: str, sizing: ChunkSizing, cuts: list[int]
) -> None:
    text = " ".join([*before, phrase, *after]) + "."
    never = ReplySpeech(sizing, SpeechGuard(never_speak=[phrase]))
    assert " ".join(fed(never, text, cuts)) == " ".join([*before, "something", *after]) + "."
    blocked = ReplySpeech(sizing, SpeechGuard(block_phrases=[phrase]))
    spoken = " ".join(fed(blocked, text, cuts))
    assert blocked.blocked and phrase.split()[0] not in spoken.split()[len(before) :]


def fed(speech: ReplySpeech, text: str, cuts: list[int]) -> list[str]:
    """The chunks ``speech`` gives for ``text`` streamed in deltas cut at ``cuts``."""
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    chunks = [chunk for a, b in itertools.pairwise(bounds) for chunk in speech.feed(text[a:b])]
    return chunks + speech.finish()


def test_a_never_speak_word_inside_private_data_is_redacted_with_it() -> None:
    reply = SpeechGuard(never_speak=["bob"]).for_reply()
    assert reply.screen("Mail bob@example.com, Bob.") == "Mail redacted, something."
    assert [(a.kind, a.rule) for a in reply.actions] == [
        ("redacted", "never speak, e-mail address"),
        ("replaced", "never speak"),
    ]


def test_from_settings_takes_the_phone_region_and_the_never_speak_words() -> None:
    text = TextSettings(phone_region="es", never_speak=("Acme",))
    assert screen_all(SpeechGuard.from_settings(text), ["Acme: 912 345 678."]) == ["something: redacted."]


def speak(guard: SpeechGuard, deltas: list[str]) -> list[str]:
    """What ``ReplySpeech`` speaks of a reply streamed as ``deltas``, with the default sizing."""
    speech = ReplySpeech(ChunkSizing(), guard)
    return [chunk for delta in deltas for chunk in speech.feed(delta)] + speech.finish()


def split_at(text: str, cuts: list[int]) -> list[str]:
    """``text`` cut at ``cuts`` (positions past its end cut at its end)."""
    bounds = [0, *sorted(min(cut, len(text)) for cut in cuts), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=200, deadline=None)
@given(
    in_context(st.one_of(private_numbers, emails)),
    st.sampled_from(["", "Sure, here it is. ", "Well, the one that you asked me for is ", "- Item one\n- "]),
    st.sampled_from(["{}", "**{}**", "*{}*", "`{}`", "[{}](https://example.com)"]),
    st.lists(st.integers(0, 200), max_size=12),
)
def test_any_split_of_a_streamed_reply_speaks_the_same_and_no_private_data(
    case: tuple[str, str, str], lead: str, markup: str, cuts: list[int]
) -> None:
    region, _, sentence = case
    reply = f"{lead}{markup.format(sentence)} That is all, thanks.\n\nBye!"
    guard = SpeechGuard(phone_region=region, never_speak=["thanks"])
    spoken = speak(guard, [reply])
    assert speak(guard, split_at(reply, cuts)) == spoken
    assert speak(guard, list(reply)) == spoken
    text = " ".join(spoken)
    assert "something" in text and not any(char.isdigit() or char == "@" for char in text), (reply, text)
