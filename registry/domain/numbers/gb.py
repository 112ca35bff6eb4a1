"""GB: patent application numbers of the UK Intellectual Property Office (UKIPO).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``GB`` + 7 digits ``YYNNNNN`` (two-digit filing year,
five-digit serial), without the check digit: ``GB1217782`` for ``1217782.0``. This form has been used since the
Patents Act 1977 took effect (1978), so two-digit years 78–99 are 19YY and the others 20YY.

Check digit: UKIPO prints one after a dot (``GB 1909296.4``) but publishes no algorithm (docs/domain.md#gb),
so a given check digit is kept (shown by :func:`format` and in ``NormalizedNumber.check_digit``) and
**not tested**: inventing a test would refuse real numbers.

Accepted variants: ``1217782.0``, ``GB 1909296.4``, ``GB1217782``, ``12 17782``, ``12177820`` (eight
digits: the last is the check digit), and the EPO's database forms (OPS Reference Guide v1.3.20;
docs/domain.md#numbers-as-databases-print-them):

* epodoc: ``GB`` + four-digit year + the serial padded to seven digits, ``GB20230006615`` for
  ``2306615.2`` (OPS data);
* original with the four-digit year: ``201800758`` for ``GB20180000758`` (OPS data), nine digits;
* DOCDB: the digits run together with the application kind ``A`` — ``GB 1918652 A``,
  ``GB 201314499 A`` (Google Patents). A kind after the grouped digits (``GB 2 123 456 A``) is how GB
  *publications* are cited, so the kind letter is accepted on the run-together form only.
  ``W`` is a PCT application (``GB 0204635 W`` = ``PCT/GB02/04635``, :mod:`registry.domain.numbers.wo`).

Refused: a publication kind code (``GB 2 123 456 A1``) is ``notAnApplicationNumber``; other lengths
are ``badLength``.

>>> validate("GB 1909296.4")
'GB1909296'
>>> format("1217782.0")
'1217782.0'
>>> validate("GB20230006615")
'GB2306615'
>>> validate("201800758")
'GB1800758'
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
    split_check,
    split_kind,
    strip_office,
    year_from_two_digits,
)

__all__ = ["compact", "format", "is_valid", "parse", "validate"]

OFFICE = "GB"
FIRST_YEAR = 1978
_CENTURIES = ("19", "20")


def parse(number: str) -> Parsed:
    """Read a GB application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None and (kind != "A" or not run_together(text.strip())):
        refuse_publication(kind, OFFICE, number, "1217782.0")
    text, check = split_check(text)
    digits = digits_only(text, OFFICE, number)
    if len(digits) == 11 and check is None and digits[:2] in _CENTURIES:
        # epodoc: four-digit year, serial padded to seven (GB20230006615 = 2306615).
        year, serial = epodoc_serial(digits, 5, OFFICE, number)
        check_year(year, FIRST_YEAR, OFFICE, number)
        digits = digits[2:4] + serial
    elif len(digits) == 9 and digits[:2] in _CENTURIES:
        # The four-digit year written out (EPO "original" 201800758 = 1800758).
        check_year(int(digits[:4]), FIRST_YEAR, OFFICE, number)
        digits = digits[2:]
    elif len(digits) == 8 and check is None and kind is None:
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
