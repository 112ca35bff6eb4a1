"""EP: European patent application numbers (European Patent Office).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``EP`` + 8 digits ``YYNNNNNN`` (two-digit filing year,
six-digit serial), no check digit: ``EP99403122``.

Accepted variants, all of the same application:

* national form with or without check digit: ``99403122``, ``99 403 122.7``, ``EP 99 403 122.7``,
  ``EP99403122.7``, and ``994031227`` (nine digits: the ninth is the check digit);
* epodoc form (EPO, "Espacenet" priority numbers): ``EP19990403122`` — four-digit year and a
  seven-digit serial whose first digit is ``0``;
* DOCDB form with application kind ``A``: ``EP 99403122 A``, as Google Patents writes it
  ``EP-99403122-A``, as the USPTO's Global Dossier writes it ``99403122.A``;
* the forms of the EPO's own records (OPS, Register): ``EP 10167109 A``, ``EP20100167109`` and the
  "original" ``10167109.7`` of one application.

Refused: seven-digit numbers and numbers with a publication kind code (``EP 1 234 567 A1``) are
publication numbers (``notAnApplicationNumber``); years before 1978 (the EPO opened on
1 June 1978) or after next year (``implausibleYear``).

Check digit (EPO, "OPS/Espacenet support: check digit of EP application numbers"; docs/domain.md#ep):
weights 1, 2, 1, 2, … from the left, add the *digits* of the products, check =
(10 − sum mod 10) mod 10. Worked example: ``99403122`` → 9+9+4+0+3+2+2+4 = 33 → **7**.

>>> validate("EP 99 403 122.7")
'EP99403122'
>>> validate("EP19990403122")
'EP99403122'
>>> validate("99203729.A")
'EP99203729'
>>> calc_check_digit("99403122")
'7'
>>> format("99403122")
'99 403 122.7'
>>> is_valid("99 403 122.8")
False
"""

from __future__ import annotations

from registry.domain.numbers._common import (
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

__all__ = ["calc_check_digit", "compact", "format", "is_valid", "parse", "validate"]

OFFICE = "EP"
FIRST_YEAR = 1978
# The digit sum of 2·d for each digit d (the weight-2 positions of the check).
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def calc_check_digit(number: str) -> str:
    """The EP check digit of the 8 digits ``YYNNNNNN`` (EPO algorithm, see the module docstring)."""
    if number.isascii() and number.isdigit():
        # The same sum, position by position in C: weight 1 at even positions, 2 at odd ones.
        total = sum(map(int, number[::2])) + sum(map(_DOUBLED.__getitem__, map(int, number[1::2])))
        return str((10 - total % 10) % 10)
    total = 0
    for i, c in enumerate(number):
        product = int(c) * (1 + i % 2)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def parse(number: str) -> Parsed:
    """Read an EP application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None and kind != "A":
        refuse_publication(kind, OFFICE, number, "EP 99 403 122.7")
    text, check = split_check(text)
    digits = digits_only(text, OFFICE, number)
    if len(digits) == 11:
        # epodoc: the year in full and the six-digit serial padded to seven digits.
        if digits[4] != "0":
            fail(
                "badFormat",
                f"{shown(number)} reads as an epodoc number, but its serial {digits[4:]} has more than six "
                "digits; check the number",
            )
        check_year(int(digits[:4]), FIRST_YEAR, OFFICE, number)
        core = digits[2:4] + digits[5:]
    elif len(digits) == 9 and check is None:
        core, check = digits[:8], digits[8]
    elif len(digits) == 8:
        core = digits
    elif len(digits) == 7:
        fail(
            "notAnApplicationNumber",
            f"{shown(number)} has seven digits like an EP publication number; an EP application number "
            "has eight (YYNNNNNN), such as 99 403 122.7",
        )
    else:
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; an EP application number has eight (YYNNNNNN) "
            "plus an optional check digit, such as 99 403 122.7",
        )
    check_year(year_from_two_digits(core[:2], FIRST_YEAR), FIRST_YEAR, OFFICE, number)
    computed = calc_check_digit(core)
    if check is not None and check != computed:
        fail(
            "checkDigitMismatch",
            f"{shown(number)} has check digit {check}, but the EP check digit of {core} is {computed}; "
            "look for a mistyped digit",
        )
    return Parsed(f"{OFFICE}{core}", f"{core[:2]} {core[2:5]} {core[5:]}.{computed}", computed)


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical form of an EP application number or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """The EPO's printed form ``YY NNN NNN.C`` (check digit computed), e.g. ``99 403 122.7``."""
    return parse(number).display
