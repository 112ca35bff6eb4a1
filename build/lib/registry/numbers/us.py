"""US: application numbers of the United States Patent and Trademark Office.

Canonical form (SPEC.md §1): ``US`` + 8 digits, the two-digit *series code* and the six-digit
serial, no separators: ``US16123456`` for ``16/123,456``.

Series codes (USPTO, MPEP §503 "Application Number and Filing Receipt"; DOMAIN.md):

* ``02``–``19`` non-provisional (utility, plant, reissue) applications, one series after another
  (``09`` 1998–2001 … ``18`` 2022–2024, ``19`` since 2024);
* ``29`` design applications, ``35`` international design applications (Hague);
* ``60``–``63`` provisional applications.

Any other series is ``unknownSeries``. There is no check digit.

Accepted variants: ``16/123,456``, ``16/123456``, ``16 123 456``, ``16123456``, ``US 16/123,456``,
``U.S. 16/123,456``, a one-digit series before a slash (``8/123,456`` = ``08/123,456``), and the EPO
epodoc/DOCDB form ``US 201862649118 P`` (filing year, series, serial, kind ``P`` provisional / ``A``
non-provisional / ``F`` design).

Refused as ``notAnApplicationNumber``: patent and publication numbers — ``US 2019/0095759 A1``
(year + seven digits), ``10,123,456``, ``US 10123456 B2``, ``RE45,678``, ``D812,345``, ``PP30,123``.
A serial without its series (``123,456``) is ``ambiguousNumber``: every series has one.

>>> validate("16/123,456")
'US16123456'
>>> validate("US 201862649118 P")
'US62649118'
>>> format("US17647036")
'17/647,036'
"""

from __future__ import annotations

import re

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
)

__all__ = ["SERIES_CODES", "compact", "format", "is_valid", "parse", "validate"]

OFFICE = "US"
NON_PROVISIONAL = frozenset(f"{n:02d}" for n in range(2, 20))
DESIGN = frozenset({"29", "35"})
PROVISIONAL = frozenset({"60", "61", "62", "63"})
SERIES_CODES: frozenset[str] = NON_PROVISIONAL | DESIGN | PROVISIONAL
"""Every USPTO series code in use (MPEP §503); extend when the USPTO opens a new series."""

_PATENT_NUMBER = re.compile(r"(?:US ?)?(?:RE|PP|D|H|T) ?[0-9][0-9,]*(?: ?[A-Z][0-9]?)?|[0-9]{1,2}(?:,[0-9]{3}){2}")
_SLASHED = re.compile(r"([0-9]{1,2}) ?[/-] ?([0-9]{3})[ ,.]?([0-9]{3})")
_US_DOTTED = re.compile(r"U\.? ?S\.? ?(?=[0-9])")


def parse(number: str) -> Parsed:
    """Read a US application number (rules in the module docstring); raise on anything else."""
    text = prepare(number)
    if _PATENT_NUMBER.fullmatch(text):
        fail(
            "notAnApplicationNumber",
            f"{shown(number)} is a US patent number, not an application number; give the application "
            "number, such as 16/123,456",
        )
    text = _US_DOTTED.sub("", text, count=1) if text.startswith("U.") else text
    text = strip_office(text, OFFICE)
    text, kind = split_kind(text)
    if kind is not None and (len(kind) == 2 or kind not in "APF"):
        refuse_publication(kind, OFFICE, number, "16/123,456")
    slashed = _SLASHED.fullmatch(text)
    if slashed:
        series, serial = slashed.group(1).zfill(2), slashed.group(2) + slashed.group(3)
    else:
        digits = digits_only(text, OFFICE, number)
        if len(digits) == 8:
            series, serial = digits[:2], digits[2:]
        elif len(digits) == 12:
            # epodoc/DOCDB: the filing year comes first (``201862649118`` = 2018, 62/649,118).
            check_year(int(digits[:4]), 1900, OFFICE, number)
            series, serial = digits[4:6], digits[6:]
        elif len(digits) == 11 and digits[:2] in ("19", "20"):
            fail(
                "notAnApplicationNumber",
                f"{shown(number)} has the form of a US publication number (year and seven digits); give "
                "the application number, such as 16/123,456",
            )
        elif len(digits) == 6:
            fail(
                "ambiguousNumber",
                f"{shown(number)} is a serial without its two-digit series code and could belong to any "
                "series; write it as series/serial, such as 16/123,456",
            )
        else:
            fail(
                "badLength",
                f"{shown(number)} has {len(digits)} digits; a US application number has a two-digit "
                "series and a six-digit serial, such as 16/123,456",
            )
    if series not in SERIES_CODES:
        fail(
            "unknownSeries",
            f"{shown(number)} has the series code {series}, which the USPTO does not use; check the first two digits",
        )
    if serial == "000000":
        fail("badFormat", f"{shown(number)} has the serial 000000, which the USPTO never assigns")
    if (kind == "P" and series not in PROVISIONAL) or (kind == "F" and series not in DESIGN):
        fail(
            "badFormat",
            f"{shown(number)} has kind {kind}, which does not match the series {series}; check both",
        )
    return Parsed(f"{OFFICE}{series}{serial}", f"{series}/{serial[:3]},{serial[3:]}")


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``US`` + series + serial (MPEP §503) or raise ``InvalidApplicationNumber``."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """The USPTO's printed form ``SS/NNN,NNN`` (MPEP §503), e.g. ``16/123,456``."""
    return parse(number).display
