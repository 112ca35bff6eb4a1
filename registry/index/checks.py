"""Range checks of chain data, and the check of a batch against its event (docs/spec/entries.md#chain-data-is-input).

docs/spec/entries.md#chain-data-is-input: every value read from events and calldata is range-checked
before it is stored — dates by :func:`registry.domain.types.is_plausible_date` against the UTC
day of the block they came in, kinds 1–4 (reports 1–5), claim offices, counts and string sizes.
What fails is refused for the office that sent it (the projector records why); it never reaches
a query, so no value can make a read fail.

docs/spec/entries.md#merkle-tree "Batches are checked, not trusted": the contract stores a batch's root without
recomputing it, so :func:`check_batch` decodes the entries from the transaction input, rebuilds
the StandardMerkleTree (:mod:`registry.domain.merkle`) and refuses the batch when the root
differs or the entries cannot be read from the input at all.

Everything here is pure (no node, no database): :func:`check_batch` runs in a process pool too.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import NamedTuple

from registry import errors
from registry.domain.entries import Entry, decode_entries, split_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_from_days, date_to_days, is_plausible_date
from registry.index.decode import batch_from_input
from registry.index.proofs import BatchTree

__all__ = [
    "MAX_COUNT",
    "CheckedBatch",
    "EntryRow",
    "check_batch",
    "implausible",
    "is_canonical_number",
    "is_kind",
    "is_plausible_day",
    "is_report_kind",
    "is_usable_endpoint",
]

#: The contract takes a uint32 count; the event's uint256 is checked, not trusted.
MAX_COUNT = 2**32
_MAX_NUMBER = 64  # characters of a published canonical number (the longest format is ~20)
_MAX_ENDPOINT = 2048  # characters of a gateway URL
_MAX_DAYS = date_to_days(_dt.date.max)  # Python's dates end in 9999

#: One entry as the index writes it: commitment, kind, filing day, digest,
#: claims (earlier office, earlier commitment, claimed day, token).
EntryRow = tuple[bytes, int, int, bytes | None, tuple[tuple[str, bytes, int, bytes], ...]]


class CheckedBatch(NamedTuple):
    """A batch's calldata read and checked against its event (docs/spec/entries.md#batch-entry-layout).

    ``reason`` says why it is refused (then ``rows`` is empty); ``tree`` is kept for the proof
    cache when the check ran in this process.
    """

    reason: str | None
    rows: list[EntryRow]
    tree: BatchTree | None


def is_plausible_day(days: int, block_day: _dt.date | None) -> bool:
    """Whether a uint32 day count read in a block of UTC day ``block_day`` is a plausible date for it."""
    if block_day is None or not 0 < days <= _MAX_DAYS:
        return False  # also keeps date_from_days() from overflowing on 0xFFFFFFFF
    return is_plausible_date(date_from_days(days), block_day)


def is_kind(kind: int) -> bool:
    """Whether an event's ``uint8`` kind names an IP right: 1 (patent) … 4 (trademark)."""
    return 1 <= kind <= len(IpRightKind)


def is_report_kind(kind: int) -> bool:
    """Whether an event's report kind is one of docs/spec/entries.md#document-digests-and-reports's five (R15)."""
    return 1 <= kind <= 5


def is_canonical_number(number: str) -> bool:
    """Whether a published number can be a canonical number: short, printable ASCII."""
    return len(number) <= _MAX_NUMBER and number.isascii() and number.isprintable()


def is_usable_endpoint(endpoint: str) -> bool:
    """Whether an office's endpoint is a URL the gateways may call (docs/spec/between-gateways.md#outbound-calls)."""
    return len(endpoint) <= _MAX_ENDPOINT and endpoint.isascii() and endpoint.startswith(("http://", "https://"))


def implausible(entries: Sequence[Entry], block_day: _dt.date) -> str | None:
    """Why an entry's dates cannot be true for a batch mined on ``block_day`` (None: they can)."""
    for i, e in enumerate(entries):
        if not is_plausible_date(e.filing_date, block_day):
            return f"entry {i}: filing date {e.filing_date.isoformat()} is not plausible in a block of {block_day}"
        for c in e.claims:
            if not is_plausible_date(c.claimed_filing_date, block_day):
                return (
                    f"entry {i}: claimed date {c.claimed_filing_date.isoformat()} is not plausible"
                    f" in a block of {block_day}"
                )
    return None


def check_batch(
    data: bytes | None,
    root: bytes,
    office_code: bytes,
    count: int,
    *,
    keep_tree: bool = True,
    block_day: _dt.date | None = None,
) -> CheckedBatch:
    """Decode the entries a batch transaction's input carries and check them against its event.

    Pure (no node, no database), so that a process pool can run it for many batches at once:
    the input must be a call of the registry's ``anchorBatch``/``anchorBatchBySig`` for this root
    and office, the entries must decode strictly, their number must be the event's ``count`` and
    their StandardMerkleTree root the anchored root, and every date plausible for ``block_day``
    (the UTC day of the batch's block, docs/spec/entries.md#chain-data-is-input). ``data`` None: not sent to the
    registry.
    """
    if not 0 < count < MAX_COUNT:
        return CheckedBatch(f"the event's entry count {count} is out of range", [], None)
    if data is None:
        return CheckedBatch("the transaction was not sent to the registry (the entries are in an inner call)", [], None)
    blob, reason = batch_from_input(data, root, office_code)
    if blob is None:
        return CheckedBatch(reason or "refused", [], None)
    try:
        entries = decode_entries(blob)
    except errors.InvalidInput as exc:
        return CheckedBatch(f"the entries do not decode: {exc.message}", [], None)
    if len(entries) != count:
        return CheckedBatch(f"the event counts {count} entries, the calldata holds {len(entries)}", [], None)
    if block_day is not None:
        reason = implausible(entries, block_day)
        if reason is not None:
            return CheckedBatch(reason, [], None)
    raw = split_entries(blob)  # the strict decode above has checked this framing
    tree = MerkleTree.of(raw)
    if tree.root != root:
        return CheckedBatch(
            f"the entries hash to root 0x{tree.root.hex()}, not to the anchored root 0x{root.hex()}", [], None
        )
    rows: list[EntryRow] = [
        (
            e.commitment,
            int(e.kind),
            date_to_days(e.filing_date),
            e.document_digest,
            tuple(
                [
                    (c.earlier_office, c.earlier_commitment, date_to_days(c.claimed_filing_date), c.claim_token)
                    for c in e.claims
                ]
            ),
        )
        for e in entries
    ]
    return CheckedBatch(None, rows, BatchTree(tree, raw) if keep_tree else None)
