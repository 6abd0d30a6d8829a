"""Finding private data in text for the speech guard: e-mail addresses, phone numbers, card numbers, IBANs.

Phone numbers are found by ``phonenumbers``: every number its matcher takes for a valid number of the
region (a national form such as "912 345 678" in Spain) or of the country its "+" prefix names, and every
"+" number of a possible length even where its digits are not assigned, since a number written as
international is meant as a phone number. Ranges, dates, prices and versions are not valid numbers.
Card numbers are runs of digit groups that a card network's first digits and length fit and whose Luhn
check (``stdnum.luhn``) holds; IBANs are runs of letter and digit groups that ``stdnum.iban`` validates.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator

import phonenumbers
from stdnum import iban, luhn

# A span to redact and the rule that found it.
Finding = tuple[int, int, str]
Span = tuple[int, int]

# The region a locale without a country (C.UTF-8, POSIX) stands for.
FALLBACK_REGION = "US"
PHONE_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_DIGIT_RUN = re.compile(r"(?<![\w.,])\d+(?:[ \-]\d+)*(?!\w)")
_DIGITS = re.compile(r"\d+")
_IBAN_RUN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}[A-Z0-9]*(?: [A-Z0-9]+)*(?!\w)")
_IBAN_GROUP = re.compile(r"[A-Z0-9]+")
_MAX_GROUPS = 34  # no card or IBAN has more groups than characters, and an IBAN has at most 34
# Card networks: the range of first digits (as many digits as the bounds have) and the lengths issued.
_CARD_NETWORKS: tuple[tuple[int, int, range], ...] = (
    (4, 4, range(13, 20)),  # Visa
    (51, 55, range(16, 17)),  # Mastercard
    (2221, 2720, range(16, 17)),  # Mastercard's 2-series
    (34, 34, range(15, 16)),  # American Express
    (37, 37, range(15, 16)),
    (6011, 6011, range(16, 20)),  # Discover
    (644, 659, range(16, 20)),
    (3528, 3589, range(16, 20)),  # JCB
    (300, 305, range(14, 20)),  # Diners Club
    (36, 36, range(14, 20)),
    (38, 39, range(16, 20)),
    (62, 62, range(16, 20)),  # UnionPay
)
_LOCALE_COUNTRY = re.compile(r"[A-Za-z]{2,3}_([A-Za-z]{2})(?![A-Za-z])")


def locale_region(environ: dict[str, str] | None = None) -> str:
    """The country of the system locale (the first of LC_ALL, LC_MESSAGES, LANG that is set, as in
    "en_GB.UTF-8"), or ``FALLBACK_REGION`` when it names none that phonenumbers knows ("C.UTF-8", "POSIX")."""
    env = os.environ if environ is None else environ
    name = next((env[key] for key in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(key)), "")
    match = _LOCALE_COUNTRY.match(name)
    region = match.group(1).upper() if match else ""
    return region if region in PHONE_REGIONS else FALLBACK_REGION


def phone_region(setting: str) -> str:
    """The region national phone numbers are read in: the ``text.phone_region`` setting, or the locale's."""
    return setting.strip().upper() or locale_region()


class PiiFinder:
    """Finds e-mail addresses, phone numbers, card numbers and IBANs; national phone numbers are read as
    numbers of ``region``."""

    def __init__(self, region: str) -> None:
        self.region = region

    def findings(self, text: str) -> Iterator[Finding]:
        """Where ``text`` holds private data, and what kind, in no particular order."""
        yield from ((*m.span(), "e-mail address") for m in _EMAIL.finditer(text))
        yield from ((*span, "phone number") for span in self._phones(text))
        for run in _DIGIT_RUN.finditer(text):
            for span in _valid_windows(text, _DIGITS.finditer(text, run.start(), run.end()), _is_card):
                yield (*span, "card number")
        for run in _IBAN_RUN.finditer(text):
            for span in _valid_windows(
                text, _IBAN_GROUP.finditer(text, run.start(), run.end()), iban.is_valid
            ):
                yield (*span, "IBAN")

    def _phones(self, text: str) -> Iterator[Span]:
        if not any(char.isdigit() for char in text):
            return
        valid = phonenumbers.Leniency.VALID
        yield from ((m.start, m.end) for m in phonenumbers.PhoneNumberMatcher(text, self.region, valid))
        possible = phonenumbers.PhoneNumberMatcher(text, self.region, phonenumbers.Leniency.POSSIBLE)
        yield from ((m.start, m.end) for m in possible if m.raw_string.startswith("+"))


def _valid_windows(
    text: str, groups: Iterable[re.Match[str]], valid: Callable[[str], bool]
) -> Iterator[Span]:
    """The longest runs of whole groups that are ``valid``, left to right, so that a number next to a card
    or an IBAN does not hide it."""
    spans = [m.span() for m in groups]
    first = 0
    while first < len(spans):
        for last in range(min(len(spans), first + _MAX_GROUPS) - 1, first - 1, -1):
            if valid(text[spans[first][0] : spans[last][1]]):
                yield spans[first][0], spans[last][1]
                first = last + 1
                break
        else:
            first += 1


def _is_card(text: str) -> bool:
    """Digits in groups with one kind of separator, a card network's first digits and length, and a valid
    Luhn check."""
    digits = "".join(_DIGITS.findall(text))
    if len(set(_DIGITS.sub("", text))) > 1:
        return False
    network = any(
        low <= int(digits[: len(str(low))]) <= high and len(digits) in lengths
        for low, high, lengths in _CARD_NETWORKS
    )
    return network and luhn.is_valid(digits)
