"""Domain scalars shared by every module: IP-right kinds, ledger dates, commitments and office
codes (docs/spec/commitments.md#whose-record-counts).

A filing date has no time of day; on chain it is a ``uint32`` count of days since 1970-01-01.

A :data:`Commitment` is the 32 bytes that stand for an application (docs/spec/commitments.md#commitments), an
:data:`OfficeCode` a canonical WIPO ST.3 code. Both are ``NewType`` types, so they cost nothing at run
time and a type checker tells one from any ``bytes`` or ``str``: only their validating
constructors make one — :func:`as_commitment` (and ``commitments.commitment`` /
``commitments.parse_commitment``) and ``offices.validate_office``.
"""

from __future__ import annotations

import datetime as _dt
from enum import IntEnum
from typing import NewType

from registry.errors import InvalidDate, InvalidInput

__all__ = [
    "COMMITMENT_BYTES",
    "EPOCH",
    "PARIS_CONVENTION_DATE",
    "Commitment",
    "IpRightKind",
    "OfficeCode",
    "as_commitment",
    "date_from_days",
    "date_to_days",
    "is_plausible_date",
    "latest_plausible_date",
    "parse_date",
]

EPOCH = _dt.date(1970, 1, 1)
_EPOCH_ORDINAL = EPOCH.toordinal()
# A day count is a uint32 on chain; day 0 (the epoch itself) is refused as "no date".
_DAYS_LIMIT = 2**32

# The Paris Convention was signed on 20 March 1883: no priority right, and so no filing that this
# registry judges, can be older (docs/spec/entries.md#chain-data-is-input and
# docs/spec/priority-rules.md#plausible-dates).
PARIS_CONVENTION_DATE = _dt.date(1883, 3, 20)


class IpRightKind(IntEnum):
    """The kind of IP right, as encoded on chain (``uint8``; 0 is invalid)."""

    PATENT = 1
    UTILITY_MODEL = 2
    DESIGN = 3
    TRADEMARK = 4

    @property
    def api_name(self) -> str:
        """The lowerCamelCase name used in JSON (docs/api.md#conventions): ``patent``, ``utilityModel``, …"""
        return _API_NAMES[self]

    @classmethod
    def parse(cls, value: str | int | IpRightKind) -> IpRightKind:
        """Read a kind from its API name, its enum name or its on-chain number."""
        if isinstance(value, IpRightKind):
            return value
        if isinstance(value, int):
            try:
                return cls(value)
            except ValueError:
                raise InvalidInput(f"unknown IP-right kind {value}", code="unknownKind") from None
        key = value.strip()
        for kind, name in _API_NAMES.items():
            if key == name or key.upper().replace("-", "_") == kind.name or key.lower() == name.lower():
                return kind
        raise InvalidInput(
            f"unknown IP-right kind {value!r}: use patent, utilityModel, design or trademark",
            code="unknownKind",
        )


_API_NAMES = {
    IpRightKind.PATENT: "patent",
    IpRightKind.UTILITY_MODEL: "utilityModel",
    IpRightKind.DESIGN: "design",
    IpRightKind.TRADEMARK: "trademark",
}


def date_to_days(day: _dt.date) -> int:
    """Days since 1970-01-01, the on-chain encoding of a filing date (``uint32``).

    The one home of that encoding: entries, the client and the index all call it, the index for
    every entry and claim of every batch, so it is plain ordinal arithmetic.
    """
    n = day.toordinal() - _EPOCH_ORDINAL
    if not 0 < n < _DAYS_LIMIT:
        raise InvalidDate(f"{day.isoformat()} is outside the dates the ledger encodes")
    return n


def date_from_days(days: int) -> _dt.date:
    """The date for an on-chain day count (the inverse of :func:`date_to_days`)."""
    return _dt.date.fromordinal(_EPOCH_ORDINAL + days)


def latest_plausible_date(latest_block_day: _dt.date) -> _dt.date:
    """The last date a filing can carry: the UTC day of the latest block, plus one.

    The extra day absorbs time zones: an office east of UTC files on a calendar day that is still
    "tomorrow" in UTC (docs/spec/priority-rules.md#plausible-dates). This is the one home of that rule; the API, the
    CLI, the import and the index's range checks on chain data all call it.
    """
    return latest_block_day + _dt.timedelta(days=1)


def is_plausible_date(day: _dt.date, latest_block_day: _dt.date) -> bool:
    """True when ``day`` lies between the Paris Convention and :func:`latest_plausible_date`."""
    return PARIS_CONVENTION_DATE <= day <= latest_plausible_date(latest_block_day)


def parse_date(value: str | _dt.date) -> _dt.date:
    """Read an ISO 8601 calendar date (``YYYY-MM-DD``); ``2023-02-30`` is an error, not a guess."""
    if isinstance(value, _dt.date):
        return value
    try:
        if len(value) != 10:
            raise ValueError(value)
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidDate(f"{value!r} is not a calendar date in the form YYYY-MM-DD") from None


# ── identifiers ──────────────────────────────────────────────────────────────────────────────

Commitment = NewType("Commitment", bytes)
"""An application's commitment: ``keccak256(abi.encode(tag, office, number, secret))``, 32 bytes
(docs/spec/commitments.md#commitments); written ``0x`` + 64 lowercase hex digits in JSON (``commitments.to_hex``)."""

OfficeCode = NewType("OfficeCode", str)
"""A canonical WIPO ST.3 office code: two uppercase letters, neither unknown nor reserved
(``offices.validate_office`` makes one)."""

COMMITMENT_BYTES = 32
"""The length of a :data:`Commitment` (a ``bytes32`` on chain)."""


def as_commitment(value: bytes) -> Commitment:
    """``value`` as a :data:`Commitment` when it is 32 bytes, else :class:`InvalidInput` ``badCommitment``.

    For bytes that come from the ledger or the index (they were a commitment when written); text
    from a person goes through ``commitments.parse_commitment``.

    >>> as_commitment(bytes(32)) == bytes(32)
    True
    """
    if not isinstance(value, bytes) or len(value) != COMMITMENT_BYTES:
        size = len(value) if isinstance(value, (bytes, bytearray)) else type(value).__name__
        raise InvalidInput(f"a commitment is {COMMITMENT_BYTES} bytes, not {size}", code="badCommitment")
    return Commitment(value)
