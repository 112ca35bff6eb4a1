"""US: application numbers of the United States Patent and Trademark Office.

Canonical form (docs/spec/commitments.md#canonical-numbers): ``US`` + 8 digits, the two-digit *series code* and the
six-digit serial, no separators: ``US16123456`` for ``16/123,456``.

Series codes (USPTO, MPEP §503 "Application Number and Filing Receipt"; docs/domain.md#us):

* ``02``–``19`` non-provisional (utility, plant, reissue) applications, one series after another
  (``09`` 1998–2001 … ``18`` 2022–2024, ``19`` since 2024);
* ``29`` design applications, ``35`` international design applications (Hague);
* ``60``–``63`` provisional applications.

Any other series is ``unknownSeries``. There is no check digit.

Accepted variants: ``16/123,456``, ``16/123456``, ``16 123 456``, ``16123456``, ``US 16/123,456``,
``U.S. 16/123,456``, a one-digit series before a slash (``8/123,456`` = ``08/123,456``), and the forms
of the EPO's databases (OPS Reference Guide v1.3.20; docs/domain.md#numbers-as-databases-print-them):

* DOCDB: filing year, series and serial run together, with the application kind ``A``
  non-provisional, ``P`` provisional or ``F`` design — ``US 201815919370 A``, ``US 201361761070 P``,
  Google Patents' ``US-201916369247-A``;
* epodoc: the same without the kind, a provisional with a trailing ``P`` — ``US201313926335``,
  ``US201862746724P``;
* original: the USPTO's form, ``13/547,826`` or ``13167395``.

A DOCDB ``W`` (``US 2019056674 W``) is the PCT application ``PCT/US2019/056674``, read by
:mod:`registry.domain.numbers.wo`.

**Legacy database forms are refused by name** (``legacyForm``), because they left out the series
code and a serial alone belongs to every series (MPEP §503): the EPO's number service turns
``11/183,143`` into DOCDB ``US.18314305.A`` (serial + two-digit filing year; OPS guide §4.5) and
``08/921,321`` into epodoc ``US19970921321`` (year + serial; §3.3.4, "loss of essential
information"). So refused are eight or fewer digits with a DOCDB kind (``US 18314305 A``,
``US 2366704 A``), eleven digits with a provisional ``P`` or a year before 2001 (``US20020396363P``,
``US19970921321``), and a year and a six-digit serial (``2002 396363``). Eleven digits with a year
from 2001 read two ways — the old epodoc form or a publication ``2007/0964952`` — and are
``legacyForm`` up to 2010 (the last filing year the EPO wrote that way; ``US20100942680`` and
``US201113167395`` in OPS data), ``notAnApplicationNumber`` after.

Refused as ``notAnApplicationNumber``: patent and publication numbers — ``US 2019/0095759 A1``
(year + seven digits), ``10,123,456``, ``US 10123456 B2``, ``RE45,678``, ``D812,345``, ``PP30,123``.
A serial without its series (``123,456``) is ``ambiguousNumber``: every series has one.

>>> validate("16/123,456")
'US16123456'
>>> validate("US 201862649118 P")
'US62649118'
>>> validate("US201313926335")
'US13926335'
>>> validate("US-201916369247-A")
'US16369247'
>>> format("US17647036")
'17/647,036'
>>> from registry.errors import InvalidApplicationNumber
>>> for legacy in ("US 18314305 A", "US19970921321", "US20020396363P"):
...     try:
...         validate(legacy)
...     except InvalidApplicationNumber as error:
...         print(error.code, "--", str(error)[:52])
legacyForm -- 'US 18314305 A' is the legacy DOCDB form (serial 183
legacyForm -- 'US19970921321' is the legacy epodoc form (serial 92
legacyForm -- 'US20020396363P' is the legacy epodoc form (serial 3
"""

from __future__ import annotations

import re

from registry.domain.numbers._common import (
    Parsed,
    check_year,
    compact_text,
    digits_only,
    fail,
    max_year,
    parses,
    prepare,
    refuse_legacy,
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
PUBLICATIONS_SINCE = 2001
"""Pre-grant publications began on 15 March 2001 (AIPA): an older year-first number is no publication."""
LAST_LEGACY_EPODOC_YEAR = 2010
"""The last filing year the EPO wrote as year + serial without series (OPS data, module docstring)."""

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
        if kind is not None and len(digits) <= 8:
            _refuse_legacy_docdb(number, digits)
        if len(digits) == 8:
            series, serial = digits[:2], digits[2:]
        elif len(digits) == 12:
            # epodoc/DOCDB: the filing year comes first (``201862649118`` = 2018, 62/649,118).
            check_year(int(digits[:4]), 1900, OFFICE, number)
            series, serial = digits[4:6], digits[6:]
        elif len(digits) in (10, 11) and digits[:2] in ("19", "20") and int(digits[:4]) <= max_year():
            # Year first, then the serial without its series: no reading is safe (docstring).
            _refuse_year_and_serial(number, digits, kind)
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


def _refuse_legacy_docdb(number: str, digits: str) -> None:
    """DOCDB's old US form: serial without leading zeros + two-digit filing year, and a kind."""
    serial, yy = digits[:-2].zfill(6), digits[-2:]
    if len(digits) < 3 or len(serial) != 6:
        return
    year = 2000 + int(yy) if 2000 + int(yy) <= max_year() else 1900 + int(yy)
    # "16123456 A" also reads as 16/123,456 with a kind: two readings, so no reading (docs/domain.md#identifiers).
    also = (
        f"; it may also be {digits[:2]}/{digits[2:5]},{digits[5:]}"
        if len(digits) == 8 and digits[:2] in SERIES_CODES
        else ""
    )
    refuse_legacy(
        number,
        f"the legacy DOCDB form (serial {serial}, filed {year}, series code left out{also})",
        f"give the series and serial as the USPTO writes them, series/{serial[:3]},{serial[3:]}",
    )


def _refuse_year_and_serial(number: str, digits: str, kind: str | None) -> None:
    """Year + serial without the series: the old epodoc form (or a publication, see docstring)."""
    year, serial = int(digits[:4]), digits[4:].lstrip("0").zfill(6)
    legacy = kind == "P" or year < PUBLICATIONS_SINCE or len(digits) == 10
    if not legacy and year > LAST_LEGACY_EPODOC_YEAR:
        fail(
            "notAnApplicationNumber",
            f"{shown(number)} has the form of a US publication number (year and seven digits); give "
            "the application number, such as 16/123,456",
        )
    if len(serial) != 6:
        fail("badFormat", f"{shown(number)} has a serial {serial} longer than the USPTO's six digits")
    also = "" if legacy else f"; it may also be the publication {year}/{digits[4:]}"
    refuse_legacy(
        number,
        f"the legacy {'epodoc' if len(digits) == 11 else 'EPO'} form (serial {serial}, filed {year}, series "
        f"code left out{also})",
        f"give the series and serial as the USPTO writes them, series/{serial[:3]},{serial[3:]}",
    )


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
