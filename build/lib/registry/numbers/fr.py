"""FR: patent application numbers of the French Institut national de la propriété industrielle (INPI).

Canonical form (SPEC.md §1): ``FR`` + 7 digits ``YYNNNNN`` (two-digit filing year, five-digit
serial): ``FR1914349``. INPI has numbered this way since 1969 (DOMAIN.md; INPI, "Numérotation des
demandes"), so two-digit years 69–99 are 19YY and the others 20YY. There is no check digit.

Accepted variants: ``1914349``, ``FR 1909731``, ``FR1914349``, ``19 14349``, ``19/14349``.
Refused: a kind code (``FR 2 123 456 A1``: a publication) is ``notAnApplicationNumber``; other
lengths are ``badLength``.

>>> validate("FR 19 14349")
'FR1914349'
>>> format("FR1909731")
'1909731'
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
    split_kind,
    strip_office,
    year_from_two_digits,
)

__all__ = ["compact", "format", "is_valid", "parse", "validate"]

OFFICE = "FR"
FIRST_YEAR = 1969


def parse(number: str) -> Parsed:
    """Read an FR application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None:
        refuse_publication(kind, OFFICE, number, "1914349")
    digits = digits_only(text, OFFICE, number)
    if len(digits) != 7:
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; an FR application number has seven (YYNNNNN), such as 1914349",
        )
    check_year(year_from_two_digits(digits[:2], FIRST_YEAR), FIRST_YEAR, OFFICE, number)
    if digits[2:] == "00000":
        fail("badFormat", f"{shown(number)} has the serial 00000, which INPI never assigns")
    return Parsed(f"{OFFICE}{digits}", digits)


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``FR`` + ``YYNNNNN`` (INPI numbering) or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """INPI's printed form ``YYNNNNN``, e.g. ``1914349``."""
    return parse(number).display
