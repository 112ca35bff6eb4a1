"""The index: a read model of the registry that follows the chain into SQLite.

DESIGN.md property 3 — "the ledger is the only source of truth": everything here is rebuilt from
chain data alone, the contract's events (``eth_getLogs``) and, for batches, the transaction input
that carries the packed entries (SPEC.md §2). Deleting the database loses nothing; :meth:`Index.sync`
on an empty file gives the same rows, table for table.

What the index decides, and where the rule comes from:

- **Batches are checked, not trusted.** The contract stores a batch's root without recomputing it.
  The index decodes the calldata (:func:`registry.domain.entries.decode_entries`), rebuilds the
  StandardMerkleTree (:mod:`registry.domain.merkle`) and refuses the batch when the root differs, or when
  the entries cannot be read from the transaction input at all (sent through another contract).
  A refused batch is recorded with its reason; its entries are not records. Only that office's
  entries are affected (SPEC.md §2).
- **Per office** (DESIGN.md property 9, SPEC.md §2 "Uniqueness is per office"): a record is
  identified by (office, commitment), a batch by (office, root). What another office anchors under
  the same 32 bytes never shadows, blocks or replaces a record.
- **First anchored wins** per (office, commitment) (DESIGN.md property 4), in chain order: block
  number, then position of the event in the block, then entry order within a batch. A later anchor
  of what the office already holds is a *conflict* of that office (table ``conflicts``).
- **Chain data is input** (SPEC.md §2): every value read from events and calldata is range-checked
  before it is stored — dates by :func:`registry.domain.types.is_plausible_date` against the UTC day of
  the block they came in, kinds 1–4 (reports 1–5), claim offices, counts and string sizes. A record,
  batch, claim or amendment that fails is refused for the office that sent it (``anchors.refused``
  or ``refusals``) and reported; it never reaches a query, so no value can make a read fail.
- **Claims prove themselves** (SPEC.md §2): a claim names the earlier (office, commitment) and
  carries a claim token; it counts as *confirmed* once the earlier office emitted
  ``PriorityClaimConfirmed`` for that link (only that office can: the event carries its code).
- **Versions** (property 4): version 1 is the anchored filing; ``FilingAmended``,
  ``PriorityClaimAdded`` and ``PriorityClaimWithdrawn`` after anchoring name the location
  ``(batchRoot, commitment)`` they apply to and are applied only to the winning record's location
  (the contract counts versions per location, so a losing duplicate can still be "amended" there).
- **Reorganisations**: the hash of every indexed block with events and of the last
  :data:`RECENT_BLOCKS` blocks is kept. Each sync first compares the stored hash of the last indexed
  block with the chain's; on a difference it walks back to the newest stored block the chain still
  has, deletes everything above it (every table carries a block number or a chain position) and
  indexes again. ``confirmations`` keeps the index that many blocks behind the head.

Schema (``PRAGMA user_version`` = :data:`SCHEMA_VERSION`; commitments, roots and hashes are 32-byte
BLOBs, dates are days since 1970-01-01 as in SPEC.md §2, a chain *position* is
``block_number << 20 | n`` where ``n`` counts the contract's events within the block)::

    meta          key → value: contract, chain_id, start_block, last_block, last_hash
    blocks        number, hash, events                       (reorg detection)
    anchors       position, block, tx, tx_index, office, root|NULL, count, first_seq, refused
                  one row per FilingAnchored / BatchAnchored; `refused` says why it was
                  not accepted
    records       seq (chain order), office, commitment, UNIQUE (office, commitment), kind,
                  filing_date, digest, anchor (position), entry_index|NULL   — version 1 as anchored
    versions      (seq, version), change, filing_date, digest, block, position, tx
    claims        id (chain order), later_seq (the claiming record), earlier_office, earlier,
                  claimed_date, token, version, block, withdrawn_version, withdrawn_block
    confirmations (office, earlier, later_office, later), block, position, tx
    conflicts     id, office, commitment, anchor (position), entry_index|NULL, block
    publications  seq, number_office, number, block, position, tx
    reports       (office, report_digest), commitment, kind, issued, block, position, tx
    refusals      position, block, tx, office, commitment, event, reason   (claims, amendments, …)
    office_events position, block, tx, office, event, signer, endpoint

``records`` is a rowid table whose ``seq`` follows chain order, so a rollback deletes one range
from the top and ``max(seq)`` counts the filings without a scan. Version 1 lives in ``records``
and ``anchors`` only; ``versions`` holds the later ones.

Size (issue 6: at most 250 bytes of index a filing). A filing costs its ``records`` row and its
entry in the commitment index (~110 bytes); a claim its ``claims`` row and its entries in the two
claim indexes (~110 bytes). Claims name the claiming record by ``seq`` (a few bytes) rather than
by its commitment (32 bytes, indexed twice more), and the batch calldata is not copied: a proof
re-encodes the batch's entries from ``records`` and ``claims`` (one encoding per entry, SPEC.md
§2) and checks them against the anchored root; only a batch that lost entries to earlier anchors
is read again from its transaction. ``claims`` rows are in chain order like ``records``, so a
rollback finds the first claim to delete by bisection instead of an index on the block.

Thread safety: one writer at a time (a lock around :meth:`Index.sync`). On a file, every reading
thread gets its own connection and reads inside a transaction, so WAL gives it a consistent
snapshot while a sync writes; with ``":memory:"`` there is only one connection, and reads wait for
the sync step in progress (one lock).
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NamedTuple

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from registry import errors
from registry.domain.entries import (
    CLAIM_SIZE,
    DIGEST_PRESENT,
    DIGEST_SIZE,
    MAX_CLAIMS,
    ClaimRef,
    Entry,
    decode_entries,
    encode_entry,
)
from registry.domain.families import ClaimGraph
from registry.domain.merkle import MerkleTree
from registry.domain.types import EPOCH, IpRightKind, is_plausible_date
from registry.ledger import selectors
from registry.ledger.chain import Chain, TransactionRef
from registry.ledger.compile import load_artifact

__all__ = [
    "LOG_CHUNK",
    "RECENT_BLOCKS",
    "SCHEMA_VERSION",
    "TABLES",
    "EntryRow",
    "Index",
    "IndexStats",
    "IndexedClaim",
    "IndexedConflict",
    "IndexedInclusion",
    "IndexedOffice",
    "IndexedRecord",
    "IndexedReport",
    "IndexedSummary",
    "IndexedVersion",
    "OfficeChange",
    "Refusal",
    "RefusedBatch",
    "RegisteredFacts",
    "SyncReport",
    "check_batch",
    "discard_outdated",
    "node_id",
    "parse_node",
    "report_id",
]

#: Bumped whenever the tables change; an index of another version must be deleted and rebuilt.
SCHEMA_VERSION: Final = 3
#: How many of the newest indexed blocks keep their hash, so a reorganisation can be walked back.
RECENT_BLOCKS: Final = 128
#: Blocks per ``eth_getLogs`` request (many public nodes refuse wider ranges).
LOG_CHUNK: Final = 2_000

_POSITION_BITS = 20  # events of the contract in one block: far fewer than 2**20 fit under any gas limit
_ZERO32 = bytes(32)
_EPOCH_ORDINAL = EPOCH.toordinal()
_MAX_ATTEMPTS = 5
_TREE_CACHE = 16
_WAL_PAGES = 50_000  # pages in the WAL before a checkpoint (~200 MB at 4 KB a page)
_CHECK_AHEAD = 4  # batches checked in the executor ahead of the one being written
_MAX_COUNT = 2**32  # the contract takes a uint32 count; the event's uint256 is checked, not trusted
_MAX_NUMBER = 64  # characters of a published canonical number (the longest format is ~20)
_MAX_ENDPOINT = 2048  # characters of a gateway URL
_SECONDS_PER_DAY = 86_400


# ── what the queries return ──────────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class IndexedVersion:
    """One version of a record: what it said and the transaction that made it (DESIGN.md property 4).

    ``change`` is ``anchored`` (version 1), ``amended``, ``claimAdded`` or ``claimWithdrawn``.
    """

    version: int
    filing_date: _dt.date
    document_digest: bytes | None
    block_number: int
    transaction_hash: bytes
    change: str


@dataclass(frozen=True, slots=True)
class IndexedClaim:
    """A priority claim of (``later_office``, ``later``) to (``earlier_office``, ``earlier``), added
    in ``version`` of the later record. ``confirmed``: the earlier office confirmed the link on
    chain (SPEC.md §2); only confirmed links grant anything."""

    later: bytes
    earlier: bytes
    claimed_filing_date: _dt.date
    version: int
    withdrawn_version: int | None
    later_office: str = ""
    earlier_office: str = ""
    claim_token: bytes = bytes(16)
    confirmed: bool = False

    @property
    def withdrawn(self) -> bool:
        """Whether the claim was withdrawn (it stays in the history)."""
        return self.withdrawn_version is not None


@dataclass(frozen=True, slots=True)
class IndexedInclusion:
    """Where a batched record lives: the batch root, its packed entry and the proof for it.

    Exactly the ``Inclusion`` the contract takes for amend / claim / publish (IPriorityRegistry).
    """

    root: bytes
    entry: bytes
    proof: tuple[bytes, ...]
    entry_index: int


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """An anchored application as the ledger holds it (API.md ``GET /v1/applications/{commitment}``)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    document_digest: bytes | None
    version: int
    versions: tuple[IndexedVersion, ...]
    priority_claims: tuple[IndexedClaim, ...]
    claimed_by: tuple[bytes, ...]
    inclusion: IndexedInclusion | None
    published_number: str | None
    number_office: str | None
    block_number: int
    transaction_hash: bytes
    #: Other offices holding a record under the same 32 bytes (SPEC.md §2), in chain order.
    also_anchored_by: tuple[str, ...] = ()
    #: (office, commitment) of the records claiming this one, active claims only.
    claimed_by_nodes: tuple[tuple[str, bytes], ...] = ()

    @property
    def batch_root(self) -> bytes | None:
        """The root of the batch that anchored the record; ``None`` for a stored (single) anchor."""
        return self.inclusion.root if self.inclusion is not None else None


@dataclass(frozen=True, slots=True)
class IndexedSummary:
    """The few fields a family listing shows per member (API.md ``extendedFamily[]``)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    published_number: str | None


@dataclass(frozen=True, slots=True)
class RegisteredFacts:
    """What a priority-claim verification needs of a record, and nothing it does not (no proof)."""

    commitment: bytes
    office: str
    kind: IpRightKind
    filing_date: _dt.date
    document_digest: bytes | None
    version: int
    claimed_dates: tuple[_dt.date, ...]


@dataclass(frozen=True, slots=True)
class OfficeChange:
    """One directory event: ``admitted``, ``suspended``, ``reinstated`` or ``keyRotated``."""

    block_number: int
    transaction_hash: bytes
    event: str
    signer: str | None


@dataclass(frozen=True, slots=True)
class IndexedOffice:
    """An office of the directory with its current key, state and full history."""

    code: str
    signer: str
    active: bool
    history: tuple[OfficeChange, ...]
    endpoint: str | None = None


@dataclass(frozen=True, slots=True)
class IndexedReport:
    """A report anchored by ``office`` for its application ``commitment`` (SPEC.md §2, R15)."""

    report_id: bytes
    office: str
    commitment: bytes
    report_digest: bytes
    kind: int
    issued: _dt.date
    block_number: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class Refusal:
    """A claim, amendment, report or publication the index refused for its sender (SPEC.md §2)."""

    office: str
    commitment: bytes
    event: str
    block_number: int
    transaction_hash: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class IndexedConflict:
    """A later anchor of a commitment already held: recorded, never applied (first anchored wins)."""

    commitment: bytes
    office: str
    batch_root: bytes | None
    entry_index: int | None
    block_number: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class RefusedBatch:
    """A batch the index did not accept, and why (SPEC.md §2: the root must match the calldata)."""

    root: bytes
    office: str
    block_number: int
    transaction_hash: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one :meth:`Index.sync` did. ``rolled_back`` counts blocks undone by reorganisations."""

    from_block: int
    to_block: int
    events: int
    filings: int
    batches: int
    conflicts: int
    refused_batches: int
    rolled_back: int
    seconds: float


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Totals of the index; ``last_block`` is ``None`` before the first sync."""

    filings: int
    batches: int
    stored_filings: int
    claims: int
    conflicts: int
    refused_batches: int
    last_block: int | None


# ── reading the contract's bytes ─────────────────────────────────────────────────────────────


@dataclass(frozen=True, slots=True)
class _EventSpec:
    name: str
    indexed: tuple[tuple[str, str], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]


def _event_specs(abi: Sequence[dict[str, Any]]) -> dict[bytes, _EventSpec]:
    # Only IPriorityRegistry's events: AccessControl's Role* events say nothing the index keeps.
    wanted = {
        "OfficeAdmitted",
        "OfficeSuspended",
        "OfficeReinstated",
        "OfficeKeyRotated",
        "FilingAnchored",
        "BatchAnchored",
        "PriorityClaimAdded",
        "PriorityClaimWithdrawn",
        "FilingAmended",
        "FilingPublished",
        "OfficeEndpointSet",
        "PriorityClaimConfirmed",
        "ReportAnchored",
    }
    specs: dict[bytes, _EventSpec] = {}
    for item in abi:
        if item.get("type") != "event" or item["name"] not in wanted:
            continue
        inputs = item["inputs"]
        signature = f"{item['name']}({','.join(i['type'] for i in inputs)})"
        specs[keccak(text=signature)] = _EventSpec(
            name=item["name"],
            indexed=tuple((i["name"], i["type"]) for i in inputs if i["indexed"]),
            data_names=tuple(i["name"] for i in inputs if not i["indexed"]),
            data_types=tuple(i["type"] for i in inputs if not i["indexed"]),
        )
    if len(specs) != len(wanted):
        raise errors.IndexInconsistent("the contract artifact lacks events the index reads")
    return specs


_ARTIFACT_ABI: list[dict[str, Any]] = load_artifact()["abi"]
_EVENTS = _event_specs(_ARTIFACT_ABI)


def _decode_event(spec: _EventSpec, topics: Sequence[bytes], data: bytes) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for (name, typ), topic in zip(spec.indexed, topics[1:], strict=True):
        (args[name],) = abi_decode([typ], bytes(topic))
    if spec.data_types:
        args.update(zip(spec.data_names, abi_decode(list(spec.data_types), bytes(data)), strict=True))
    return args


def _batch_from_input(data: bytes, root: bytes, office: bytes) -> tuple[bytes | None, str | None]:
    """The packed entries a transaction input carries for batch ``root``, or why there are none."""
    selector, body = data[:4], data[4:]
    try:
        if selector == selectors.ANCHOR_BATCH:
            sent_root, _count, entries = abi_decode(["bytes32", "uint32", "bytes"], body)
            sent_office = office
        elif selector == selectors.ANCHOR_BATCH_BY_SIG:
            sent_office, sent_root, _count, entries, _deadline, _sig = abi_decode(
                ["bytes2", "bytes32", "uint32", "bytes", "uint256", "bytes"], body
            )
        else:
            # Sent through another contract (a multisig, a relayer): the entries are in the inner
            # call, which only a tracing node could show. Property 3 needs them in our own input.
            return None, "the transaction input is not a call of anchorBatch / anchorBatchBySig"
    except Exception as exc:  # eth_abi raises several unrelated types for bad input
        return None, f"the transaction input does not decode: {exc}"
    if sent_root != root or sent_office != office:
        return None, "the transaction input names another batch than its event"
    return bytes(entries), None


#: One entry as the index writes it: commitment, kind, filing day, digest,
#: claims (earlier office, earlier commitment, claimed day, token).
EntryRow = tuple[bytes, int, int, bytes | None, tuple[tuple[str, bytes, int, bytes], ...]]


class _CheckedBatch(NamedTuple):
    """A batch's calldata read and checked against its event (SPEC.md §2).

    ``reason`` says why it is refused (then ``rows`` is empty); ``tree`` is kept for the proof
    cache when the check ran in this process.
    """

    reason: str | None
    rows: list[EntryRow]
    tree: _Tree | None


def _implausible(entries: Sequence[Entry], block_day: _dt.date) -> str | None:
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
) -> _CheckedBatch:
    """Decode the entries a batch transaction's input carries and check them against its event.

    Pure (no node, no database), so that a process pool can run it for many batches at once:
    the input must be a call of the registry's ``anchorBatch``/``anchorBatchBySig`` for this root
    and office, the entries must decode strictly, their number must be the event's ``count`` and
    their StandardMerkleTree root the anchored root, and every date plausible for ``block_day``
    (the UTC day of the batch's block, SPEC.md §2). ``data`` None: not sent to the registry.
    """
    if not 0 < count < _MAX_COUNT:
        return _CheckedBatch(f"the event's entry count {count} is out of range", [], None)
    if data is None:
        return _CheckedBatch(
            "the transaction was not sent to the registry (the entries are in an inner call)", [], None
        )
    blob, reason = _batch_from_input(data, root, office_code)
    if blob is None:
        return _CheckedBatch(reason or "refused", [], None)
    try:
        entries = decode_entries(blob)
    except errors.InvalidInput as exc:
        return _CheckedBatch(f"the entries do not decode: {exc.message}", [], None)
    if len(entries) != count:
        return _CheckedBatch(f"the event counts {count} entries, the calldata holds {len(entries)}", [], None)
    if block_day is not None:
        reason = _implausible(entries, block_day)
        if reason is not None:
            return _CheckedBatch(reason, [], None)
    raw = _split_entries(blob)  # the strict decode above has checked this framing
    tree = MerkleTree.of(raw)
    if tree.root != root:
        return _CheckedBatch(
            f"the entries hash to root 0x{tree.root.hex()}, not to the anchored root 0x{root.hex()}", [], None
        )
    rows: list[EntryRow] = [
        (
            e.commitment,
            int(e.kind),
            _days(e.filing_date),
            e.document_digest,
            tuple(
                [
                    (c.earlier_office, c.earlier_commitment, _days(c.claimed_filing_date), c.claim_token)
                    for c in e.claims
                ]
            ),
        )
        for e in entries
    ]
    return _CheckedBatch(None, rows, _Tree(tree, raw) if keep_tree else None)


def _is_batch(log: Any) -> bool:
    topics = log["topics"]
    spec = _EVENTS.get(bytes(topics[0])) if topics else None
    return spec is not None and spec.name == "BatchAnchored"


def _split_entries(blob: bytes) -> list[bytes]:
    """Cut packed entries into one ``bytes`` per entry by their flags byte (framing only, SPEC.md §2)."""
    out: list[bytes] = []
    offset, end = 0, len(blob)
    while offset < end:
        flags = blob[offset + 37]
        size = 38 + (DIGEST_SIZE if flags & DIGEST_PRESENT else 0) + CLAIM_SIZE * (flags & MAX_CLAIMS)
        out.append(blob[offset : offset + size])
        offset += size
    return out


def node_id(office: str, commitment: bytes) -> str:
    """The family-graph name of the record (office, commitment): ``CC:0x…`` (SPEC.md §2)."""
    return f"{office}:0x{commitment.hex()}"


def parse_node(node: str) -> tuple[str, bytes]:
    """The (office, commitment) of a :func:`node_id`."""
    office, _, hexed = node.partition(":")
    return office, bytes.fromhex(hexed[2:])


def report_id(office: str, report_digest: bytes) -> bytes:
    """``keccak256(abi.encode(bytes2 office, bytes32 reportDigest))``: the same at every gateway (SPEC.md §2)."""
    return keccak(office.encode("ascii").ljust(32, b"\0") + report_digest)


def _days(day: _dt.date) -> int:
    return day.toordinal() - _EPOCH_ORDINAL


def _date(days: int) -> _dt.date:
    return _dt.date.fromordinal(_EPOCH_ORDINAL + days)


def _digest(value: bytes | None) -> bytes | None:
    # SPEC.md §2: a zero digest means "no document".
    return None if value is None or value == _ZERO32 else bytes(value)


def _office(code: bytes) -> str:
    return code.decode("ascii", "replace")


def _position(block: int, n: int) -> int:
    return (block << _POSITION_BITS) | n


def _first_claim_after(db: sqlite3.Connection, block: int) -> int:
    """The smallest claim id from a block after ``block`` (past the last claim when there is none).

    Claims are inserted in chain order, so their block numbers never decrease with the id: a
    bisection over the rowid finds the cut in ~log2(claims) lookups, without an index on the block.
    """
    low, high = 1, int(db.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]) + 1
    while low < high:
        middle = (low + high) // 2
        row = db.execute("SELECT block_number FROM claims WHERE id >= ? ORDER BY id LIMIT 1", (middle,)).fetchone()
        if row is None or row[0] > block:
            high = middle
        else:
            low = middle + 1
    return low


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, events INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS anchors (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    tx_index INTEGER NOT NULL,
    office TEXT NOT NULL,
    root BLOB,
    count INTEGER NOT NULL,
    first_seq INTEGER,
    refused TEXT
);
CREATE INDEX IF NOT EXISTS anchors_root ON anchors (root) WHERE root IS NOT NULL;
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    kind INTEGER NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    anchor INTEGER NOT NULL,
    entry_index INTEGER,
    UNIQUE (commitment, office)
);
CREATE TABLE IF NOT EXISTS versions (
    seq INTEGER NOT NULL,
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (seq, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    later_seq INTEGER NOT NULL,
    earlier_office TEXT NOT NULL,
    earlier BLOB NOT NULL,
    claimed_date INTEGER NOT NULL,
    token BLOB NOT NULL,
    version INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    withdrawn_version INTEGER,
    withdrawn_block INTEGER
);
CREATE INDEX IF NOT EXISTS claims_later ON claims (later_seq);
CREATE INDEX IF NOT EXISTS claims_earlier ON claims (earlier);
CREATE INDEX IF NOT EXISTS claims_withdrawn ON claims (withdrawn_block) WHERE withdrawn_block IS NOT NULL;
CREATE TABLE IF NOT EXISTS confirmations (
    office TEXT NOT NULL,
    earlier BLOB NOT NULL,
    later_office TEXT NOT NULL,
    later BLOB NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (later, later_office, earlier, office)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    anchor INTEGER NOT NULL,
    entry_index INTEGER,
    block_number INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_commitment ON conflicts (commitment);
CREATE TABLE IF NOT EXISTS publications (
    seq INTEGER PRIMARY KEY,
    number_office TEXT NOT NULL,
    number TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS reports (
    office TEXT NOT NULL,
    report_digest BLOB NOT NULL,
    commitment BLOB NOT NULL,
    kind INTEGER NOT NULL,
    issued INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (office, report_digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS refusals (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    office TEXT NOT NULL,
    commitment BLOB NOT NULL,
    event TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS office_events (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    office TEXT NOT NULL,
    event TEXT NOT NULL,
    signer TEXT,
    endpoint TEXT
);
"""

# A claim with its claiming record's (office, commitment) and whether the earlier office confirmed it.
_CLAIM_COLUMNS = (
    "SELECT r.commitment, c.earlier, c.claimed_date, c.version, c.withdrawn_version, r.office, c.earlier_office,"
    " c.token, EXISTS (SELECT 1 FROM confirmations f WHERE f.later = r.commitment AND f.later_office = r.office"
    " AND f.earlier = c.earlier AND f.office = c.earlier_office) FROM claims c JOIN records r ON r.seq = c.later_seq"
)
_CLAIMS_BY_LATER = _CLAIM_COLUMNS + " WHERE c.later_seq = ? ORDER BY c.id"
_CLAIMS_BY_EARLIER = _CLAIM_COLUMNS + " WHERE c.earlier = ? AND c.earlier_office = ? ORDER BY c.id"

# The active links touching one node of a family, with their claim ids (chain order).
_FAMILY_LINKS = (
    _CLAIM_COLUMNS.replace("SELECT ", "SELECT c.id, ", 1)  # noqa: S608 - constant text; values are parameters
    + " WHERE c.withdrawn_version IS NULL AND (c.later_seq IN"
    " (SELECT seq FROM records WHERE commitment = ? AND office = ?) OR (c.earlier = ? AND c.earlier_office = ?))"
)

# Verification's read (Index.facts): the record, its newest later version if any, and the dates of
# its active claims in chain order (the inner ORDER BY feeds group_concat in that order).
_FACTS = """
SELECT r.office, r.kind, r.filing_date, r.document_digest, v.version, v.filing_date, v.document_digest,
       (SELECT group_concat(claimed_date) FROM (SELECT claimed_date FROM claims
         WHERE later_seq = r.seq AND withdrawn_version IS NULL ORDER BY id))
FROM records r
LEFT JOIN versions v ON v.seq = r.seq AND v.version = (SELECT max(version) FROM versions WHERE seq = r.seq)
WHERE r.commitment = ? AND r.office = ?
"""

#: Every table of the index, in the order a comparison lists them.
TABLES: Final = (
    "meta",
    "blocks",
    "anchors",
    "records",
    "versions",
    "claims",
    "confirmations",
    "conflicts",
    "publications",
    "reports",
    "refusals",
    "office_events",
)


def discard_outdated(path: str | Path) -> bool:
    """Delete the index file at ``path`` (and its WAL) when its schema version is not this one.

    Returns whether it did. A missing or empty file is left alone.
    """
    file = Path(path)
    if not file.exists():
        return False
    db = sqlite3.connect(file)
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        has_tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
    finally:
        db.close()
    if not has_tables or version == SCHEMA_VERSION:
        return False
    for suffix in ("", "-wal", "-shm"):
        Path(f"{file}{suffix}").unlink(missing_ok=True)
    return True


class _ChainMoved(Exception):
    """The chain reorganised while a sync step read it: roll the step back and start again."""


@dataclass
class _Counts:
    events: int = 0
    filings: int = 0
    batches: int = 0
    conflicts: int = 0
    refused: int = 0
    rolled_back: int = 0
    first_block: int | None = None

    def add(self, other: _Counts) -> None:
        self.events += other.events
        self.filings += other.filings
        self.batches += other.batches
        self.conflicts += other.conflicts
        self.refused += other.refused


@dataclass(frozen=True, slots=True)
class _Tree:
    tree: MerkleTree
    entries: list[bytes] = field(repr=False)


class Index:
    """The read model of one registry contract on one chain, kept in SQLite (DESIGN.md property 3).

    ``path`` is a file (created when missing, resumed when present) or ``":memory:"``. An index
    made for another contract or chain id is refused with :class:`~registry.errors.IndexInconsistent`;
    so is one of another schema version, unless ``rebuild_outdated`` says to delete it and follow
    the chain again from ``start_block`` (it holds nothing the chain does not).
    """

    def __init__(
        self,
        path: str | Path,
        chain: Chain,
        contract_address: str,
        *,
        confirmations: int = 0,
        start_block: int = 0,
        rebuild_outdated: bool = False,
    ) -> None:
        if confirmations < 0 or start_block < 0:
            raise ValueError("confirmations and start_block cannot be negative")
        if rebuild_outdated and str(path) != ":memory:":
            discard_outdated(path)
        self._chain = chain
        self._address = to_checksum_address(contract_address)
        self.confirmations = confirmations
        self._memory = str(path) == ":memory:"
        self._path = str(path)
        self._write_lock = threading.Lock()
        # With one in-memory connection, readers and the writer share it: one lock for both.
        self._memory_lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._trees: OrderedDict[bytes, _Tree] = OrderedDict()
        self._trees_lock = threading.Lock()
        self._closed = False
        self._db = self._connect(readonly=False)
        self._start_block = self._open_meta(start_block)

    # ── opening ──────────────────────────────────────────────────────────────────────────

    def _connect(self, *, readonly: bool) -> sqlite3.Connection:
        # Autocommit mode: transactions are opened explicitly, so a sync step is exactly one.
        db = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, cached_statements=256)
        if not self._memory:
            db.execute("PRAGMA busy_timeout = 10000")
            if readonly:
                db.execute("PRAGMA query_only = 1")
            else:
                db.execute("PRAGMA journal_mode = WAL")
                # WAL + NORMAL: a crash can lose the last committed step, never corrupt one; the
                # next sync simply reads it from the chain again.
                db.execute("PRAGMA synchronous = NORMAL")
                # Checkpoints (copying the WAL back into the file, with an fsync) every ~200 MB of
                # WAL instead of every 4 MB: a step of filings with random commitments dirties a
                # page a filing, so checkpointing after every step wrote and fsynced all of them
                # again. SQLite microbenchmark, 1.5 M rows in 10,000-row commits: 33 -> 24 s.
                db.execute(f"PRAGMA wal_autocheckpoint = {_WAL_PAGES}")
        db.execute("PRAGMA temp_store = MEMORY")
        # The writer gets a large page cache (a sync step touches many pages); every reading thread
        # has its own connection, so a reader's cache is small and the pages are shared through
        # the OS page cache instead: 40 API threads × 64 MB grew the server to gigabytes. Not
        # through mmap: each connection maps the file on its own, and every mapping counts its
        # touched pages in the process's resident size again (1 M filings: +700 MB while serving).
        if readonly:
            db.execute("PRAGMA cache_size = -2048")
            db.execute("PRAGMA mmap_size = 0")
        else:
            db.execute("PRAGMA cache_size = -65536")
        return db

    def _open_meta(self, start_block: int) -> int:
        db = self._db
        with self._transaction():
            version = db.execute("PRAGMA user_version").fetchone()[0]
            has_tables = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'meta'").fetchone()[0]
            if has_tables and version != SCHEMA_VERSION:
                raise errors.IndexInconsistent(
                    f"the index at {self._path} has schema version {version}, not {SCHEMA_VERSION}:"
                    " delete it and sync again (it is rebuilt from the chain)"
                )
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            chain_id = self._chain.chain_id
            if not meta:
                db.executemany(
                    "INSERT INTO meta (key, value) VALUES (?, ?)",
                    [("contract", self._address), ("chain_id", str(chain_id)), ("start_block", start_block)],
                )
                return start_block
            if str(meta.get("contract", "")).lower() != self._address.lower() or meta.get("chain_id") != str(chain_id):
                raise errors.IndexInconsistent(
                    f"the index at {self._path} follows contract {meta.get('contract')} on chain"
                    f" {meta.get('chain_id')}, not {self._address} on chain {chain_id}: use another file"
                )
            return int(meta["start_block"])

    @classmethod
    def in_memory_copy(cls, path: str | Path, chain: Chain, contract_address: str, *, start_block: int = 0) -> Index:
        """A ``:memory:`` index that starts as a copy of the index file at ``path``, which is only read.

        For the read-only commands (API.md: they run beside the state directory's one writer and
        write nothing): the copy is synced in memory, so an answer is as current as the chain
        while the file stays the writer's. A missing file, or one of another schema, gives an
        empty index (followed from ``start_block``); one of another contract is refused as usual.
        """
        index = cls(":memory:", chain, contract_address, start_block=start_block)
        file = Path(path)
        if not file.exists():
            return index
        source = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True)
        try:
            source.execute("PRAGMA busy_timeout = 10000")
            if source.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return index
            with index._memory_lock:
                source.backup(index._db)
        finally:
            source.close()
        index._start_block = index._open_meta(start_block)
        return index

    def close(self) -> None:
        """Close every connection of the index."""
        with self._write_lock, self._memory_lock:
            self._closed = True
            with self._readers_lock:
                for reader in self._readers:
                    reader.close()
                self._readers.clear()
            self._db.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ── transactions and reads ───────────────────────────────────────────────────────────

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._memory_lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextmanager
    def _reading(self, *, snapshot: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection for this thread, inside one read transaction (a consistent snapshot).

        ``snapshot`` False leaves the transaction out, for a read of a single statement.
        """
        if self._closed:
            raise errors.IndexInconsistent("the index is closed")
        if self._memory:
            with self._memory_lock:
                yield self._db
            return
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = self._connect(readonly=True)
            self._local.db = db
            with self._readers_lock:
                self._readers.append(db)
        if not snapshot:
            yield db
            return
        db.execute("BEGIN")
        try:
            yield db
        finally:
            db.execute("COMMIT")

    # ── following the chain ──────────────────────────────────────────────────────────────

    @property
    def contract_address(self) -> str:
        """The contract the index follows (checksummed)."""
        return self._address

    def last_block(self) -> int | None:
        """The last block indexed, ``None`` before the first sync."""
        with self._reading() as db:
            return self._meta_last(db)[0]

    def sync(self, to_block: int | None = None, *, executor: Executor | None = None) -> SyncReport:
        """Follow the chain up to ``min(to_block, head − confirmations)``; one SQLite transaction a step.

        With ``executor`` (a process pool), batches are decoded and checked against their roots
        there, a few ahead of the one being written: catching up on a long chain then uses a
        second core for what is pure computation. Rolls back what a reorganisation replaced first. Raises
        :class:`~registry.errors.LedgerUnavailable` when the node cannot be reached (what was
        committed stays) and :class:`~registry.errors.IndexInconsistent` when the chain keeps
        reorganising under the index.
        """
        started = time.perf_counter()
        counts = _Counts()
        with self._write_lock:
            if self._closed:
                raise errors.IndexInconsistent("the index is closed")
            for _attempt in range(_MAX_ATTEMPTS):
                try:
                    last = self._sync_once(to_block, counts, executor)
                    break
                except _ChainMoved:
                    continue
            else:
                raise errors.IndexInconsistent("the chain kept reorganising while the index followed it")
        return SyncReport(
            from_block=last + 1 if counts.first_block is None else counts.first_block,
            to_block=last,
            events=counts.events,
            filings=counts.filings,
            batches=counts.batches,
            conflicts=counts.conflicts,
            refused_batches=counts.refused,
            rolled_back=counts.rolled_back,
            seconds=time.perf_counter() - started,
        )

    def _meta_last(self, db: sqlite3.Connection) -> tuple[int | None, bytes | None]:
        rows = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('last_block', 'last_hash')").fetchall())
        last = rows.get("last_block")
        return (None if last is None else int(last)), rows.get("last_hash")

    def _sync_once(self, to_block: int | None, counts: _Counts, executor: Executor | None = None) -> int:
        chain = self._chain
        last, last_hash = self._meta_last(self._db)
        if last is None:
            last = self._start_block - 1
        elif self._block_hash(last) != last_hash:
            ancestor = self._common_ancestor()
            counts.rolled_back += last - ancestor
            self._rollback(ancestor)
            last = ancestor
        head = chain.block_number()
        target = head - self.confirmations
        if to_block is not None:
            target = min(target, to_block)
        window = target - RECENT_BLOCKS + 1
        start = last + 1
        while start <= target:
            end = min(start + LOG_CHUNK - 1, target)
            self._step(start, end, window, counts, executor)
            start = end + 1
        return max(last, target)

    def _block_hash(self, number: int) -> bytes | None:
        header = self._header(number)
        return header[0] if header else None

    def _header(self, number: int) -> tuple[bytes, bytes] | None:
        return self._chain.header(number)

    def _common_ancestor(self) -> int:
        """The newest stored block the chain still has: everything above it is replaced."""
        stored = self._db.execute("SELECT number, hash FROM blocks ORDER BY number DESC").fetchall()
        for number, stored_hash in stored:
            if self._block_hash(number) == stored_hash:
                return int(number)
        return self._start_block - 1

    def _rollback(self, ancestor: int) -> None:
        """Delete everything indexed above block ``ancestor`` (one transaction)."""
        cut = _position(ancestor + 1, 0)
        with self._transaction() as db:
            first_seq = db.execute(
                "SELECT min(first_seq) FROM anchors WHERE position >= ? AND first_seq IS NOT NULL", (cut,)
            ).fetchone()[0]
            if first_seq is not None:
                db.execute("DELETE FROM records WHERE seq >= ?", (first_seq,))
            db.execute("DELETE FROM anchors WHERE position >= ?", (cut,))
            db.execute("DELETE FROM versions WHERE block_number > ?", (ancestor,))
            db.execute("DELETE FROM claims WHERE id >= ?", (_first_claim_after(db, ancestor),))
            db.execute(
                "UPDATE claims SET withdrawn_version = NULL, withdrawn_block = NULL WHERE withdrawn_block > ?",
                (ancestor,),
            )
            db.execute("DELETE FROM conflicts WHERE block_number > ?", (ancestor,))
            for table in ("publications", "confirmations", "reports", "refusals"):
                db.execute(f"DELETE FROM {table} WHERE block_number > ?", (ancestor,))  # noqa: S608 - fixed names
            db.execute("DELETE FROM office_events WHERE position >= ?", (cut,))
            db.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
            kept = db.execute("SELECT hash FROM blocks WHERE number = ?", (ancestor,)).fetchone()
            if kept is None:
                db.execute("DELETE FROM meta WHERE key IN ('last_block', 'last_hash')")
            else:
                self._set_last(db, ancestor, kept[0])
        with self._trees_lock:
            self._trees.clear()

    @staticmethod
    def _set_last(db: sqlite3.Connection, number: int, block_hash: bytes) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [("last_block", number), ("last_hash", block_hash)],
        )

    def _logs(self, start: int, end: int) -> list[Any]:
        try:
            return self._chain.logs(self._address, start, end)
        except errors.LedgerUnavailable:
            raise
        except errors.LedgerError:
            # Nodes cap how many logs one answer may hold: halve the range instead of giving up.
            if start == end:
                raise
            middle = (start + end) // 2
            return self._logs(start, middle) + self._logs(middle + 1, end)

    def _step(self, start: int, end: int, window: int, counts: _Counts, executor: Executor | None = None) -> None:
        """Index blocks ``start``..``end`` in one transaction, or not at all."""
        # Headers of the newest blocks (their hashes are kept to detect reorganisations) and of
        # the step's last block, which becomes the index's last block.
        headers: dict[int, tuple[bytes, bytes]] = {}
        for number in sorted({*range(max(start, window), end + 1), end}):
            header = self._header(number)
            if header is None:
                raise _ChainMoved
            headers[number] = header
        logs = self._logs(start, end)
        # The last block did not change while the logs were read: they belong to the chain we store.
        if self._block_hash(end) != headers[end][0]:
            raise _ChainMoved
        # Each header must extend the one below it, starting from what is stored for start − 1.
        hashes = {number: block_hash for number, (block_hash, _parent) in headers.items()}
        below_start = self._db.execute("SELECT hash FROM blocks WHERE number = ?", (start - 1,)).fetchone()
        if below_start is not None:
            hashes[start - 1] = below_start[0]
        for number, (_hash, parent) in headers.items():
            if hashes.get(number - 1, parent) != parent:
                raise _ChainMoved
        logs = [log for log in logs if not log.get("removed", False)]
        logs.sort(key=lambda log: (log["blockNumber"], log["transactionIndex"], log["logIndex"]))
        event_blocks: dict[int, list[Any]] = {}
        for log in logs:
            number = int(log["blockNumber"])
            event_blocks.setdefault(number, []).append(log)
            if number in headers and bytes(log["blockHash"]) != headers[number][0]:
                raise _ChainMoved
        # The UTC day of every block with events: the bound of the dates it may carry (SPEC.md §2).
        days: dict[int, _dt.date] = {}
        for number in event_blocks:
            stamp = self._chain.block_timestamp(number)
            if stamp is None:
                raise _ChainMoved
            days[number] = _date(stamp // _SECONDS_PER_DAY)
        step = _Step(self, executor, [log for log in logs if _is_batch(log)], days)
        with self._transaction() as db:
            for number, block_logs in event_blocks.items():
                # eth-tester numbers logs per transaction, real nodes per block: our own count
                # within the block is the same on every node.
                for n, log in enumerate(block_logs):
                    step.apply(db, number, n, log)
            rows = [(number, h, 0) for number, (h, _parent) in headers.items()]
            db.executemany("INSERT OR REPLACE INTO blocks (number, hash, events) VALUES (?, ?, ?)", rows)
            db.executemany(
                "INSERT OR REPLACE INTO blocks (number, hash, events) VALUES (?, ?, ?)",
                [(number, bytes(ls[0]["blockHash"]), len(ls)) for number, ls in event_blocks.items()],
            )
            db.execute("DELETE FROM blocks WHERE number <= ? AND events = 0", (end - RECENT_BLOCKS,))
            self._set_last(db, end, headers[end][0])
        counts.add(step.counts)
        counts.first_block = start if counts.first_block is None else min(counts.first_block, start)
        with self._trees_lock:
            for root, tree in step.trees:
                self._remember_tree(root, tree)

    # ── Merkle trees of stored batches ───────────────────────────────────────────────────

    def _remember_tree(self, root: bytes, tree: _Tree) -> None:
        self._trees[root] = tree
        self._trees.move_to_end(root)
        while len(self._trees) > _TREE_CACHE:
            self._trees.popitem(last=False)

    def _tree(self, db: sqlite3.Connection, root: bytes, position: int) -> _Tree:
        with self._trees_lock:
            cached = self._trees.get(root)
            if cached is not None:
                self._trees.move_to_end(root)
                return cached
        block, tx_index, office, count, first_seq = db.execute(
            "SELECT block_number, tx_index, office, count, first_seq FROM anchors WHERE position = ?", (position,)
        ).fetchone()
        entries = self._entries_from_rows(db, position, count, first_seq)
        tree = None if entries is None else MerkleTree.of(entries)
        # A root that differs cannot happen with one encoding per entry; if it did, the chain decides.
        if entries is None or tree is None or tree.root != root:
            entries = self._entries_from_chain(root, office, block, tx_index)
            tree = MerkleTree.of(entries)
            if tree.root != root:
                raise errors.IndexInconsistent(
                    f"the transaction at block {block} no longer carries batch 0x{root.hex()}: sync the index again"
                )
        found = _Tree(tree, entries)
        with self._trees_lock:
            self._remember_tree(root, found)
        return found

    @staticmethod
    def _entries_from_rows(
        db: sqlite3.Connection, position: int, count: int, first_seq: int | None
    ) -> list[bytes] | None:
        """A batch's packed entries re-encoded from its records and their first claims.

        Possible when every entry of the batch became a record: they are then the ``count``
        consecutive seqs from ``first_seq``, in entry order. ``None`` when some entry lost to an
        earlier anchor (its bytes are only on the chain).
        """
        if first_seq is None:
            return None
        last_seq = first_seq + count - 1
        rows = db.execute(
            "SELECT seq, commitment, kind, filing_date, document_digest FROM records"
            " WHERE seq BETWEEN ? AND ? AND anchor = ? ORDER BY seq",
            (first_seq, last_seq, position),
        ).fetchall()
        if len(rows) != count:
            return None
        claims: dict[int, list[ClaimRef]] = {}
        for later_seq, office, earlier, days, token in db.execute(
            "SELECT later_seq, earlier_office, earlier, claimed_date, token FROM claims"
            " WHERE later_seq BETWEEN ? AND ? AND version = 1 ORDER BY id",
            (first_seq, last_seq),
        ):
            claims.setdefault(later_seq, []).append(ClaimRef(earlier, _date(days), office, token))
        return [
            encode_entry(Entry(commitment, IpRightKind(kind), _date(days), digest, tuple(claims.get(seq, ()))))
            for seq, commitment, kind, days, digest in rows
        ]

    def _entries_from_chain(self, root: bytes, office: str, block: int, tx_index: int) -> list[bytes]:
        """A batch's packed entries read again from its transaction (the chain is the source).

        Raises :class:`~registry.errors.LedgerUnavailable` when the node cannot be reached, and
        :class:`~registry.errors.IndexInconsistent` when the transaction is no longer the batch's
        (a reorganisation the next sync will roll back).
        """
        tx = self._chain.transaction_at(block, tx_index)
        blob: bytes | None = None
        if tx is not None and (tx.to or "").lower() == self._address.lower():
            blob, _reason = _batch_from_input(tx.input, root, office.encode("ascii"))
        if blob is None:
            raise errors.IndexInconsistent(
                f"the transaction of batch 0x{root.hex()} is no longer at block {block}, position {tx_index}:"
                " sync the index again"
            )
        return _split_entries(blob)

    # ── queries ──────────────────────────────────────────────────────────────────────────

    def contains(self, office: str, commitment: bytes) -> bool:
        """Whether ``office`` holds a record of ``commitment``: the API's 409 check (SPEC.md §2)."""
        with self._reading() as db:
            row = db.execute("SELECT 1 FROM records WHERE commitment = ? AND office = ?", (commitment, office))
            return row.fetchone() is not None

    def holders(self, commitment: bytes) -> tuple[str, ...]:
        """The offices holding a record under ``commitment``, in chain order (first anchored first)."""
        with self._reading() as db:
            rows = db.execute("SELECT office FROM records WHERE commitment = ? ORDER BY seq", (commitment,))
            return tuple(r[0] for r in rows)

    def claimed_offices(self, commitment: bytes) -> tuple[str, ...]:
        """The offices claims name for ``commitment`` (a member known only from claims), first first."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT earlier_office FROM claims WHERE earlier = ? GROUP BY earlier_office ORDER BY min(id)",
                (commitment,),
            )
            return tuple(r[0] for r in rows)

    def record(self, commitment: bytes, office: str | None = None) -> IndexedRecord | None:
        """The record ``office`` anchored for ``commitment`` with its versions, claims both ways and proof.

        Without ``office``: the record anchored first in chain order under those 32 bytes, the others
        listed in ``also_anchored_by`` (SPEC.md §2 "Paths keyed by a commitment").
        """
        with self._reading() as db:
            holders = [
                r[0] for r in db.execute("SELECT office FROM records WHERE commitment = ? ORDER BY seq", (commitment,))
            ]
            if not holders or (office is not None and office not in holders):
                return None
            office = holders[0] if office is None else office
            row = db.execute(
                "SELECT r.seq, r.office, r.kind, r.filing_date, r.document_digest, r.anchor, r.entry_index,"
                " a.block_number, a.tx_hash, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
                " WHERE r.commitment = ? AND r.office = ?",
                (commitment, office),
            ).fetchone()
            seq, office, kind, days, digest, anchor, entry_index, block, tx_hash, root = row
            versions = [IndexedVersion(1, _date(days), digest, block, tx_hash, "anchored")]
            versions.extend(
                IndexedVersion(v, _date(d), dg, b, tx, change)
                for v, d, dg, b, tx, change in db.execute(
                    "SELECT version, filing_date, document_digest, block_number, tx_hash, change FROM versions"
                    " WHERE seq = ? ORDER BY version",
                    (seq,),
                )
            )
            claims = self._claims(db, _CLAIMS_BY_LATER, (seq,))
            incoming = [c for c in self._claims(db, _CLAIMS_BY_EARLIER, (commitment, office)) if not c.withdrawn]
            claimed_by_nodes = tuple(dict.fromkeys((c.later_office, c.later) for c in incoming))
            published = db.execute("SELECT number_office, number FROM publications WHERE seq = ?", (seq,)).fetchone()
            inclusion = None
            if root is not None:
                tree = self._tree(db, root, anchor)
                inclusion = IndexedInclusion(
                    root, tree.entries[entry_index], tuple(tree.tree.proof(entry_index)), entry_index
                )
        current = versions[-1]
        return IndexedRecord(
            commitment=commitment,
            office=office,
            kind=IpRightKind(kind),
            filing_date=current.filing_date,
            document_digest=current.document_digest,
            version=current.version,
            versions=tuple(versions),
            priority_claims=claims,
            claimed_by=tuple(dict.fromkeys(later for _o, later in claimed_by_nodes)),
            inclusion=inclusion,
            published_number=published[1] if published else None,
            number_office=published[0] if published else None,
            block_number=block,
            transaction_hash=tx_hash,
            also_anchored_by=tuple(h for h in holders if h != office),
            claimed_by_nodes=claimed_by_nodes,
        )

    def facts(self, office: str, commitment: bytes) -> RegisteredFacts | None:
        """The current version of ``office``'s record of ``commitment`` and its active claim dates.

        Only that office's record (SPEC.md §1: a verification looks up the claimed office only).
        One statement (a statement reads one snapshot, so no read transaction is opened around it)
        and no Merkle tree: :meth:`record` also rebuilds the batch tree to attach an inclusion
        proof, which costs milliseconds and a verification never reads.
        """
        with self._reading(snapshot=False) as db:
            row = db.execute(_FACTS, (commitment, office)).fetchone()
        if row is None:
            return None
        office, kind, days, digest, version, amended_days, amended_digest, claimed = row
        if version is not None:
            days, digest = amended_days, amended_digest
        dates = tuple(_date(int(d)) for d in claimed.split(",")) if claimed else ()
        return RegisteredFacts(commitment, office, IpRightKind(kind), _date(days), digest, version or 1, dates)

    @staticmethod
    def _claims(db: sqlite3.Connection, sql: str, key: tuple[Any, ...]) -> tuple[IndexedClaim, ...]:
        return tuple(
            IndexedClaim(a, b, _date(d), v, w, lo, eo, tok, bool(conf))
            for a, b, d, v, w, lo, eo, tok, conf in db.execute(sql, key)
        )

    def claims_of(self, office: str, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The priority claims ``office``'s record of ``commitment`` made, withdrawn ones included."""
        with self._reading() as db:
            row = db.execute(
                "SELECT seq FROM records WHERE commitment = ? AND office = ?", (commitment, office)
            ).fetchone()
            return () if row is None else self._claims(db, _CLAIMS_BY_LATER, (row[0],))

    def claimed_by(self, office: str, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The active claims of other records to (``office``, ``commitment``)."""
        with self._reading() as db:
            return tuple(c for c in self._claims(db, _CLAIMS_BY_EARLIER, (commitment, office)) if not c.withdrawn)

    def claims_on(self, office: str, *, after: int = 0) -> list[tuple[int, IndexedClaim]]:
        """Active claims naming ``office`` as the earlier office, with claim ids above ``after``.

        What that office's gateway checks and confirms (SPEC.md §2), in chain order.
        """
        sql = (
            _CLAIM_COLUMNS.replace("SELECT ", "SELECT c.id, ", 1)
            + " WHERE c.earlier_office = ? AND c.id > ? AND c.withdrawn_version IS NULL ORDER BY c.id"
        )
        with self._reading() as db:
            rows = db.execute(sql, (office, after)).fetchall()
        return [
            (claim_id, IndexedClaim(a, b, _date(d), v, w, lo, eo, tok, bool(conf)))
            for claim_id, a, b, d, v, w, lo, eo, tok, conf in rows
        ]

    def summaries(self, nodes: Iterable[tuple[str, bytes]]) -> dict[tuple[str, bytes], IndexedSummary]:
        """Kind, current filing date and published number of each anchored (office, commitment)."""
        wanted = list(dict.fromkeys(nodes))
        out: dict[tuple[str, bytes], IndexedSummary] = {}
        with self._reading() as db:
            for office, c in wanted:
                row = db.execute(
                    "SELECT r.office, r.kind, coalesce((SELECT filing_date FROM versions v WHERE"
                    " v.seq = r.seq ORDER BY version DESC LIMIT 1), r.filing_date),"
                    " (SELECT number FROM publications p WHERE p.seq = r.seq)"
                    " FROM records r WHERE r.commitment = ? AND r.office = ?",
                    (c, office),
                ).fetchone()
                if row is not None:
                    out[(office, c)] = IndexedSummary(c, row[0], IpRightKind(row[1]), _date(row[2]), row[3])
        return out

    def family_graph(
        self, office: str, commitment: bytes, *, max_nodes: int = 100_000
    ) -> tuple[ClaimGraph, dict[tuple[str, str], bool]]:
        """The connected component of (``office``, ``commitment``) in the active claim graph.

        Nodes are (office, commitment) (SPEC.md §2), written :func:`node_id` for
        :mod:`registry.domain.families`. Returns the graph and, per link (later node, earlier node),
        whether the earlier office confirmed it. Links the graph refuses (a second active claim of
        the same pair, a claim closing a cycle: the contract does not forbid them) are left out in
        chain order. Stops growing at ``max_nodes`` members.
        """
        graph = ClaimGraph()
        start = (office, commitment)
        seen = {start}
        frontier = deque([start])
        links: dict[int, tuple[tuple[str, bytes], tuple[str, bytes], int, bool]] = {}
        with self._reading() as db:
            while frontier and len(seen) < max_nodes:
                node_office, node = frontier.popleft()
                rows = db.execute(_FAMILY_LINKS, (node, node_office, node, node_office))
                for claim_id, later, earlier, days, _v, _w, later_office, earlier_office, _tok, conf in rows:
                    a, b = (later_office, later), (earlier_office, earlier)
                    links[claim_id] = (a, b, days, bool(conf))
                    for n in (a, b):
                        if n not in seen and len(seen) < max_nodes:
                            seen.add(n)
                            frontier.append(n)
        confirmed: dict[tuple[str, str], bool] = {}
        for claim_id in sorted(links):
            a, b, days, conf = links[claim_id]
            if a in seen and b in seen:
                try:
                    graph.add_claim(node_id(*a), node_id(*b), _date(days))
                except errors.InvalidClaim:
                    continue
                confirmed[(node_id(*a), node_id(*b))] = conf
        return graph, confirmed

    def conflicts(self, commitment: bytes) -> tuple[IndexedConflict, ...]:
        """Later anchors of ``commitment`` by an office that already held it, in chain order."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT c.office, a.root, c.entry_index, c.block_number, a.tx_hash FROM conflicts c"
                " JOIN anchors a ON a.position = c.anchor WHERE c.commitment = ? ORDER BY c.id",
                (commitment,),
            ).fetchall()
        return tuple(IndexedConflict(commitment, o, r, i, b, tx) for o, r, i, b, tx in rows)

    def refused_batches(self) -> tuple[RefusedBatch, ...]:
        """Batches the index refused, in chain order, with the reason."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT root, office, block_number, tx_hash, refused FROM anchors WHERE refused IS NOT NULL"
                " ORDER BY position"
            ).fetchall()
        return tuple(RefusedBatch(root or _ZERO32, *rest) for root, *rest in rows)

    def refusals(self) -> tuple[Refusal, ...]:
        """Claims, amendments, reports and publications refused for their sender, in chain order."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, commitment, event, block_number, tx_hash, reason FROM refusals ORDER BY position"
            ).fetchall()
        return tuple(Refusal(*row) for row in rows)

    def reports(self, office: str, commitment: bytes) -> tuple[IndexedReport, ...]:
        """The reports ``office`` anchored for its application ``commitment``, in chain order."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, commitment, report_digest, kind, issued, block_number, tx_hash FROM reports"
                " WHERE office = ? AND commitment = ? ORDER BY position",
                (office, commitment),
            ).fetchall()
        return tuple(IndexedReport(report_id(o, d), o, c, d, k, _date(i), b, tx) for o, c, d, k, i, b, tx in rows)

    def offices(self) -> list[IndexedOffice]:
        """The office directory as the events built it, sorted by code."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, block_number, tx_hash, event, signer, endpoint FROM office_events ORDER BY position"
            ).fetchall()
        state: dict[str, tuple[str, bool, list[OfficeChange]]] = {}
        endpoints: dict[str, str | None] = {}
        for code, block, tx_hash, event, signer, endpoint in rows:
            if event == "endpointSet":
                endpoints[code] = endpoint or None
                continue
            current_signer, active, history = state.get(code, ("", False, []))
            history.append(OfficeChange(block, tx_hash, event, signer))
            if event == "admitted":
                current_signer, active = signer, True
            elif event == "suspended":
                active = False
            elif event == "reinstated":
                active = True
            elif event == "keyRotated":
                current_signer = signer
            state[code] = (current_signer, active, history)
        return [IndexedOffice(code, s, a, tuple(h), endpoints.get(code)) for code, (s, a, h) in sorted(state.items())]

    def stats(self) -> IndexStats:
        """Totals: filings (records), batches, conflicts, refused batches, last block."""
        with self._reading() as db:
            # seq is dense (rows only ever leave from the top), so max(seq) counts without a scan.
            filings = db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
            batches, stored, refused = db.execute(
                "SELECT count(*) FILTER (WHERE root IS NOT NULL AND refused IS NULL),"
                " count(*) FILTER (WHERE root IS NULL AND refused IS NULL),"
                " count(*) FILTER (WHERE refused IS NOT NULL) FROM anchors"
            ).fetchone()
            claims = db.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]
            conflicts = db.execute("SELECT count(*) FROM conflicts").fetchone()[0]
            last = self._meta_last(db)[0]
        return IndexStats(filings, batches, stored, claims, conflicts, refused, last)

    def size_bytes(self) -> int:
        """Bytes of the database in use (pages holding data; free pages and the WAL not counted)."""
        with self._reading() as db:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in key order: two indexes of the same chain compare equal."""
        with self._reading() as db:
            out: dict[str, list[tuple[Any, ...]]] = {}
            for table in TABLES:
                columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                order = ", ".join(columns)
                out[table] = [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY {order}")]  # noqa: S608
            return out


class _Step:
    """Applies the events of one sync step inside its transaction (first anchored wins, per office)."""

    def __init__(
        self,
        index: Index,
        executor: Executor | None = None,
        batch_logs: Sequence[Any] = (),
        days: dict[int, _dt.date] | None = None,
    ) -> None:
        self.index = index
        # Batches checked in ``executor`` ahead of their turn, in chain order (None: checked here).
        self._executor = executor
        self._batch_logs = iter(batch_logs) if executor is not None else iter(())
        self._ahead: deque[tuple[bytes, bytes, Future[_CheckedBatch]]] = deque()
        # The UTC day of each block with events: what a date in it may be at most (SPEC.md §2).
        self._days = days or {}
        # Counted apart and added to the sync's totals only once the step has committed.
        self.counts = _Counts()
        # Only what the index's tree cache can keep: a step catching up on a long chain covers
        # thousands of batches, and holding every tree (and every 120 KB input) grew the process
        # by hundreds of megabytes that Python's allocator never returned.
        self.trees: deque[tuple[bytes, _Tree]] = deque(maxlen=_TREE_CACHE)
        self._transaction: tuple[bytes, TransactionRef | None] | None = None

    def apply(self, db: sqlite3.Connection, block: int, n: int, log: Any) -> None:
        topics = log["topics"]
        spec = _EVENTS.get(bytes(topics[0])) if topics else None
        self.counts.events += 1
        if spec is None:
            return
        try:
            args = _decode_event(spec, topics, bytes(log["data"]))
        except Exception:
            return  # not the registry's event after all (same topic, other shape): nothing to keep
        position = _position(block, n)
        tx_hash = bytes(log["transactionHash"])
        handler = getattr(self, "_on_" + spec.name)
        handler(db, block, position, tx_hash, log, args)

    # Checks of chain data (SPEC.md §2 "Chain data is input") ──────────────────────────────

    def _plausible(self, block: int, days: int) -> bool:
        """Whether a uint32 day count read in ``block`` is a plausible date for it."""
        day = self._days.get(block)
        if day is None:
            return False
        latest = day.toordinal() - _EPOCH_ORDINAL + 1
        if not 0 < days <= latest:
            return False  # also keeps _date() from overflowing on 0xFFFFFFFF
        return is_plausible_date(_date(days), day)

    def _refuse(
        self,
        db: sqlite3.Connection,
        block: int,
        position: int,
        tx: bytes,
        office: str,
        commitment: bytes,
        event: str,
        reason: str,
    ) -> None:
        db.execute(
            "INSERT INTO refusals (position, block_number, tx_hash, office, commitment, event, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, block, tx, office, commitment, event, reason),
        )
        self.counts.refused += 1

    # Offices ──────────────────────────────────────────────────────────────────────────────

    def _office_event(
        self,
        db: sqlite3.Connection,
        block: int,
        position: int,
        tx: bytes,
        office: bytes,
        event: str,
        signer: Any,
        endpoint: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO office_events (position, block_number, tx_hash, office, event, signer, endpoint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, block, tx, _office(office), event, to_checksum_address(signer) if signer else None, endpoint),
        )

    def _on_OfficeAdmitted(  # noqa: N802 - named after the event
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "admitted", args["signer"])

    def _on_OfficeSuspended(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "suspended", None)

    def _on_OfficeReinstated(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "reinstated", None)

    def _on_OfficeKeyRotated(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "keyRotated", args["newSigner"])

    def _on_OfficeEndpointSet(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        endpoint = str(args["endpoint"])
        # Only a URL the gateways may call (SPEC.md §7) is kept; anything else reads as "none".
        usable = len(endpoint) <= _MAX_ENDPOINT and endpoint.isascii() and endpoint.startswith(("http://", "https://"))
        self._office_event(db, block, position, tx, args["office"], "endpointSet", None, endpoint if usable else "")

    # Anchoring ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _next_seq(db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]) + 1

    def _on_FilingAnchored(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office = _office(args["office"])
        commitment = bytes(args["commitment"])
        kind, days = int(args["ipRightKind"]), int(args["filingDate"])
        refused: str | None = None
        if not 1 <= kind <= len(IpRightKind):
            refused = f"kind {kind} is not 1 (patent) … 4 (trademark)"
        elif not self._plausible(block, days):
            refused = f"filing day {days} is not a plausible date for block {block}"
        if refused is not None:
            db.execute(
                "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq,"
                " refused) VALUES (?, ?, ?, ?, ?, NULL, 1, NULL, ?)",
                (position, block, tx, int(log["transactionIndex"]), office, refused),
            )
            self.counts.refused += 1
            return
        seq = self._next_seq(db)
        inserted = db.execute(
            "INSERT OR IGNORE INTO records (seq, office, commitment, kind, filing_date, document_digest, anchor,"
            " entry_index) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (seq, office, commitment, kind, days, _digest(args["documentDigest"]), position),
        ).rowcount
        db.execute(
            "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq, refused)"
            " VALUES (?, ?, ?, ?, ?, NULL, 1, ?, NULL)",
            (position, block, tx, int(log["transactionIndex"]), office, seq if inserted else None),
        )
        if inserted:
            self.counts.filings += 1
        else:
            self._conflicts(db, [(office, commitment, position, None, block)])

    def _conflicts(self, db: sqlite3.Connection, rows: list[tuple[str, bytes, int, int | None, int]]) -> None:
        db.executemany(
            "INSERT INTO conflicts (office, commitment, anchor, entry_index, block_number) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        self.counts.conflicts += len(rows)

    def _transaction_input(self, tx_hash: bytes, log: Any) -> bytes | None:
        block_hash = bytes(log["blockHash"])
        # A transaction's logs are consecutive: remembering the last one read is enough.
        if self._transaction is None or self._transaction[0] != tx_hash:
            self._transaction = (
                tx_hash,
                self.index._chain.transaction_at(int(log["blockNumber"]), int(log["transactionIndex"])),
            )
        tx = self._transaction[1]
        if tx is None or tx.transaction_hash != tx_hash or tx.block_hash != block_hash:
            raise _ChainMoved  # the log's transaction is no longer where the log said
        if (tx.to or "").lower() != self.index._address.lower():
            return None
        return tx.input

    def _on_BatchAnchored(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        root, office_code, count = bytes(args["root"]), args["office"], int(args["count"])
        office = _office(office_code)
        checked = self._checked(tx, log, root, office_code, count, self._days.get(block))
        if checked.reason is not None:
            db.execute(
                "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq,"
                " refused) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    position,
                    block,
                    tx,
                    int(log["transactionIndex"]),
                    office,
                    root,
                    count if 0 <= count < _MAX_COUNT else -1,
                    checked.reason,
                ),
            )
            self.counts.refused += 1
            return
        entries = checked.rows
        before = self._next_seq(db) - 1
        cursor = db.executemany(
            "INSERT OR IGNORE INTO records (office, commitment, kind, filing_date, document_digest, anchor,"
            " entry_index) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (office, commitment, kind, days, digest, position, i)
                for i, (commitment, kind, days, digest, _claims) in enumerate(entries)
            ],
        )
        # Every entry won (the common case): entry i is record before + 1 + i.
        seqs: dict[int, int] | None = None
        if cursor.rowcount != len(entries):
            # Rare path: the office already held some commitments (or one repeats within the
            # batch). The rows this batch won are exactly the new seqs; the rest are its conflicts.
            seqs = {i: seq for seq, i in db.execute("SELECT seq, entry_index FROM records WHERE seq > ?", (before,))}
            self._conflicts(
                db,
                [(office, e[0], position, i, block) for i, e in enumerate(entries) if i not in seqs],
            )
        claims = [
            (before + 1 + i if seqs is None else seqs[i], earlier_office, earlier, days, token, block)
            for i, e in enumerate(entries)
            if e[4] and (seqs is None or i in seqs)
            for earlier_office, earlier, days, token in e[4]
        ]
        if claims:
            db.executemany(
                "INSERT INTO claims (later_seq, earlier_office, earlier, claimed_date, token, version, block_number)"
                " VALUES (?, ?, ?, ?, ?, 1, ?)",
                claims,
            )
        won = len(entries) if seqs is None else len(seqs)
        db.execute(
            "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq, refused)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (position, block, tx, int(log["transactionIndex"]), office, root, count, before + 1 if won else None),
        )
        self.counts.filings += won
        self.counts.batches += 1
        if checked.tree is not None:
            self.trees.append((root, checked.tree))

    def _checked(
        self, tx: bytes, log: Any, root: bytes, office_code: bytes, count: int, block_day: _dt.date | None
    ) -> _CheckedBatch:
        """The batch of ``log`` checked: by the executor when it was sent there ahead, else here.

        check_batch reports a bad batch as a reason, never by raising: a failure here is the
        executor's (a pool shut down or broken), and the step goes on checking in this process.
        """
        if self._executor is not None:
            try:
                self._send_ahead(self._executor)
                if self._ahead and self._ahead[0][:2] == (tx, root):
                    return self._ahead.popleft()[2].result()
            except (_ChainMoved, errors.RegistryError):
                raise  # the chain's answers, not the executor's: as without one
            except Exception:  # whatever broke the executor, the check itself can run here
                self._executor = None
                self._ahead.clear()
        return check_batch(self._transaction_input(tx, log), root, office_code, count, block_day=block_day)

    def _send_ahead(self, executor: Executor) -> None:
        while len(self._ahead) < _CHECK_AHEAD:
            ahead = next(self._batch_logs, None)
            if ahead is None:
                return
            args = _decode_event(_EVENTS[bytes(ahead["topics"][0])], ahead["topics"], bytes(ahead["data"]))
            ahead_tx = bytes(ahead["transactionHash"])
            data = self._transaction_input(ahead_tx, ahead)
            future = executor.submit(
                check_batch,
                data,
                bytes(args["root"]),
                args["office"],
                int(args["count"]),
                keep_tree=False,
                block_day=self._days.get(int(ahead["blockNumber"])),
            )
            self._ahead.append((ahead_tx, bytes(args["root"]), future))

    # After anchoring ───────────────────────────────────────────────────────────────────────

    @staticmethod
    def _at_winner(db: sqlite3.Connection, office: str, commitment: bytes, batch_root: bytes) -> int | None:
        """``office``'s record seq when (``batch_root``, ``commitment``) is where it anchored it."""
        row = db.execute(
            "SELECT r.seq, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
            " WHERE r.commitment = ? AND r.office = ?",
            (commitment, office),
        ).fetchone()
        return int(row[0]) if row is not None and (row[1] or _ZERO32) == batch_root else None

    @staticmethod
    def _current(db: sqlite3.Connection, seq: int) -> tuple[int, bytes | None]:
        row = db.execute(
            "SELECT filing_date, document_digest FROM versions WHERE seq = ? ORDER BY version DESC LIMIT 1", (seq,)
        ).fetchone()
        if row is None:
            row = db.execute("SELECT filing_date, document_digest FROM records WHERE seq = ?", (seq,)).fetchone()
        return int(row[0]), row[1]

    @staticmethod
    def _version(
        db: sqlite3.Connection,
        seq: int,
        version: int,
        change: str,
        filing_date: int,
        digest: bytes | None,
        block: int,
        position: int,
        tx: bytes,
    ) -> bool:
        """Insert a version; False when the ledger already gave one that number (then it is refused)."""
        inserted = db.execute(
            "INSERT OR IGNORE INTO versions (seq, version, change, filing_date, document_digest, block_number,"
            " position, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, version, change, filing_date, digest, block, position, tx),
        ).rowcount
        return bool(inserted)

    def _on_FilingAmended(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = _office(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        days = int(args["filingDate"])
        if not self._plausible(block, days):
            reason = f"amended filing day {days} is not a plausible date for block {block}"
            self._refuse(db, block, position, tx, office, commitment, "FilingAmended", reason)
            return
        digest = _digest(args["documentDigest"])
        if not self._version(db, seq, int(args["version"]), "amended", days, digest, block, position, tx):
            self._refuse(db, block, position, tx, office, commitment, "FilingAmended", "repeats a version number")

    def _on_PriorityClaimAdded(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = _office(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version, days = int(args["version"]), int(args["claimedFilingDate"])
        earlier_office = bytes(args["earlierOffice"])
        reason: str | None = None
        if not (len(earlier_office) == 2 and earlier_office.isalpha() and earlier_office.isupper()):
            reason = f"the claim names no office ({earlier_office.hex()})"
        elif not self._plausible(block, days):
            reason = f"claimed day {days} is not a plausible date for block {block}"
        elif version > 1 and not self._version(
            db, seq, version, "claimAdded", *self._current(db, seq), block, position, tx
        ):
            reason = "repeats a version number"
        if reason is not None:
            self._refuse(db, block, position, tx, office, commitment, "PriorityClaimAdded", reason)
            return
        db.execute(
            "INSERT INTO claims (later_seq, earlier_office, earlier, claimed_date, token, version, block_number)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                seq,
                earlier_office.decode("ascii"),
                bytes(args["earlierCommitment"]),
                days,
                bytes(args["claimToken"]),
                version,
                block,
            ),
        )

    def _on_PriorityClaimWithdrawn(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = _office(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version = int(args["version"])
        if not self._version(db, seq, version, "claimWithdrawn", *self._current(db, seq), block, position, tx):
            self._refuse(db, block, position, tx, office, commitment, "PriorityClaimWithdrawn", "repeats a version")
            return
        # The newest active claim of that pair: a claim may be added again after a withdrawal.
        db.execute(
            "UPDATE claims SET withdrawn_version = ?, withdrawn_block = ? WHERE id = (SELECT id FROM claims"
            " WHERE later_seq = ? AND earlier = ? AND earlier_office = ? AND withdrawn_version IS NULL"
            " ORDER BY id DESC LIMIT 1)",
            (version, block, seq, bytes(args["earlierCommitment"]), _office(args["earlierOffice"])),
        )

    def _on_PriorityClaimConfirmed(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        # Only the earlier office can emit its own code here (the contract takes it from the
        # sender's key), so a row speaks for that office alone: nothing else to check.
        db.execute(
            "INSERT OR IGNORE INTO confirmations (office, earlier, later_office, later, block_number, position,"
            " tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                _office(args["office"]),
                bytes(args["earlierCommitment"]),
                _office(args["laterOffice"]),
                bytes(args["laterCommitment"]),
                block,
                position,
                tx,
            ),
        )

    def _on_ReportAnchored(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = _office(args["office"]), bytes(args["commitment"])
        kind, issued = int(args["kind"]), int(args["issued"])
        if not 1 <= kind <= 5 or not self._plausible(block, issued):
            reason = f"report kind {kind} or issue day {issued} out of range"
            self._refuse(db, block, position, tx, office, commitment, "ReportAnchored", reason)
            return
        inserted = db.execute(
            "INSERT OR IGNORE INTO reports (office, report_digest, commitment, kind, issued, block_number, position,"
            " tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (office, bytes(args["reportDigest"]), commitment, kind, issued, block, position, tx),
        ).rowcount
        if not inserted:
            self._refuse(db, block, position, tx, office, commitment, "ReportAnchored", "repeats a report digest")

    def _on_FilingPublished(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = _office(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        number = str(args["canonicalNumber"])
        if len(number) > _MAX_NUMBER or not number.isascii() or not number.isprintable():
            self._refuse(db, block, position, tx, office, commitment, "FilingPublished", "the number is not canonical")
            return
        # The access secret is public once revealed, but the index has no use for it.
        db.execute(
            "INSERT OR IGNORE INTO publications (seq, number_office, number, block_number, position, tx_hash)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (seq, _office(args["numberOffice"]), number, block, position, tx),
        )
