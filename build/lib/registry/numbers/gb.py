"""GB: patent application numbers of the UK Intellectual Property Office (UKIPO).

Canonical form (SPEC.md §1): ``GB`` + 7 digits ``YYNNNNN`` (two-digit filing year, five-digit
serial), without the check digit: ``GB1217782`` for ``1217782.0``. This form has been used since the
Patents Act 1977 took effect (1978), so two-digit years 78–99 are 19YY and the others 20YY.

Check digit: UKIPO prints one after a dot (``GB 1909296.4``) but publishes no algorithm (DOMAIN.md),
so a given check digit is kept (shown by :func:`format` and in ``NormalizedNumber.check_digit``) and
**not tested**: inventing a test would refuse real numbers.

Accepted variants: ``1217782.0``, ``GB 1909296.4``, ``GB1217782``, ``12 17782``, ``12177820`` (eight
digits: the last is the check digit). Refused: a kind code (``GB 2 123 456 A``, a publication) is
``notAnApplicationNumber``; other lengths are ``badLength``.

>>> validate("GB 1909296.4")
'GB1909296'
>>> format("1217782.0")
'1217782.0'
"""

from __future__ import annotations

from registry.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    fail,
    parses,
    prepare,
    refuse_publication,
    shown,
    split_check,
    split_kind,
    strip_office,
    year_from_two_digits,
)

__all__ = ["compact", "format", "is_valid", "parse", "validate"]

OFFICE = "GB"
FIRST_YEAR = 1978


def parse(number: str) -> Parsed:
    """Read a GB application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None:
        refuse_publication(kind, OFFICE, number, "1217782.0")
    text, check = split_check(text)
    digits = digits_only(text, OFFICE, number)
    if len(digits) == 8 and check is None:
        digits, check = digits[:7], digits[7]
    if len(digits) != 7:
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; a GB application number has seven (YYNNNNN) and "
            "an optional check digit, such as 1217782.0",
        )
    check_year(year_from_two_digits(digits[:2], FIRST_YEAR), FIRST_YEAR, OFFICE, number)
    if digits[2:] == "00000":
        fail("badFormat", f"{shown(number)} has the serial 00000, which UKIPO never assigns")
    display = digits if check is None else f"{digits}.{check}"
    return Parsed(f"{OFFICE}{digits}", display, check)


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``GB`` + ``YYNNNNN`` (UKIPO numbering) or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """UKIPO's printed form ``YYNNNNN.C``, with the check digit only when it was given."""
    return parse(number).display
