"""Batch entries: the packed, fixed-width bytes of one filing in a batch's calldata
(docs/spec/entries.md#batch-entry-layout).

A batch carries its filings as packed bytes, never as ABI arrays of structs (~300 bytes an
entry), because calldata is what a batched filing costs (docs/spec/gas.md#calldata-floor). One entry is::

    offset  size  field
    0       32    commitment                      (docs/spec/commitments.md#commitments)
    32      1     kind                            uint8, 1 patent … 4 trademark; 0 invalid
    33      4     filing date                     uint32 big-endian, days since 1970-01-01
    37      1     flags                           bit 7 (0x80): digest present;
                                                  bits 0–6: number of claims, 0–127
    38      32    document digest                 only when bit 7 is set (the bound digest,
                                                  registry.domain.commitments.bound_document_digest)
    …       54    per claim: earlier office 2 (ST.3 ASCII) + earlier commitment 32
                  + claimed filing date 4 (uint32 big-endian) + claim token 16

A filing without digest or claims is 38 bytes (docs/spec/entries.md#batch-entry-layout). The contract parses
the same layout; the index decodes calldata with :func:`decode_entries`, and the Merkle leaf is the hash of these bytes
(:mod:`registry.domain.merkle`), so one :class:`Entry` has exactly one encoding and vice versa.

A digest of 32 zero bytes is refused: docs/spec/entries.md#document-digests-and-reports uses zero to mean "no document",
and a present digest that reads as "absent" elsewhere would be two truths about one filing.

Decoding is strict about the framing and the field ranges the bytes alone decide (kind 1–4, a
date after day 0 and before year 10000, an office of two uppercase letters); whether a date is
plausible for the block it came in (docs/spec/entries.md#chain-data-is-input: 1883-03-20 to the block's day + 1) is the
index's check, since only it knows the block.

Encoding is a hot path (millions of entries a year, a whole batch at a time): it is plain
:mod:`struct` over entries validated once, when they are built.
"""

from __future__ import annotations

import datetime as _dt
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from registry.domain.types import EPOCH, IpRightKind, date_from_days, date_to_days
from registry.errors import InvalidClaim, InvalidDate, InvalidInput, InvalidOfficeCode

__all__ = [
    "BASE_SIZE",
    "CLAIM_SIZE",
    "CLAIM_TOKEN_SIZE",
    "DIGEST_PRESENT",
    "DIGEST_SIZE",
    "FLAGS_OFFSET",
    "MAX_CLAIMS",
    "NO_TOKEN",
    "ClaimRef",
    "Entry",
    "decode_entries",
    "decode_entry",
    "encode_entry",
    "entry_size",
    "framed_size",
    "is_office_code",
    "pack_entries",
    "split_entries",
]

_HEAD = struct.Struct(">32sBIB")
_CLAIM = struct.Struct(">2s32sI16s")
#: Size of an entry without digest or claims.
BASE_SIZE = _HEAD.size  # 38
#: Offset of the flags byte: after the commitment (32), the kind (1) and the filing date (4).
FLAGS_OFFSET = BASE_SIZE - 1  # 37
#: Size of the optional document digest.
DIGEST_SIZE = 32
#: Size of one claim.
CLAIM_SIZE = _CLAIM.size  # 54
#: Size of a claim token (docs/spec/entries.md#claim-tokens-and-confirmed-links).
CLAIM_TOKEN_SIZE = 16
#: The token of a claim made without the earlier access code: shown, never confirmed.
NO_TOKEN = bytes(CLAIM_TOKEN_SIZE)
#: Flag bit: a document digest follows the fixed part.
DIGEST_PRESENT = 0x80
#: Claims an entry can carry: the 7 low bits of the flags byte.
MAX_CLAIMS = 0x7F

_ZERO32 = bytes(32)
# Indexed by the on-chain byte: avoids an enum lookup per decoded entry.
_KINDS: tuple[IpRightKind | None, ...] = (None, *IpRightKind)
# Python's date ends in 9999; a day count beyond it cannot be a filing date.
_MAX_DAYS = date_to_days(_dt.date.max)


def _check_hash(value: object, what: str, code: str) -> None:
    if type(value) is not bytes or len(value) != 32:
        raise InvalidInput(f"{what} must be exactly 32 bytes", code=code)


def _check_date(value: object, what: str) -> None:
    # datetime is a subclass of date; a filing date has no time of day (docs/spec/entries.md#field-encodings).
    if type(value) is not _dt.date:
        raise InvalidDate(f"{what} must be a calendar date without time of day")
    if value <= EPOCH:  # every later date fits the uint32 day count; date_to_days says why not
        date_to_days(value)


def is_office_code(code: bytes) -> bool:
    """Whether ``code`` is an ST.3 office code as a claim carries it: two uppercase ASCII letters."""
    return len(code) == 2 and 65 <= code[0] <= 90 and 65 <= code[1] <= 90


@dataclass(frozen=True, slots=True)
class ClaimRef:
    """One priority claim in an entry (docs/spec/entries.md#batch-entry-layout): the earlier application (office,
    commitment), the date claimed for it and the claim token (:func:`registry.domain.commitments.claim_token`)."""

    earlier_commitment: bytes
    claimed_filing_date: _dt.date
    earlier_office: str
    claim_token: bytes = NO_TOKEN

    def __post_init__(self) -> None:
        _check_hash(self.earlier_commitment, "an earlier commitment", "badCommitment")
        _check_date(self.claimed_filing_date, "a claimed filing date")
        if type(self.earlier_office) is not str or not is_office_code(self.earlier_office.encode("ascii", "replace")):
            raise InvalidOfficeCode("a claim names the earlier office by its ST.3 code (two uppercase letters)")
        if type(self.claim_token) is not bytes or len(self.claim_token) != CLAIM_TOKEN_SIZE:
            raise InvalidInput(f"a claim token is exactly {CLAIM_TOKEN_SIZE} bytes", code="badClaimToken")


@dataclass(frozen=True, slots=True)
class Entry:
    """One filing of a batch (docs/spec/entries.md#batch-entry-layout). Validated when built, so encoding cannot
    fail."""

    commitment: bytes
    kind: IpRightKind
    filing_date: _dt.date
    document_digest: bytes | None = None
    claims: tuple[ClaimRef, ...] = ()

    def __post_init__(self) -> None:
        _check_hash(self.commitment, "a commitment", "badCommitment")
        if not isinstance(self.kind, IpRightKind):
            object.__setattr__(self, "kind", IpRightKind.parse(self.kind))
        _check_date(self.filing_date, "a filing date")
        if self.document_digest is not None:
            _check_hash(self.document_digest, "a document digest", "badDigest")
            if self.document_digest == _ZERO32:
                raise InvalidInput("a zero document digest means 'no document': use None", code="badDigest")
        if type(self.claims) is not tuple:
            object.__setattr__(self, "claims", tuple(self.claims))
        if len(self.claims) > MAX_CLAIMS:
            raise InvalidClaim(
                f"an entry carries at most {MAX_CLAIMS} claims, not {len(self.claims)}", code="tooManyClaims"
            )
        for claim in self.claims:
            if not isinstance(claim, ClaimRef):
                raise InvalidClaim("each claim of an entry must be a ClaimRef", code="badClaim")


_new = object.__new__
_set = object.__setattr__


def _decoded_claim(office: str, earlier: bytes, claimed: _dt.date, token: bytes) -> ClaimRef:
    # A ClaimRef whose fields decode_entry has already checked: built without __post_init__.
    claim = _new(ClaimRef)
    _set(claim, "earlier_commitment", earlier)
    _set(claim, "claimed_filing_date", claimed)
    _set(claim, "earlier_office", office)
    _set(claim, "claim_token", token)
    return claim


def _decoded_entry(
    commitment: bytes, kind: IpRightKind, filing_date: _dt.date, digest: bytes | None, claims: tuple[ClaimRef, ...]
) -> Entry:
    # An Entry whose fields decode_entry has already checked (the index decodes every entry of
    # every batch): built without __post_init__, which could not fail on them.
    entry = _new(Entry)
    _set(entry, "commitment", commitment)
    _set(entry, "kind", kind)
    _set(entry, "filing_date", filing_date)
    _set(entry, "document_digest", digest)
    _set(entry, "claims", claims)
    return entry


def framed_size(flags: int) -> int:
    """The size of an entry whose flags byte (at :data:`FLAGS_OFFSET`) is ``flags``
    (docs/spec/entries.md#batch-entry-layout).

    The one statement of the framing: :func:`decode_entry`, :func:`split_entries`,
    :func:`entry_size` and the index all cut entries with it.
    """
    return BASE_SIZE + (DIGEST_SIZE if flags & DIGEST_PRESENT else 0) + CLAIM_SIZE * (flags & MAX_CLAIMS)


def entry_size(entry: Entry) -> int:
    """The number of bytes :func:`encode_entry` produces for ``entry`` (docs/spec/entries.md#batch-entry-layout)."""
    return framed_size((0 if entry.document_digest is None else DIGEST_PRESENT) | len(entry.claims))


def encode_entry(entry: Entry) -> bytes:
    """The packed bytes of one entry (docs/spec/entries.md#batch-entry-layout; layout in the module docstring)."""
    digest = entry.document_digest
    claims = entry.claims
    head = _HEAD.pack(
        entry.commitment,
        entry.kind,
        date_to_days(entry.filing_date),
        len(claims) if digest is None else DIGEST_PRESENT | len(claims),
    )
    if not claims:
        return head if digest is None else head + digest
    pack = _CLAIM.pack
    parts = [head] if digest is None else [head, digest]
    parts.extend(
        [
            pack(
                c.earlier_office.encode("ascii"),
                c.earlier_commitment,
                date_to_days(c.claimed_filing_date),
                c.claim_token,
            )
            for c in claims
        ]
    )
    return b"".join(parts)


def pack_entries(entries: Iterable[Entry]) -> bytes:
    """The entries of a batch, concatenated as they travel in calldata (docs/spec/entries.md#batch-entry-layout)."""
    return b"".join(map(encode_entry, entries))


def _malformed(message: str, offset: int) -> InvalidInput:
    return InvalidInput(f"malformed batch entries at byte {offset}: {message}", code="malformedEntries")


def _date(days: int, offset: int) -> _dt.date:
    if not 0 < days <= _MAX_DAYS:
        raise _malformed(f"day count {days} is not a filing date", offset)
    return date_from_days(days)


def decode_entry(data: bytes | bytearray | memoryview, offset: int = 0) -> tuple[Entry, int]:
    """Read one entry starting at ``offset``; return it and the offset just after it
    (docs/spec/entries.md#batch-entry-layout).

    Strict: raises :class:`~registry.errors.InvalidInput` with code ``malformedEntries`` when the
    data end inside the entry, the kind is not 1–4, a date is day 0 (or beyond year 9999), a
    claim's office is not two uppercase letters or a present digest is zero.
    """
    end = len(data)
    if end - offset < BASE_SIZE:
        raise _malformed(f"{end - offset} trailing bytes do not form an entry (at least {BASE_SIZE})", offset)
    commitment, kind_byte, days, flags = _HEAD.unpack_from(data, offset)
    kind = _KINDS[kind_byte] if kind_byte < len(_KINDS) else None
    if kind is None:
        raise _malformed(f"kind {kind_byte} is not 1 (patent) … 4 (trademark)", offset)
    filing_date = _date(days, offset)
    count = flags & MAX_CLAIMS
    position = offset + BASE_SIZE
    size = framed_size(flags) - BASE_SIZE
    if end - position < size:
        raise _malformed(f"the entry announces {size} more bytes, {end - position} remain", offset)
    digest: bytes | None = None
    if flags & DIGEST_PRESENT:
        digest = bytes(data[position : position + DIGEST_SIZE])
        if digest == _ZERO32:
            raise _malformed("a present document digest is zero", offset)
        position += DIGEST_SIZE
    claims: list[ClaimRef] = []
    for _ in range(count):
        office, earlier, claimed_days, token = _CLAIM.unpack_from(data, position)
        if not is_office_code(office):
            raise _malformed(f"claim names no office ({office.hex()} is not two uppercase letters)", position)
        claims.append(_decoded_claim(office.decode("ascii"), earlier, _date(claimed_days, position), token))
        position += CLAIM_SIZE
    return _decoded_entry(commitment, kind, filing_date, digest, tuple(claims)), position


def decode_entries(data: bytes | bytearray | memoryview) -> list[Entry]:
    """Read all entries of a batch; every byte must belong to an entry (docs/spec/entries.md#batch-entry-layout).

    Raises :class:`~registry.errors.InvalidInput` with code ``malformedEntries`` on any malformed
    entry or trailing bytes, naming the byte offset.
    """
    entries: list[Entry] = []
    offset, end = 0, len(data)
    while offset < end:
        entry, offset = decode_entry(data, offset)
        entries.append(entry)
    return entries


def split_entries(data: bytes) -> list[bytes]:
    """Cut packed entries into one ``bytes`` per entry by their flags bytes (docs/spec/entries.md#batch-entry-layout).

    Framing only, no field is checked: for bytes :func:`decode_entries` has already read (the
    index checks a batch that way, then hashes each entry for its Merkle leaf) or that were
    encoded here.
    """
    out: list[bytes] = []
    offset, end = 0, len(data)
    while offset < end:
        size = framed_size(data[offset + FLAGS_OFFSET])
        out.append(data[offset : offset + size])
        offset += size
    return out
