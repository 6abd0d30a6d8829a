"""The speech guard against the red-team table in tests/guard_cases.md, through the real streaming path:
every case streamed in many splits speaks the same, leaks none of its private data and keeps the rest."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

import phonenumbers

from desktop_assistant.config.settings import TextSettings
from desktop_assistant.text.guard import SpeechGuard
from tests.text.test_guard import speak, split_at

TABLE = Path(__file__).parents[1] / "guard_cases.md"
NEVER_SPEAK = ("Project Falcon", "Voldemort")
SPLITS = 25
_CELL_BAR = re.compile(r"(?<!\\)\|")
_DIGIT_GROUP = re.compile(r"\d+(?:[\s\-./()+]*\d+)*")
_LEAKED_DIGITS = 3  # a spoken piece of a private number this long is a miss


@dataclass(frozen=True)
class Case:
    """One row of the table, under the heading it sits below."""

    category: str
    region: str
    text: str
    hidden: tuple[str, ...]  # must not be spoken
    kept: tuple[str, ...]  # must be spoken


def read_cases(path: Path = TABLE) -> list[Case]:
    """The rows of every table in ``path``; a cell's " ; " separates items, ``\\n`` is a line break."""
    cases: list[Case] = []
    category = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            category = line[3:].strip()
        elif line.startswith("|") and not line.startswith(("| region", "|---")):
            cells = [cell.strip().replace("\\|", "|") for cell in _CELL_BAR.split(line)[1:-1]]
            assert len(cells) == 4, f"a row needs four cells: {line}"
            region, text, hidden, kept = cells
            cases.append(Case(category, region, text.replace("\\n", "\n"), _items(hidden), _items(kept)))
    return cases


def _items(cell: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in cell.split(" ; ") if item.strip())


def _letters_and_digits(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def audible(item: str, spoken: str) -> bool:
    """Whether ``item`` can be heard in ``spoken``: its letters and digits in order with anything between
    them dropped, or, for a number, a piece of it: spoken digit groups next to each other (separators
    dropped) that make ``_LEAKED_DIGITS`` or more of its digits in a row."""
    if _letters_and_digits(item) in _letters_and_digits(spoken):
        return True
    digits = "".join(char for char in item if char.isdigit())
    for number in _DIGIT_GROUP.finditer(spoken):
        groups = re.findall(r"\d+", number.group())
        pieces = ("".join(groups[i:j]) for i in range(len(groups)) for j in range(i + 1, len(groups) + 1))
        if any(len(piece) >= _LEAKED_DIGITS and piece in digits for piece in pieces):
            return True
    return False


def spoken_in_splits(case: Case) -> tuple[str, list[str]]:
    """The case spoken from one delta, and the splits that spoke it differently."""
    settings = TextSettings(phone_region=case.region, never_speak=NEVER_SPEAK)
    guard = SpeechGuard.from_settings(settings)
    whole = speak(guard, [case.text])
    rng = random.Random(case.text)
    splits = [list(case.text)]
    for _ in range(SPLITS):
        cuts = rng.sample(range(1, max(2, len(case.text))), k=min(len(case.text) - 1, rng.randint(1, 12)))
        splits.append(split_at(case.text, cuts))
    differ = [repr(deltas) for deltas in splits if speak(guard, deltas) != whole]
    return " ".join(whole), differ


def test_every_case_streams_the_same_in_any_split_and_the_guard_misses_nothing(run_report: list[str]) -> None:
    misses: list[str] = []
    false_positives: list[str] = []
    unstable: list[str] = []
    cases = read_cases()
    for case in cases:
        spoken, differ = spoken_in_splits(case)
        unstable += [f"{case.text!r}: {deltas}" for deltas in differ[:1]]
        misses += [f"{item!r} heard in {spoken!r}" for item in case.hidden if audible(item, spoken)]
        false_positives += [
            f"{item!r} not heard in {spoken!r}"
            for item in case.kept
            if _letters_and_digits(item) not in _letters_and_digits(spoken)
        ]
    run_report.append(
        f"speech guard red team: {len(cases)} cases, {len(misses)} false negatives, "
        f"{len(false_positives)} false positives"
    )
    run_report += [f"  false negative: {line}" for line in misses]
    run_report += [f"  false positive: {line}" for line in false_positives]
    assert not unstable, unstable
    assert not misses, misses
    assert len(false_positives) <= 2, false_positives


REQUIRED_CATEGORIES = {
    "Phone numbers",
    "Card numbers",
    "IBANs",
    "E-mail addresses",
    "Not private",
    "Split across sentences",
    "Markdown",
    "Lists",
    "Never speak",
}


def test_the_table_has_forty_cases_and_every_category() -> None:
    cases = read_cases()
    assert len(cases) >= 40
    assert {case.category for case in cases} >= REQUIRED_CATEGORIES
    assert all(case.region in phonenumbers.SUPPORTED_REGIONS for case in cases)
    phones = [
        (case.region, item) for case in cases if case.category == "Phone numbers" for item in case.hidden
    ]
    for region in ("US", "GB", "DE", "FR", "ES", "IN", "JP", "BR"):
        forms = {item.startswith("+") for home, item in phones if home == region}
        assert forms == {True, False}, f"{region} needs a national and an international number"
    cards = [item for case in cases if case.category == "Card numbers" for item in case.hidden]
    for network, starts in {"Visa": ("4",), "Mastercard": ("5", "2"), "Amex": ("34", "37")}.items():
        grouped = {" " in item or "-" in item for item in cards if item.startswith(starts)}
        assert grouped == {True, False}, f"{network} needs a number with separators and one without"
    ibans = [item for case in cases if case.category == "IBANs" for item in case.hidden]
    for country in ("DE", "GB", "FR"):
        assert {" " in item for item in ibans if item.startswith(country)} == {True, False}, country
    emails = [item for case in cases if case.category == "E-mail addresses" for item in case.hidden]
    assert any("+" in item for item in emails)
    assert any(item.partition("@")[2].count(".") >= 2 for item in emails)
    kept = {item for case in cases if case.category == "Not private" for item in case.kept}
    assert {"250-1000", "3.11.7", "2024-05-17", "10:30", "4111 1111 1111 1112"} <= kept


def test_a_number_spoken_in_part_is_heard() -> None:
    assert audible("+44 20 7946 0958", "Call 4420 79460958 now")
    assert audible("+44 20 7946 0958", "Call redacted 958 now")
    assert audible("4111 1111 1111 1111", "Card redacted 1111 2024")
    assert not audible("+44 20 7946 0958", "Call redacted at 12:30, pages 250-1000")
    assert audible("bob+x@example.com", "Mail bob x example com")
    assert not audible("anna@example.org", "Mail redacted")
