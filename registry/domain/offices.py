"""WIPO ST.3 office codes: which two-letter codes may name an office in the registry.

Source: WIPO Standard ST.3 ("Recommended standard on two-letter codes for the representation of
states, other entities and intergovernmental organizations"), and docs/spec/commitments.md#offices which fixes the rule:

* a code is two ASCII letters, read case-insensitively after stripping surrounding space (full-width
  letters typed on a Japanese keyboard are folded first with Unicode NFKC);
* ``XX`` is refused: ST.3 uses it for "unknown state, other entity or organization", which cannot
  own an application number;
* the codes ST.3 reserves for *individual use* are refused, because two offices would read them two
  ways: ``AA``, ``QM``–``QY``, ``XA``–``XM``, ``XO``–``XT``, ``XW``, ``XY``, ``XZ`` and ``ZZ``;
* every other code is accepted, in particular the organisation codes ``EP``, ``EM``, ``EA``, ``AP``,
  ``OA``, ``GC``, ``IB``, ``WO``, ``QZ`` (CPVO), ``XN`` (Nordic Patent Institute), ``XU`` (UPOV) and
  ``XV`` (Visegrad Patent Institute), which sit next to the reserved ranges.

Whether an ISO 3166 code is currently *assigned* is deliberately not checked (docs/spec/commitments.md#offices lists
only these refusals): ISO 3166 changes, and an office admitted to the ledger is the real test.

``IB`` names the International Bureau as a PCT *receiving office* (``PCT/IB2015/050123``); the
record office of every PCT application is ``WO`` (ST.3 lists both for WIPO).

>>> validate_office(" ep ")
'EP'
>>> is_valid_office("XN"), is_valid_office("XM")
(True, False)
"""

from __future__ import annotations

import unicodedata

from registry.domain.types import OfficeCode
from registry.errors import InvalidOfficeCode

__all__ = ["RESERVED_OFFICE_CODES", "UNKNOWN_OFFICE_CODE", "is_valid_office", "validate_office"]

UNKNOWN_OFFICE_CODE = "XX"
"""ST.3: "unknown states, other entities or organizations"; never an office of record."""


def _span(first: str, last: str) -> set[str]:
    prefix = first[0]
    return {prefix + chr(c) for c in range(ord(first[1]), ord(last[1]) + 1)}


RESERVED_OFFICE_CODES: frozenset[str] = frozenset(
    {"AA", "XW", "XY", "XZ", "ZZ"} | _span("QM", "QY") | _span("XA", "XM") | _span("XO", "XT")
)
"""The codes WIPO ST.3 reserves for individual use (AA, QM–QY, XA–XM, XO–XT, XW, XY, XZ, ZZ)."""

_ASCII_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def validate_office(code: str) -> OfficeCode:
    """Return the ST.3 office code in canonical form (two uppercase ASCII letters) or raise.

    Rules from WIPO ST.3 and docs/spec/commitments.md#offices (see the module docstring). Raises
    :class:`~registry.errors.InvalidOfficeCode` with ``code`` = ``badLength`` (not two characters),
    ``badCharacter`` (not ASCII letters), ``unknownOffice`` (``XX``) or ``reservedOfficeCode``.

    >>> validate_office("wo")
    'WO'
    >>> is_valid_office("QM")
    False
    """
    if not isinstance(code, str):
        raise InvalidOfficeCode("an office code must be text, such as EP or US", code="badFormat")
    if len(code) > 64:
        raise InvalidOfficeCode("an office code has exactly two letters, such as EP or US", code="badLength")
    text = unicodedata.normalize("NFKC", code).strip().upper()
    shown = repr(code.strip()[:20])
    if len(text) != 2:
        raise InvalidOfficeCode(
            f"{shown} is not an office code: an ST.3 code has exactly two letters, such as EP or US",
            code="badLength",
        )
    if not set(text) <= _ASCII_UPPER:
        raise InvalidOfficeCode(
            f"{shown} is not an office code: an ST.3 code has two letters A–Z, such as EP or US",
            code="badCharacter",
        )
    if text == UNKNOWN_OFFICE_CODE:
        raise InvalidOfficeCode(
            "XX means 'unknown office' in WIPO ST.3 and cannot own an application; give the office's code",
            code="unknownOffice",
        )
    if text in RESERVED_OFFICE_CODES:
        raise InvalidOfficeCode(
            f"{text} is reserved by WIPO ST.3 for individual use and names no office; give the office's ST.3 code",
            code="reservedOfficeCode",
        )
    return OfficeCode(text)


def is_valid_office(code: str) -> bool:
    """Tell whether :func:`validate_office` accepts ``code`` (WIPO ST.3, docs/spec/commitments.md#offices)."""
    try:
        validate_office(code)
    except InvalidOfficeCode:
        return False
    return True
