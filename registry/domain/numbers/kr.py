"""KR: application numbers of the Korean Intellectual Property Office (KIPO).

Canonical form (docs/spec/commitments.md#canonical-numbers): ``KR`` + 13 digits ``TT YYYY NNNNNNN`` — right type, filing
year, seven-digit serial: ``KR1020050078345`` for ``10-2005-0078345``. No check digit.

Right types (KIPO numbering since 1999, docs/domain.md#kr): ``10`` patent, ``20`` utility model, ``30``
design, ``40`` trademark; any other type is ``unknownSeries``.

**A number without its type code** (``2004-0104821``, epodoc ``KR 20170154142``) is read as a
**patent application, type 10**. Patents and utility models count their serials separately, so the
digits alone could name two applications; the rule follows the EPO's bibliographic data (epodoc and
priority data in EP/WO publications), which write Korean *patent* applications as ``KR`` + year +
serial without the ``10`` and name utility models only with a kind marker — the form people copy into
priority claims. Utility-model, design and trademark numbers must therefore carry their type
(``20-2005-0012345``).

**Database forms** (OPS Reference Guide v1.3.20; docs/domain.md#numbers-as-databases-print-them): epodoc
``KR20080107376`` (original ``10-2008-0107376``) and ``KR20107026618`` (original
``1020107026618``) drop the type as said; DOCDB adds an application kind to the run-together digits,
``A`` for a patent and ``U`` for a utility model, which is how a DOCDB number says its type:
``KR 20050012345 U`` is ``KR2020050012345``. A kind that contradicts the type written
(``1020050078345 U``) is ``badFormat``; a kind after a hyphenated number, or a publication kind with
its digit (``KR 10-2005-0078345 B1``), is ``notAnApplicationNumber``. ``W`` is a PCT application
(``KR 2009006271 W`` = ``PCT/KR2009/006271``, :mod:`registry.domain.numbers.wo`).

**Numbers from before 1999** (``1998-012345``, ``98-012345``: year and six-digit serial) are widened to
the 13-digit form the same way KIPRIS shows them: type 10 unless given, serial padded to seven digits
(``KR1019980012345``). A two-digit year is 19YY (KIPO adopted four-digit years with the 1999 form).

Accepted variants: ``10-2005-0078345``, ``1020050078345``, ``KR 10-2005-0078345``, ``2004-0104821``,
``20040104821``, ``KR 20170154142``, ``1998-012345``, ``98-12345``, ``10-1998-012345``.

>>> validate("10-2005-0078345")
'KR1020050078345'
>>> validate("KR 20040104821")
'KR1020040104821'
>>> validate("98-012345")
'KR1019980012345'
>>> format("KR1020050078345")
'10-2005-0078345'
>>> validate("KR 20050078345 A")
'KR1020050078345'
>>> validate("KR 20050012345 U")
'KR2020050012345'
"""

from __future__ import annotations

import re

from registry.domain.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    fail,
    parses,
    prepare,
    refuse_publication,
    run_together,
    shown,
    split_kind,
    strip_office,
)

__all__ = ["RIGHT_TYPES", "compact", "format", "is_valid", "parse", "validate"]

OFFICE = "KR"
RIGHT_TYPES = frozenset({"10", "20", "30", "40"})
"""KIPO right types: patent, utility model, design, trademark (docs/domain.md#kr)."""
PATENT = "10"
UTILITY_MODEL = "20"
_KIND_TYPES = {"A": PATENT, "U": UTILITY_MODEL}
FIRST_YEAR = 1948  # the first Korean patent act
FOUR_DIGIT_YEAR_SINCE = 1999

_SEPARATED = re.compile(r"(?:([0-9]{2}) ?[- ] ?)?([0-9]{4}|[0-9]{2}) ?[- ] ?([0-9]{1,7})", re.ASCII)


def parse(number: str) -> Parsed:
    """Read a KR application number (rules in the module docstring); raise on anything else."""
    text = strip_office(prepare(number), OFFICE)
    text, kind = split_kind(text)
    if kind is not None and (kind not in _KIND_TYPES or not run_together(text.strip())):
        refuse_publication(kind, OFFICE, number, "10-2005-0078345")
    separated = _SEPARATED.fullmatch(text)
    right: str | None
    if separated:
        right, year_text, serial = separated.groups()
    else:
        digits = digits_only(text, OFFICE, number)
        if len(digits) == 13 or len(digits) == 12:
            right, year_text, serial = digits[:2], digits[2:6], digits[6:]
        elif len(digits) in (10, 11):
            right, year_text, serial = None, digits[:4], digits[4:]
        elif len(digits) in (8, 9):
            # Before 1999: two-digit year and serial; DOCDB pads the serial to seven digits
            # (KR-900009805-U, Google Patents), the six-digit rule below still applies.
            right, year_text, serial = None, digits[:2], digits[2:]
        else:
            fail(
                "badLength",
                f"{shown(number)} has {len(digits)} digits; a KR application number is type, year and "
                "serial, such as 10-2005-0078345",
            )
    year = int(year_text) if len(year_text) == 4 else 1900 + int(year_text)
    check_year(year, FIRST_YEAR, OFFICE, number, None if len(year_text) == 4 else FOUR_DIGIT_YEAR_SINCE - 1)
    if year >= FOUR_DIGIT_YEAR_SINCE and separated is None and len(serial) != 7:
        fail(
            "badLength",
            f"{shown(number)} has a {len(serial)}-digit serial; since 1999 KR serials have seven digits, "
            "such as 10-2005-0078345",
        )
    if year < FOUR_DIGIT_YEAR_SINCE and len(serial.lstrip("0")) > 6:
        fail(
            "badFormat",
            f"{shown(number)} has a seven-digit serial for {year}; before 1999 KR serials had six digits",
        )
    kind_type = None if kind is None else _KIND_TYPES.get(kind)
    if kind_type is not None and right is not None and right != kind_type:
        fail(
            "badFormat",
            f"{shown(number)} has the type {right} but the DOCDB kind {kind}, which means type {kind_type}; check both",
        )
    right = right or kind_type or PATENT
    if right not in RIGHT_TYPES:
        fail(
            "unknownSeries",
            f"{shown(number)} has the type code {right}; KIPO uses 10 (patent), 20 (utility model), "
            "30 (design) and 40 (trademark)",
        )
    serial = serial.zfill(7)
    if serial == "0000000":
        fail("badFormat", f"{shown(number)} has the serial 0000000, which KIPO never assigns")
    return Parsed(f"{OFFICE}{right}{year}{serial}", f"{right}-{year}-{serial}")


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``KR`` + type + year + serial (KIPO numbering) or raise."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """KIPO's printed form ``TT-YYYY-NNNNNNN`` (KIPRIS), e.g. ``10-2005-0078345``."""
    return parse(number).display
