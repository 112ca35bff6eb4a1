"""Who anchors a PCT application, and whose record a claim on it is judged on
(docs/spec/commitments.md#whose-record-counts).

The record office of every PCT application is ``WO`` (WIPO ST.3; ``PCT/CCYYYY/NNNNNN`` names its
receiving Office ``CC``, and ``CC`` is ``IB`` when the International Bureau received it). The
rules, each written once here and used by anchoring (:mod:`registry.domain.filings`), by the
service's reads (:mod:`registry.service`: verification, publication) and by the warning when two
records differ:

- :func:`may_anchor` — **an office anchors its own numbers; a PCT number is anchored by the IB**
  (under ``WO`` or ``IB``, both ST.3 codes of WIPO) **or by the receiving Office named in it**.
  The same predicate says whose record *counts* for a number: a record counts exactly when its
  office may anchor that number (two copies of this rule once disagreed about the IB).
- :func:`judged_offices` — a claim on a PCT application is judged on the receiving Office's record
  first, the IB's only when the receiving Office has none.
- :func:`claim_office` — the office a claim on a number names: the receiving Office for a PCT
  application it received, else the number's own office.

>>> from registry.domain.numbers import normalize
>>> pct = normalize("WO", "PCT/US2019/012345")
>>> [may_anchor(office, pct) for office in ("US", "WO", "IB", "EP")]
[True, True, True, False]
>>> judged_offices(pct)
('US', 'WO', 'IB')
>>> claim_office(pct)
'US'
"""

from __future__ import annotations

from registry.domain.numbers import INTERNATIONAL_BUREAU, PCT_RECORD_OFFICE, NormalizedNumber
from registry.domain.types import OfficeCode

__all__ = ["IB_OFFICES", "INTERNATIONAL_BUREAU", "PCT_RECORD_OFFICE", "claim_office", "judged_offices", "may_anchor"]

IB_OFFICES: tuple[OfficeCode, ...] = (PCT_RECORD_OFFICE, INTERNATIONAL_BUREAU)
"""The codes under which the International Bureau anchors PCT applications: ``WO`` and ``IB``."""


def _receiving_office(number: NormalizedNumber) -> OfficeCode | None:
    """The receiving Office named in a PCT number, unless it is the IB (which anchors as the IB)."""
    if number.office != PCT_RECORD_OFFICE or number.receiving_office in (None, *IB_OFFICES):
        return None
    return number.receiving_office


def may_anchor(office: str, number: NormalizedNumber) -> bool:
    """Whether ``office`` may anchor ``number`` — and so whether its record counts for the number.

    Its own numbers; for a PCT application (record office ``WO``) the IB (``WO`` or ``IB``) and the
    receiving Office named in the number.
    """
    if office == number.office:
        return True
    return number.office == PCT_RECORD_OFFICE and office in (*IB_OFFICES, _receiving_office(number))


def judged_offices(number: NormalizedNumber) -> tuple[OfficeCode, ...]:
    """Whose records a claim on ``number`` is judged on, in order: the number's own office; for a
    PCT application the receiving Office named in it first, then the IB (``WO``, then ``IB``)."""
    if number.office != PCT_RECORD_OFFICE:
        return (number.office,)
    receiving = _receiving_office(number)
    return (*((receiving,) if receiving else ()), *IB_OFFICES)


def claim_office(number: NormalizedNumber) -> OfficeCode:
    """The office a claim on ``number`` names: the first of :func:`judged_offices` — the receiving
    Office for a PCT application it received, the IB's ``WO`` for one the IB received."""
    return judged_offices(number)[0]
