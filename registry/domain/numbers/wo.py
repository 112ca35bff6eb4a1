"""WO: international (PCT) application numbers; the record office is ``WO``.

Canonical form (docs/spec/commitments.md#canonical-numbers): ``PCT`` + receiving office ``CC`` + four-digit year +
six-digit serial: ``PCTUS2015027322`` for ``PCT/US2015/027322``. ``CC`` is the ST.3 code of the receiving office
(``IB`` when the International Bureau received the application; PCT Rule 19, PCT Administrative
Instructions Section 307 "System of numbering international applications"); it must be a valid ST.3
code (:func:`registry.domain.offices.validate_office`) and cannot be ``WO``.

Since 1 January 2004 the number is ``PCT/CCYYYY/NNNNNN``; before it was ``PCT/CCYY/NNNNN``
(two-digit year, five-digit serial; Administrative Instructions Section 307 as then in force). The
old form maps to the new one by widening the year (78–99 → 19YY, the PCT opened in 1978; others →
20YY) and padding the serial to six digits: ``PCT/US15/27322`` → ``PCTUS2015027322``.

Accepted variants: ``PCT/EP2020/084287``, ``PCT/US15/27322``, ``pct/us2015/027322``,
``PCT US 2015 027322``, ``PCTUS2015027322``, ``US2015/027322`` (the ``PCT/`` dropped: this module is
only called for WO numbers), the epodoc form ``WO2013US50328`` (year, office, serial without its
leading zeros). A serial with fewer digits is padded only when a separator marks where it starts.

The EPO's database forms (OPS Reference Guide v1.3.20 §4.4, "Expressing PCT application numbers in
docdb format"): DOCDB writes ``CCccyynnnnnnW`` since 1 January 2004 and ``CCyynnnnnW`` before —
``PCT/GB02/04635`` is ``GB 0204635 W``, ``PCT/US2019/056674`` is ``US 2019056674 W`` (Google
Patents: ``US-2019016351-W``); epodoc writes ``WO2019US56674``; the "original" form drops the
``PCT/`` (``US2019/056674``, ``EP2019050740``). :func:`parse_docdb` reads the DOCDB form given with
its receiving office, which is how :func:`registry.domain.numbers.normalize` reads ``("US", "US 2019056674 W")``.

Refused: a WO *publication* number (``WO 2004/123456``, ``WO2004123456 A1``) is
``notAnApplicationNumber``.

>>> validate("PCT/US15/27322")
'PCTUS2015027322'
>>> validate("WO2013US50328")
'PCTUS2013050328'
>>> parse("PCT/IB2015/050123").receiving_office
'IB'
>>> format("PCTEP2020084287")
'PCT/EP2020/084287'
>>> validate("US 2019056674 W")
'PCTUS2019056674'
>>> parse_docdb("0204635 W", "GB").canonical
'PCTGB2002004635'
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
    shown,
    split_kind,
    strip_office,
    year_from_two_digits,
)
from registry.domain.offices import is_valid_office

__all__ = ["compact", "format", "is_docdb", "is_valid", "parse", "parse_docdb", "validate"]

OFFICE = "WO"
FIRST_YEAR = 1978
FOUR_DIGIT_YEAR_SINCE = 2004

DOCDB_KIND = "W"
"""The DOCDB application kind of a PCT application (OPS guide §4.4)."""

_DOCDB = re.compile(r".*[0-9][ .-]*W", re.ASCII | re.DOTALL)
_PCT_PREFIX = re.compile(r"PCT ?[/:-]? ?", re.ASCII)
_SEPARATED = re.compile(r"([A-Z]{2}) ?[/-]? ?([0-9]{4}|[0-9]{2}) ?[/ -] ?([0-9]{1,6})", re.ASCII)
_RUN = re.compile(r"([A-Z]{2}) ?[/-]? ?([0-9]{10}|[0-9]{7})", re.ASCII)
_EPODOC = re.compile(r"WO ?([0-9]{4}) ?([A-Z]{2}) ?/? ?([0-9]{1,6})", re.ASCII)
_PUBLICATION = re.compile(r"(?:WO ?)?[0-9]{2,4} ?/? ?[0-9]{5,6}", re.ASCII)


def parse(number: str) -> Parsed:
    """Read a PCT application number (rules in the module docstring); raise on anything else."""
    text = prepare(number)
    text, kind = split_kind(text)
    if kind is not None and kind != DOCDB_KIND:
        refuse_publication(kind, OFFICE, number, "PCT/US2015/027322")
    epodoc = _EPODOC.fullmatch(text)
    if epodoc:
        year_text, office, serial = epodoc.group(1), epodoc.group(2), epodoc.group(3)
    else:
        if _PUBLICATION.fullmatch(text):
            fail(
                "notAnApplicationNumber",
                f"{shown(number)} has the form of a WO publication number; give the international "
                "application number, such as PCT/US2015/027322",
            )
        text = _PCT_PREFIX.sub("", text, count=1) if _PCT_PREFIX.match(text) else text
        match = _SEPARATED.fullmatch(text) or _RUN.fullmatch(text)
        if match is None:
            fail(
                "badFormat",
                f"{shown(number)} is not a PCT application number; write it as PCT/CCYYYY/NNNNNN, "
                "such as PCT/US2015/027322",
            )
        if match.re is _RUN:
            office, run = match.group(1), match.group(2)
            split = 4 if len(run) == 10 else 2
            year_text, serial = run[:split], run[split:]
        else:
            office, year_text, serial = match.group(1), match.group(2), match.group(3)
    year = int(year_text) if len(year_text) == 4 else year_from_two_digits(year_text, FIRST_YEAR)
    check_year(year, FIRST_YEAR, OFFICE, number)
    if office == OFFICE:
        fail(
            "badFormat",
            f"{shown(number)} names WO as receiving office; the International Bureau receives as IB, "
            "such as PCT/IB2015/050123",
        )
    if not is_valid_office(office):
        fail(
            "badFormat",
            f"{shown(number)} names {office} as receiving office, which is no ST.3 office code; check "
            "the two letters after PCT/",
        )
    serial = serial.zfill(6)
    if serial == "000000":
        fail("badFormat", f"{shown(number)} has the serial 000000, which no receiving office assigns")
    return Parsed(f"PCT{office}{year}{serial}", f"PCT/{office}{year}/{serial}", receiving_office=office)


def is_docdb(number: str) -> bool:
    """Tell, cheaply, whether ``number`` ends in DOCDB's PCT kind ``W`` after a digit (``… 0204635 W``)."""
    return number[-1:] in "Ww" and _DOCDB.fullmatch(number.rstrip().upper()) is not None


def parse_docdb(number: str, office: str) -> Parsed:
    """Read DOCDB's ``CCccyynnnnnnW`` / ``CCyynnnnnW`` given with the receiving office ``office``."""
    text, kind = split_kind(strip_office(prepare(number), office))
    if kind != DOCDB_KIND:
        fail("badFormat", f"{shown(number)} is not a PCT application in DOCDB form, such as US 2019056674 W")
    digits = digits_only(text, office, number)
    if len(digits) not in (7, 10):
        fail(
            "badLength",
            f"{shown(number)} has {len(digits)} digits; DOCDB writes a PCT application as year and serial, "
            "ten digits (US 2019056674 W) or seven before 2004 (GB 0204635 W)",
        )
    return parse(f"{office}{digits}")


def compact(number: str) -> str:
    """The number folded and without separators or office prefix, not validated (python-stdnum)."""
    return compact_text(number, OFFICE)


def validate(number: str) -> str:
    """Return the canonical ``PCT`` + CC + year + serial (PCT AI Section 307) or raise."""
    return parse(number).canonical


def is_valid(number: str) -> bool:
    """Tell whether :func:`validate` accepts ``number``."""
    return parses(parse, number)


def format(number: str) -> str:
    """The PCT form ``PCT/CCYYYY/NNNNNN`` (PCT Administrative Instructions, Section 307)."""
    return parse(number).display
