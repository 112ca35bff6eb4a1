"""DE: file numbers (Aktenzeichen) of applications at the German Patent and Trade Mark Office (DPMA).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``DE`` + the digits of the file number **without** its
check digit.

* Since 1 January 2004: 12 digits ``KK YYYY NNNNNN`` — right code, filing year, six-digit serial:
  ``DE102007004488`` for ``10 2007 004 488.9``. ``KK`` (DPMA; docs/domain.md#de): 10 patent, 11 PCT national
  phase, 20 utility model, 30 trademark, 40 design; any other code is ``unknownSeries``.
* 1995–2003: 8 digits, a three-digit series then five digits: ``198 12 345.6`` → ``DE19812345``.
  Series: patents 195–199 and 100–103, utility models 295–299 and 200–203, trademarks 395–399 and
  300–303 (DPMA file-number scheme of 1995).
* Before 1995: 7 digits, ``P 31 30 619.5`` → ``DE3130619`` (a leading ``P`` patent or ``G``
  utility-model letter is dropped).

Old numbers are kept as they are: the DPMA did not renumber them, and every digit string has one
reading, so there is no second spelling to agree on.

Check digit (DPMA, Mitteilung Nr. 3/83 of the President; docs/domain.md#de): weights 2, 3, 4, … from the
*rightmost* digit, r = sum mod 11, check = (11 − r) mod 11. Worked example: ``31 30 619`` → 94 →
r = 6 → **5**; and ``10 2007 004 488`` → 167 → r = 2 → **9**. The formula gives 10 when r = 1; DPMA
check digits are single digits and the notice's treatment of that case could not be confirmed here,
so such a number is accepted with the check digit **0** (the common mod-11 convention, 10 → 0) and this
module says so rather than refusing numbers that may exist.

Also accepted: the legacy epodoc form with the year first, ``DE 201310211960`` = ``10 2013 211 960``.
Twelve digits are read in the national order ``KK YYYY`` first (the order of the canonical form,
which must read back to itself) and year-first only when the national reading is impossible; the
national reading also wins when a check digit is given (epodoc has none) or the grouping
``KK YYYY …`` is written. A year-first grouping (``2013 10 211960``) is read year-first.
Eight digits without a dot are the 1995 form when the series exists, otherwise 7 digits + check.

DOCDB application references (OPS Reference Guide v1.3.20; docs/domain.md#numbers-as-databases-print-them) carry a
one-letter application kind after the digits: ``A`` patent (right code 10, or an old patent series), ``U`` utility model
(20, or an old utility-model series), ``T`` national phase of a PCT application (11): ``DE 102013211960 A`` = ``10 2013
211 960``. A kind that contradicts the right code is ``badFormat``. DOCDB's ``T`` also marks the German translations of
European patents (``DE 69905327 T``, file numbers 5xx/6xx and right codes 50/60): those are file numbers of European
patents, not DPMA applications, and are ``unknownSeries`` with a message that says so.

Refused: publication numbers with a kind code (``DE 10 2007 004 488 A1``: same digits, but they name
a document), ``notAnApplicationNumber``.

>>> validate("10 2007 004 488.9")
'DE102007004488'
>>> validate("DE 201310211960")
'DE102013211960'
>>> validate("P 31 30 619.5")
'DE3130619'
>>> format("DE3130619")
'31 30 619.5'
>>> validate("DE 102013211960 A")
'DE102013211960'
"""

from __future__ import annotations

import re
from itertools import count
from operator import mul

from registry.domain.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    fail,
    max_year,
    parses,
    prepare,
    refuse_publication,
    shown,
    split_check,
    split_kind,
    strip_office,
)
from registry.errors import InvalidApplicationNumber

__all__ = ["RIGHT_CODES", "calc_check_digit", "compact", "format", "is_valid", "parse", "validate"]

OFFICE = "DE"
RIGHT_CODES = frozenset({"10", "11", "20", "30", "40"})
"""DPMA right codes since 2004: patent, PCT national phase, utility model, trademark, design."""
NEW_FORM_SINCE = 2004
OLD8_SERIES = frozenset(f"{base + y}" for base in (100, 200, 300) for y in (95, 96, 97, 98, 99, 0, 1, 2, 3))
"""Series of the 1995–2003 form: 195–199/100–103, 295–299/200–203, 395–399/300–303."""

# DOCDB application kinds: the right code they go with since 2004, the series digit before.
EUROPEAN_CODES = frozenset({"50", "60"})
EUROPEAN_SERIES = frozenset("56")
"""First digit of the 8-digit file numbers (5xx, 6xx) and right codes 50/60 that the DPMA gives
European patents with effect in Germany (DOCDB kind T or A: DE 698 40 731, DE 689 26 392)."""
_KIND_RIGHTS = {"A": ("10", "1"), "U": ("20", "2"), "T": ("11", "")}
_OLD_LETTER = re.compile(r"[PG] ?(?=[0-9])", re.ASCII)
_YEAR_FIRST_GROUPING = re.compile(r"[0-9]{4}[ ./-]", re.ASCII)


def calc_check_digit(number: str) -> str:
    """The DPMA check digit of a file number (Mitteilung 3/83; 10 is written 0, see the docstring)."""
    total = sum(map(mul, map(int, reversed(number)), count(2)))
    return str((11 - total % 11) % 11 % 10)


def _refuse_european(number: str) -> None:
    # DPMA file numbers 50/60 (since 2004) and 59x/69x (before) are European patents in Germany.
    fail(
        "unknownSeries",
        f"{shown(number)} is the DPMA file number of a European patent with effect in Germany, not a "
        "DPMA application; give the EP application number",
    )


def _new(right: str, year: int, serial: str, number: str) -> str:
    check_year(year, NEW_FORM_SINCE, OFFICE, number)
    if right in EUROPEAN_CODES:
        _refuse_european(number)
    if right not in RIGHT_CODES:
        fail(
            "unknownSeries",
            f"{shown(number)} has the right code {right}; the DPMA uses 10, 11, 20, 30 and 40",
        )
    return f"{right}{year}{serial}"


def _twelve(digits: str, check: str | None, text: str, number: str) -> str:
    """Read 12 digits national-first, year-first (legacy epodoc) only as the fallback (docstring)."""
    national = (digits[:2], int(digits[2:6]), digits[6:])
    year_first = (digits[4:6], int(digits[:4]), digits[6:])
    if check is None and _YEAR_FIRST_GROUPING.match(text):
        return _new(*year_first, number)
    try:
        return _new(*national, number)
    except InvalidApplicationNumber:
        if check is not None or not _year_first_possible(*year_first):
            raise
    return _new(*year_first, number)


def _year_first_possible(right: str, year: int, serial: str) -> bool:
    """Tell whether the year-first (epodoc) reading names a possible DPMA file number."""
    return right in RIGHT_CODES and NEW_FORM_SINCE <= year <= max_year() and len(serial) == 6


def _check_kind(kind: str, digits: str, number: str) -> None:
    """A DOCDB application kind must name the right the file number names (module docstring)."""
    right, series = _KIND_RIGHTS[kind]
    named = digits[:2] if len(digits) == 12 else digits[0] if len(digits) == 8 else None
    expected = right if len(digits) == 12 else series
    if named is not None and named != expected:
        fail(
            "badFormat",
            f"{shown(number)} has the DOCDB kind {kind}, which does not go with the right code {named}; check both",
        )


def parse(number: str) -> Parsed:
    """Read a DE file number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text = _OLD_LETTER.sub("", text, count=1) if _OLD_LETTER.match(text) else text
    text, kind = split_kind(text)
    if kind is not None and kind not in _KIND_RIGHTS:
        refuse_publication(kind, OFFICE, number, "10 2007 004 488.9")
    text, check = split_check(text)
    digits = digits_only(text, OFFICE, number)
    # Without a dot, one digit more than a form is that form plus its check digit; eight digits are
    # the 1995 form when the series exists (the canonical shape must read back to itself).
    # DOCDB prints no check digit: with a DOCDB kind every digit belongs to the file number.
    has_check_digit = kind is None and (len(digits) in (9, 13) or (len(digits) == 8 and digits[:3] not in OLD8_SERIES))
    if check is None and has_check_digit:
        digits, check = digits[:-1], digits[-1]
    if len(digits) == 12:
        digits = _twelve(digits, check, text, number)
        display = f"{digits[:2]} {digits[2:6]} {digits[6:9]} {digits[9:]}"
    elif len(digits) == 8:
        if digits[0] in EUROPEAN_SERIES:
            _refuse_european(number)
        if digits[:3] not in OLD8_SERIES:
            fail(
                "unknownSeries",
                f"{shown(number)} has the series {digits[:3]}, which the DPMA did not use in 1995–2003; "
                "check the number",
            )
        display = f"{digits[:3]} {digits[3:5]} {digits[5:]}"
    elif len(digits) == 7:
        display = f"{digits[:2]} {digits[2:4]} {digits[4:]}"
    else:
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; a DE file number has 12 digits and a check "
            "digit, such as 10 2007 004 488.9 (7 or 8 before 2004)",
        )
    if kind is not None:
        _check_kind(kind, digits, number)
    computed = calc_check_digit(digits)
    if check is not None and check != computed:
        fail(
            "checkDigitMismatch",
            f"{shown(number)} has check digit {check}, but the DE check digit of {digits} is {computed}; "
            "look for a mistyped digit",
        )
    return Parsed(f"{OFFICE}{digits}", f"{display}.{computed}", computed)


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``DE`` + file-number digits (DPMA) or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """The DPMA's printed form with check digit: ``10 2007 004 488.9``, ``31 30 619.5``."""
    return parse(number).display
