"""FR: patent application numbers of the French Institut national de la propriété industrielle (INPI).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``FR`` + 7 digits ``YYNNNNN`` (two-digit filing year,
five-digit serial): ``FR1914349``. INPI has numbered this way since 1969 (docs/domain.md#fr; INPI, "Numérotation des
demandes"), so two-digit years 69–99 are 19YY and the others 20YY. There is no check digit.

Accepted variants: ``1914349``, ``FR 1909731``, ``FR1914349``, ``19 14349``, ``19/14349``, and the
EPO's database forms (OPS Reference Guide v1.3.20 Table 3: epodoc is the office, the four-digit
year and the serial padded to seven digits; docs/domain.md#numbers-as-databases-print-them):

* epodoc ``FR20190014349`` for ``1914349``; the year written out, ``201914349``;
* DOCDB ``FR 1451345 A`` (Google Patents): the digits run together and the application kind ``A``;
  after grouped digits a kind letter is a publication citation and is refused. ``W`` is a PCT
  application received by INPI (:mod:`registry.domain.numbers.wo`).

Refused: a publication kind code (``FR 2 123 456 A1``) is ``notAnApplicationNumber``; other lengths
are ``badLength``.

>>> validate("FR 19 14349")
'FR1914349'
>>> format("FR1909731")
'1909731'
>>> validate("FR20190014349")
'FR1914349'
>>> validate("FR-1451345-A")
'FR1451345'
"""

from __future__ import annotations

from registry.domain.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    epodoc_serial,
    fail,
    parses,
    prepare,
    refuse_publication,
    run_together,
    shown,
    split_kind,
    strip_office,
    year_from_two_digits,
)

__all__ = ["compact", "format", "is_valid", "parse", "validate"]

OFFICE = "FR"
FIRST_YEAR = 1969
_CENTURIES = ("19", "20")


def parse(number: str) -> Parsed:
    """Read an FR application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None and (kind != "A" or not run_together(text.strip())):
        refuse_publication(kind, OFFICE, number, "1914349")
    digits = digits_only(text, OFFICE, number)
    if len(digits) == 11 and digits[:2] in _CENTURIES:
        # epodoc: four-digit year, serial padded to seven (FR20190014349 = 1914349).
        year, serial = epodoc_serial(digits, 5, OFFICE, number)
        check_year(year, FIRST_YEAR, OFFICE, number)
        digits = digits[2:4] + serial
    elif len(digits) == 9 and digits[:2] in _CENTURIES:
        check_year(int(digits[:4]), FIRST_YEAR, OFFICE, number)
        digits = digits[2:]
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
