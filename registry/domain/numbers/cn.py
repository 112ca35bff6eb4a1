"""CN: application numbers of the China National Intellectual Property Administration (CNIPA).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``CN`` + the digits of the number without its check
character.

* Since 1 October 2003: 12 digits ``YYYY T NNNNNNN`` — filing year, type ``T``, seven-digit serial:
  ``CN201710601862`` for ``201710601862.3``.
* Before (1985–2003): 8 digits ``YY T NNNNN`` — two-digit year, type, five-digit serial:
  ``CN95115608`` for ``95115608.X``. The old number is kept as it is, not widened to 12 digits:
  CNIPA never renumbered old applications, and an invented 12-digit form could collide with nothing
  yet would be one more spelling to agree on. A 12-digit number with a year before 2003 is
  ``implausibleYear``.

Type ``T`` (CNIPA, "专利申请号标准", ZC 0006-2003): 1 invention, 2 utility model, 3 design, 8 PCT
invention entering the national phase, 9 PCT utility model entering the national phase; anything
else is ``unknownSeries``.

Check character (ZC 0006-2003; docs/domain.md#cn): weights 2, 3, 4, 5, 6, 7, 8, 9, 2, 3, … from the left,
sum mod 11, 10 written ``X``. Verified on ``201710601862`` → 157 mod 11 = **3**, on
``202120322383`` → 131 mod 11 = 10 = **X**, and on the old ``95115608`` → 186 mod 11 = 10 = **X**:
the same weights serve both lengths.

Accepted variants: ``201710601862.3``, ``CN 202120322383.X``, ``2019109588007`` (13 characters
without a dot: 12 digits + check, as docs/domain.md#cn says), ``95115608.X``, ``95115608X``, ``ZL201710601862.3``
(the patent number ``ZL`` + application number names the same application), spaces anywhere.
The EPO's database forms (OPS Reference Guide v1.3.20; docs/domain.md#numbers-as-databases-print-them):
epodoc ``CN200880123968`` (``CN`` + the 12 digits) and DOCDB ``CN 200880123968 A`` — the digits run
together and an application kind, ``A`` for an invention (types 1 and 8) or ``U`` for a utility model
(types 2 and 9); a kind that contradicts the type digit is ``badFormat``. A publication number has 9
digits (7 before 2007) and a publication kind (``CN 107123456 A``, ``CN107123456B``): it is
``notAnApplicationNumber``. ``W`` is a PCT application received by CNIPA (:mod:`registry.domain.numbers.wo`).

>>> validate("CN 202120322383.X")
'CN202120322383'
>>> validate("2019109588007")
'CN201910958800'
>>> format("CN95115608")
'95115608.X'
>>> validate("CN 200880123968 A")
'CN200880123968'
"""

from __future__ import annotations

import re
from itertools import cycle
from operator import mul

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
    strip_office,
    strip_own,
    year_from_two_digits,
)

__all__ = ["TYPES", "calc_check_digit", "compact", "format", "is_valid", "parse", "validate"]

OFFICE = "CN"
TYPES = frozenset("12389")
"""Type digits of ZC 0006-2003: invention, utility model, design, PCT invention, PCT utility model."""
FIRST_YEAR = 1985  # the Chinese patent law took effect on 1 April 1985
NEW_FORM_SINCE = 2003

# DOCDB application kinds and the type digits they go with (ZC 0006-2003).
_KIND_TYPES = {"A": "18", "U": "29"}
_PUBLICATION = re.compile(r"[0-9 ]*[0-9][ .-]?([ABCUYS][0-9]?)", re.ASCII)
_CHECKED = re.compile(r"(.*[0-9]) ?\. ?([0-9X])", re.ASCII)
_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9)
# Sums of the first k weights (a full cycle of 8 sums to 44).
_WEIGHT_SUMS = (0, 2, 5, 9, 14, 20, 27, 35)


def calc_check_digit(number: str) -> str:
    """The CNIPA check character of the 12 (or old 8) digits (ZC 0006-2003, module docstring)."""
    if number.isascii() and number.isdigit():
        # The same sum over the ASCII codes (digit + 48), with 48 times the weights taken off.
        weights = 44 * (len(number) // 8) + _WEIGHT_SUMS[len(number) % 8]
        total = sum(map(mul, number.encode("ascii"), cycle(_WEIGHTS))) - 48 * weights
    else:
        total = sum(map(mul, map(int, number), cycle(_WEIGHTS)))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def parse(number: str) -> Parsed:
    """Read a CN application number (rules in the module docstring); raise on anything else."""
    text = strip_own(prepare(number), OFFICE)
    if text.startswith("ZL"):
        text = text[2:].lstrip(" .:")
    text = strip_office(text, OFFICE)
    publication = _PUBLICATION.fullmatch(text)
    kind: str | None = None
    if publication:
        kind, text = publication.group(1), text[: publication.start(1)].rstrip(" .-")
        if kind not in _KIND_TYPES or len(text.replace(" ", "")) not in (8, 12, 13):
            refuse_publication(kind, OFFICE, number, "201710601862.3")
    checked = _CHECKED.fullmatch(text)
    check: str | None = None
    if checked:
        text, check = checked.groups()
    elif text.endswith("X"):
        text, check = text[:-1], "X"
    digits = digits_only(text, OFFICE, number)
    if check is None and len(digits) in (9, 13):
        digits, check = digits[:-1], digits[-1]
    if len(digits) == 12:
        year = int(digits[:4])
        if FIRST_YEAR <= year < NEW_FORM_SINCE:
            fail(
                "implausibleYear",
                f"{shown(number)} has 12 digits with the year {year}, but CN numbers had 8 digits before "
                "2003, such as 95115608.X; check the number",
            )
        check_year(year, NEW_FORM_SINCE, OFFICE, number)
        kind_digit = digits[4]
    elif len(digits) == 8:
        check_year(year_from_two_digits(digits[:2], FIRST_YEAR), FIRST_YEAR, OFFICE, number, NEW_FORM_SINCE)
        kind_digit = digits[2]
    else:
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; a CN application number has 12 digits and a "
            "check character, such as 201710601862.3 (8 before 2003)",
        )
    if kind_digit not in TYPES:
        fail(
            "unknownSeries",
            f"{shown(number)} has the type digit {kind_digit}; CNIPA uses 1, 2, 3, 8 and 9 only",
        )
    if kind is not None and kind_digit not in _KIND_TYPES[kind]:
        fail(
            "badFormat",
            f"{shown(number)} has the type digit {kind_digit} but the DOCDB kind {kind}, which means type "
            f"{' or '.join(_KIND_TYPES[kind])}; check both",
        )
    computed = calc_check_digit(digits)
    if check is not None and check != computed:
        fail(
            "checkDigitMismatch",
            f"{shown(number)} has check character {check}, but the CN check character of {digits} is "
            f"{computed}; look for a mistyped digit",
        )
    return Parsed(f"{OFFICE}{digits}", f"{digits}.{computed}", computed)


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``CN`` + digits (ZC 0006-2003) or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """CNIPA's printed form, digits ``.`` check character (ZC 0006-2003): ``201710601862.3``."""
    return parse(number).display
