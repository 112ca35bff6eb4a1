"""Application numbers: one canonical string per application, per office (docs/spec/commitments.md#canonical-numbers).

WIPO ST.10/C identifies an application by its number *plus* the ST.3 code of its office; priority
claims carry each office's national form (WIPO ST.13 explains why few offices print the 15-digit
ST.13 form). This package reads the forms people and databases write and reduces each to the
canonical string that commitments bind (docs/spec/commitments.md#canonical-numbers), verifying check digits where the
office publishes an algorithm. Each office module (python-stdnum style: ``compact``, ``validate``,
``is_valid``, ``format``) states its own rules in its docstring:

==========  ==========================  =====================================================
office      module                      canonical form
==========  ==========================  =====================================================
EP          :mod:`registry.domain.numbers.ep`  ``EP99403122`` (check digit verified)
US          :mod:`registry.domain.numbers.us`  ``US16123456`` (series code checked)
JP          :mod:`registry.domain.numbers.jp`  ``JP2017187096`` (era years → western)
CN          :mod:`registry.domain.numbers.cn`  ``CN201710601862``, old ``CN95115608`` (check verified)
KR          :mod:`registry.domain.numbers.kr`  ``KR1020050078345`` (no type → 10, patent)
DE          :mod:`registry.domain.numbers.de`  ``DE102007004488``, old ``DE3130619`` (check verified)
GB          :mod:`registry.domain.numbers.gb`  ``GB1217782`` (check digit kept, not tested)
FR          :mod:`registry.domain.numbers.fr`  ``FR1914349``
WO          :mod:`registry.domain.numbers.wo`  ``PCTUS2015027322`` (record office WO)
any other   :mod:`registry.domain.numbers.generic`  office + letters and digits, ``verified_format=False``
==========  ==========================  =====================================================

**Numbers as databases print them** (docs/domain.md#numbers-as-databases-print-them). Every office module also reads the
forms of the EPO's databases — epodoc, DOCDB with its application kind letter, the EPO's "original" — and Google
Patents' hyphenated DOCDB form; a form that left out part of the number (DOCDB's and epodoc's old US
forms without the series code) is refused by name, reason code ``legacyForm``. The rules and their
sources are in :mod:`registry.domain.numbers._common` and in each module's docstring; the canonical forms
above do not change.

**PCT numbers.** A number starting with ``PCT`` is read by the WO module whatever office it is
given with, and its record office is ``WO`` (PCT Art. 2(xv): the international application is one
application, whoever received it). The given office must be ``WO``, ``IB`` (the International
Bureau, for every PCT application) or the *receiving office* named in the number —
``normalize("US", "PCT/US2015/027322")`` is the WO record ``PCTUS2015027322`` with receiving office
``US``, the way an office anchors the international applications it received
(docs/spec/commitments.md#whose-record-counts). Any other office (``EP`` with ``PCT/US…``) is ``officeMismatch``: the
claim names an office that has nothing to do with the number, which is a mistake to fix, not a detail to drop. With
office ``WO`` the ``PCT/`` may be left out (``US2015/027322``) and the epodoc form ``WO2013US50328`` is read. DOCDB
writes a PCT application as a number of its receiving office with the kind ``W`` (``GB 0204635 W``; OPS guide §4.4):
given with that office it is the same WO record. With ``IB`` a number
starting with ``WO`` or ``PCT`` is a PCT number and anything else falls to the generic rule (the IB
also registers Hague and Madrid numbers).

>>> canonical("ep", "EP 99 403 122.7")
'EP99403122'
>>> normalize("US", "PCT/US15/27322").office
'WO'
>>> normalize("GB", "GB 0204635 W").canonical
'PCTGB2002004635'
>>> normalize("AT", "A 123/2019").verified_format
False
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from types import ModuleType

from registry.domain.numbers import _common, cn, de, ep, fr, gb, generic, jp, kr, us, wo
from registry.domain.numbers._common import MAX_INPUT_CHARS, Parsed, fail, prepare, shown
from registry.domain.offices import validate_office
from registry.domain.types import OfficeCode
from registry.errors import InvalidApplicationNumber

__all__ = ["OFFICE_MODULES", "NormalizedNumber", "canonical", "is_valid", "normalize"]

OFFICE_MODULES: dict[str, ModuleType] = {
    "EP": ep,
    "US": us,
    "JP": jp,
    "CN": cn,
    "KR": kr,
    "DE": de,
    "GB": gb,
    "FR": fr,
    "WO": wo,
}
"""Offices whose number format is verified, with the module that reads it."""

PCT_RECORD_OFFICE = OfficeCode("WO")
INTERNATIONAL_BUREAU = OfficeCode("IB")


@dataclass(frozen=True)
class NormalizedNumber:
    """One application number read against its office's rules (docs/spec/commitments.md#canonical-numbers).

    ``office`` is the record office (``WO`` for every PCT application), ``canonical`` the string
    commitments bind, ``display`` the office's usual printed form, ``check_digit`` the check
    character where the office has one (computed for EP, CN, DE; as given for GB), and
    ``verified_format`` is False when only the generic rule applied ("format not verified").
    ``receiving_office`` is the ``CC`` of ``PCT/CC…`` for PCT numbers, else None.
    """

    office: OfficeCode
    canonical: str
    display: str
    check_digit: str | None = None
    verified_format: bool = True
    receiving_office: OfficeCode | None = None


def normalize(office: str, number: str) -> NormalizedNumber:
    """Read ``number`` as an application number of ``office`` (ST.3) and return all its parts.

    Dispatch (module docstring): PCT numbers to :mod:`~registry.domain.numbers.wo`, the offices of
    :data:`OFFICE_MODULES` to their module, every other valid ST.3 office to
    :mod:`~registry.domain.numbers.generic`. Raises :class:`~registry.errors.InvalidOfficeCode` for a bad
    office and :class:`~registry.errors.InvalidApplicationNumber` (with a reason ``code``) for a bad
    number; nothing else, whatever the strings.
    """
    if type(office) is str and type(number) is str and len(number) <= MAX_INPUT_CHARS:
        # The same number comes back again and again (a priority claim names an application its
        # office anchored days before), and reading it is a pure function of the two strings and
        # of the latest plausible year, which is therefore part of the key. Errors are not cached.
        return _remembered(office, number, _common.max_year())
    return _normalize(office, number)


@functools.lru_cache(maxsize=8192)
def _remembered(office: str, number: str, _max_year: int) -> NormalizedNumber:
    return _normalize(office, number)


@functools.lru_cache(maxsize=1024)
def _valid_office(office: str) -> OfficeCode:
    return validate_office(office)


def _normalize(office: str, number: str) -> NormalizedNumber:
    code = _valid_office(office) if type(office) is str else validate_office(office)
    # For ASCII, the start of prepare(number) without building it (whitespace dropped, uppercase):
    # the module that reads the number prepares it, and raises what prepare raises, first thing.
    ascii_text = type(number) is str and number.isascii()
    start = number.lstrip()[:3].upper() if ascii_text else prepare(number)[:3]
    is_pct = start == "PCT" or (code == INTERNATIONAL_BUREAU and start.startswith(PCT_RECORD_OFFICE))
    if is_pct or code == PCT_RECORD_OFFICE:
        parsed = wo.parse(number)
        if code not in (PCT_RECORD_OFFICE, INTERNATIONAL_BUREAU, parsed.receiving_office):
            fail(
                "officeMismatch",
                f"{shown(number)} is an international application received by {parsed.receiving_office}; "
                f"give it with office WO (or {parsed.receiving_office}), not {code}",
            )
        return _normalized(PCT_RECORD_OFFICE, parsed, verified=True)
    if number[-1:] in "Ww" and wo.is_docdb(number):
        # DOCDB's kind W: a PCT application received by this office (GB 0204635 W = PCT/GB02/04635).
        return _normalized(PCT_RECORD_OFFICE, wo.parse_docdb(number, code), verified=True)
    module = OFFICE_MODULES.get(code)
    if module is None:
        return _normalized(code, generic.parse(number, code), verified=False)
    result: Parsed = module.parse(number)
    return _normalized(code, result, verified=True)


def _normalized(office: OfficeCode, parsed: Parsed, *, verified: bool) -> NormalizedNumber:
    return NormalizedNumber(
        office=office,
        canonical=parsed.canonical,
        display=parsed.display,
        check_digit=parsed.check_digit,
        verified_format=verified,
        # wo.parse refuses a receiving office that is no ST.3 code, so the one it names is one.
        receiving_office=None if parsed.receiving_office is None else OfficeCode(parsed.receiving_office),
    )


def canonical(office: str, number: str) -> str:
    """The canonical string of ``number`` at ``office`` (docs/spec/commitments.md#canonical-numbers); see
    :func:`normalize`."""
    return normalize(office, number).canonical


def is_valid(office: str, number: str) -> bool:
    """Tell whether :func:`normalize` accepts ``number`` for ``office`` (ST.3 and the office's rule)."""
    try:
        normalize(office, number)
    except (InvalidApplicationNumber, ValueError):
        return False
    return True
