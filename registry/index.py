"""The index: a read model of the registry that follows the chain into SQLite.

DESIGN.md property 3 — "the ledger is the only source of truth": everything here is rebuilt from
chain data alone, the contract's events (``eth_getLogs``) and, for batches, the transaction input
that carries the packed entries (SPEC.md §2). Deleting the database loses nothing; :meth:`Index.sync`
on an empty file gives the same rows, table for table.

What the index decides, and where the rule comes from:

- **Batches are checked, not trusted.** The contract stores a batch's root without recomputing it.
  The index decodes the calldata (:func:`registry.entries.decode_entries`), rebuilds the
  StandardMerkleTree (:mod:`registry.merkle`) and refuses the batch when the root differs, or when
  the entries cannot be read from the transaction input at all (sent through another contract).
  A refused batch is recorded with its reason; its entries are not records. Only that office's
  entries are affected (SPEC.md §2).
- **First anchored wins** (DESIGN.md property 4, SPEC.md §2 "Uniqueness"), in chain order: block
  number, then position of the event in the block, then entry order within a batch. A later anchor
  of a commitment the index already holds is a *conflict* (table ``conflicts``), never a record.
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
                  one row per FilingAnchored / BatchAnchored; `refused` says why a batch was
                  not accepted
    records       seq (chain order), commitment UNIQUE, office, kind, filing_date, digest,
                  anchor (position), entry_index|NULL          — version 1 as anchored
    versions      (commitment, version), change, filing_date, digest, block, position, tx
    claims        id (chain order), later_seq (the claiming record), earlier, claimed_date,
                  version, block, withdrawn_version, withdrawn_block
    conflicts     id, commitment, office, anchor (position), entry_index|NULL, block
    publications  commitment, number_office, number, block, position, tx
    office_events position, block, tx, office, event, signer

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
from registry.chain import Chain, TransactionRef
from registry.compile import load_artifact
from registry.entries import (
    CLAIM_SIZE,
    DIGEST_PRESENT,
    DIGEST_SIZE,
    MAX_CLAIMS,
    ClaimRef,
    Entry,
    decode_entries,
    encode_entry,
)
from registry.families import ClaimGraph
from registry.merkle import MerkleTree
from registry.types import EPOCH, IpRightKind

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
    "IndexedSummary",
    "IndexedVersion",
    "OfficeChange",
    "RefusedBatch",
    "RegisteredFacts",
    "SyncReport",
    "check_batch",
    "discard_outdated",
]

#: Bumped whenever the tables change; an index of another version must be deleted and rebuilt.
SCHEMA_VERSION: Final = 2
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
    """A priority claim of ``later`` to ``earlier``, added in ``version`` of ``later``."""

    later: bytes
    earlier: bytes
    claimed_filing_date: _dt.date
    version: int
    withdrawn_version: int | None

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
_ANCHOR_BATCH = keccak(text="anchorBatch(bytes32,uint32,bytes)")[:4]
_ANCHOR_BATCH_BY_SIG = keccak(text="anchorBatchBySig(bytes2,bytes32,uint32,bytes,uint256,bytes)")[:4]


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
        if selector == _ANCHOR_BATCH:
            sent_root, _count, entries = abi_decode(["bytes32", "uint32", "bytes"], body)
            sent_office = office
        elif selector == _ANCHOR_BATCH_BY_SIG:
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


#: One entry as the index writes it: commitment, kind, filing day, digest, claims (earlier, day).
EntryRow = tuple[bytes, int, int, bytes | None, tuple[tuple[bytes, int], ...]]


class _CheckedBatch(NamedTuple):
    """A batch's calldata read and checked against its event (SPEC.md §2).

    ``reason`` says why it is refused (then ``rows`` is empty); ``tree`` is kept for the proof
    cache when the check ran in this process.
    """

    reason: str | None
    rows: list[EntryRow]
    tree: _Tree | None


def check_batch(
    data: bytes | None, root: bytes, office_code: bytes, count: int, *, keep_tree: bool = True
) -> _CheckedBatch:
    """Decode the entries a batch transaction's input carries and check them against its event.

    Pure (no node, no database), so that a process pool can run it for many batches at once:
    the input must be a call of the registry's ``anchorBatch``/``anchorBatchBySig`` for this root
    and office, the entries must decode strictly, their number must be the event's ``count`` and
    their StandardMerkleTree root the anchored root. ``data`` None: not sent to the registry.
    """
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
            tuple([(c.earlier_commitment, _days(c.claimed_filing_date)) for c in e.claims]),
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
    commitment BLOB NOT NULL UNIQUE,
    office TEXT NOT NULL,
    kind INTEGER NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    anchor INTEGER NOT NULL,
    entry_index INTEGER
);
CREATE TABLE IF NOT EXISTS versions (
    commitment BLOB NOT NULL,
    version INTEGER NOT NULL,
    change TEXT NOT NULL,
    filing_date INTEGER NOT NULL,
    document_digest BLOB,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    PRIMARY KEY (commitment, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY,
    later_seq INTEGER NOT NULL,
    earlier BLOB NOT NULL,
    claimed_date INTEGER NOT NULL,
    version INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    withdrawn_version INTEGER,
    withdrawn_block INTEGER
);
CREATE INDEX IF NOT EXISTS claims_later ON claims (later_seq);
CREATE INDEX IF NOT EXISTS claims_earlier ON claims (earlier);
CREATE INDEX IF NOT EXISTS claims_withdrawn ON claims (withdrawn_block) WHERE withdrawn_block IS NOT NULL;
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY,
    commitment BLOB NOT NULL,
    office TEXT NOT NULL,
    anchor INTEGER NOT NULL,
    entry_index INTEGER,
    block_number INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conflicts_commitment ON conflicts (commitment);
CREATE TABLE IF NOT EXISTS publications (
    commitment BLOB PRIMARY KEY,
    number_office TEXT NOT NULL,
    number TEXT NOT NULL,
    block_number INTEGER NOT NULL,
    position INTEGER NOT NULL,
    tx_hash BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS office_events (
    position INTEGER PRIMARY KEY,
    block_number INTEGER NOT NULL,
    tx_hash BLOB NOT NULL,
    office TEXT NOT NULL,
    event TEXT NOT NULL,
    signer TEXT
);
"""

_CLAIMS_BY_LATER = (
    "SELECT r.commitment, c.earlier, c.claimed_date, c.version, c.withdrawn_version FROM claims c"
    " JOIN records r ON r.seq = c.later_seq WHERE c.later_seq = ? ORDER BY c.id"
)
_CLAIMS_BY_EARLIER = (
    "SELECT r.commitment, c.earlier, c.claimed_date, c.version, c.withdrawn_version FROM claims c"
    " JOIN records r ON r.seq = c.later_seq WHERE c.earlier = ? ORDER BY c.id"
)

# Verification's read (Index.facts): the record, its newest later version if any, and the dates of
# its active claims in chain order (the inner ORDER BY feeds group_concat in that order).
_FACTS = """
SELECT r.office, r.kind, r.filing_date, r.document_digest, v.version, v.filing_date, v.document_digest,
       (SELECT group_concat(claimed_date) FROM (SELECT claimed_date FROM claims
         WHERE later_seq = r.seq AND withdrawn_version IS NULL ORDER BY id))
FROM records r
LEFT JOIN versions v ON v.commitment = r.commitment
 AND v.version = (SELECT max(version) FROM versions WHERE commitment = r.commitment)
WHERE r.commitment = ?
"""

#: Every table of the index, in the order a comparison lists them.
TABLES: Final = (
    "meta",
    "blocks",
    "anchors",
    "records",
    "versions",
    "claims",
    "conflicts",
    "publications",
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
            db.execute("DELETE FROM publications WHERE block_number > ?", (ancestor,))
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
        step = _Step(self, executor, [log for log in logs if _is_batch(log)])
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
        for later_seq, earlier, days in db.execute(
            "SELECT later_seq, earlier, claimed_date FROM claims WHERE later_seq BETWEEN ? AND ? AND version = 1"
            " ORDER BY id",
            (first_seq, last_seq),
        ):
            claims.setdefault(later_seq, []).append(ClaimRef(earlier, _date(days)))
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

    def contains(self, commitment: bytes) -> bool:
        """Whether ``commitment`` is anchored (first anchor, accepted batch): the API's 409 check."""
        with self._reading() as db:
            return db.execute("SELECT 1 FROM records WHERE commitment = ?", (commitment,)).fetchone() is not None

    def record(self, commitment: bytes) -> IndexedRecord | None:
        """The record anchored for ``commitment`` with its versions, claims both ways and proof."""
        with self._reading() as db:
            row = db.execute(
                "SELECT r.seq, r.office, r.kind, r.filing_date, r.document_digest, r.anchor, r.entry_index,"
                " a.block_number, a.tx_hash, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
                " WHERE r.commitment = ?",
                (commitment,),
            ).fetchone()
            if row is None:
                return None
            seq, office, kind, days, digest, anchor, entry_index, block, tx_hash, root = row
            versions = [IndexedVersion(1, _date(days), digest, block, tx_hash, "anchored")]
            versions.extend(
                IndexedVersion(v, _date(d), dg, b, tx, change)
                for v, d, dg, b, tx, change in db.execute(
                    "SELECT version, filing_date, document_digest, block_number, tx_hash, change FROM versions"
                    " WHERE commitment = ? ORDER BY version",
                    (commitment,),
                )
            )
            claims = self._claims(db, _CLAIMS_BY_LATER, seq)
            claimed_by = tuple(
                dict.fromkeys(c.later for c in self._claims(db, _CLAIMS_BY_EARLIER, commitment) if not c.withdrawn)
            )
            published = db.execute(
                "SELECT number_office, number FROM publications WHERE commitment = ?", (commitment,)
            ).fetchone()
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
            claimed_by=claimed_by,
            inclusion=inclusion,
            published_number=published[1] if published else None,
            number_office=published[0] if published else None,
            block_number=block,
            transaction_hash=tx_hash,
        )

    def facts(self, commitment: bytes) -> RegisteredFacts | None:
        """The current version of ``commitment``'s record and its active claim dates, for verification.

        One statement (a statement reads one snapshot, so no read transaction is opened around it)
        and no Merkle tree: :meth:`record` also rebuilds the batch tree to attach an inclusion
        proof, which costs milliseconds and a verification never reads.
        """
        with self._reading(snapshot=False) as db:
            row = db.execute(_FACTS, (commitment,)).fetchone()
        if row is None:
            return None
        office, kind, days, digest, version, amended_days, amended_digest, claimed = row
        if version is not None:
            days, digest = amended_days, amended_digest
        dates = tuple(_date(int(d)) for d in claimed.split(",")) if claimed else ()
        return RegisteredFacts(commitment, office, IpRightKind(kind), _date(days), digest, version or 1, dates)

    @staticmethod
    def _claims(db: sqlite3.Connection, sql: str, key: int | bytes) -> tuple[IndexedClaim, ...]:
        return tuple(IndexedClaim(a, b, _date(d), v, w) for a, b, d, v, w in db.execute(sql, (key,)))

    def claims_of(self, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The priority claims ``commitment`` made, withdrawn ones included, in chain order."""
        with self._reading() as db:
            row = db.execute("SELECT seq FROM records WHERE commitment = ?", (commitment,)).fetchone()
            return () if row is None else self._claims(db, _CLAIMS_BY_LATER, row[0])

    def claimed_by(self, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The active claims of other records to ``commitment`` (who claims its priority)."""
        with self._reading() as db:
            return tuple(c for c in self._claims(db, _CLAIMS_BY_EARLIER, commitment) if not c.withdrawn)

    def summaries(self, commitments: Iterable[bytes]) -> dict[bytes, IndexedSummary]:
        """Office, kind, current filing date and published number of each anchored commitment."""
        wanted = list(dict.fromkeys(commitments))
        out: dict[bytes, IndexedSummary] = {}
        with self._reading() as db:
            for c in wanted:
                row = db.execute(
                    "SELECT r.office, r.kind, coalesce((SELECT filing_date FROM versions v WHERE"
                    " v.commitment = r.commitment ORDER BY version DESC LIMIT 1), r.filing_date),"
                    " (SELECT number FROM publications p WHERE p.commitment = r.commitment)"
                    " FROM records r WHERE r.commitment = ?",
                    (c,),
                ).fetchone()
                if row is not None:
                    out[c] = IndexedSummary(c, row[0], IpRightKind(row[1]), _date(row[2]), row[3])
        return out

    def family_graph(self, commitment: bytes, *, max_nodes: int = 100_000) -> ClaimGraph:
        """The connected component of ``commitment`` in the active claim graph (DOCDB/INPADOC families).

        Nodes are ``0x`` + hex commitments, as :mod:`registry.families` expects. Links the graph
        refuses (a second active claim of the same pair, a claim closing a cycle: the contract does
        not forbid them) are left out in chain order, so the graph stays what families.py assumes.
        Stops growing at ``max_nodes`` members (a wrongly linked giant family is still shown, cut).
        """
        graph = ClaimGraph()
        seen = {commitment}
        frontier = deque([commitment])
        links: dict[int, tuple[bytes, bytes, int]] = {}
        with self._reading() as db:
            while frontier and len(seen) < max_nodes:
                batch = [frontier.popleft() for _ in range(min(len(frontier), 500))]
                marks = ",".join("?" * len(batch))
                # Only "?" placeholders are formatted in: the values travel as parameters.
                sql = (
                    "SELECT c.id, r.commitment, c.earlier, c.claimed_date FROM claims c"  # noqa: S608
                    " JOIN records r ON r.seq = c.later_seq WHERE c.withdrawn_version IS NULL AND"
                    f" (c.later_seq IN (SELECT seq FROM records WHERE commitment IN ({marks}))"
                    f" OR c.earlier IN ({marks}))"
                )
                for claim_id, later, earlier, days in db.execute(sql, (*batch, *batch)):
                    links[claim_id] = (later, earlier, days)
                    for node in (later, earlier):
                        if node not in seen and len(seen) < max_nodes:
                            seen.add(node)
                            frontier.append(node)
        for claim_id in sorted(links):
            later, earlier, days = links[claim_id]
            if later in seen and earlier in seen:
                try:
                    graph.add_claim("0x" + later.hex(), "0x" + earlier.hex(), _date(days))
                except errors.InvalidClaim:
                    continue
        return graph

    def conflicts(self, commitment: bytes) -> tuple[IndexedConflict, ...]:
        """Later anchors of ``commitment`` that lost to the first one, in chain order."""
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
        return tuple(RefusedBatch(*row) for row in rows)

    def offices(self) -> list[IndexedOffice]:
        """The office directory as the events built it, sorted by code."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, block_number, tx_hash, event, signer FROM office_events ORDER BY position"
            ).fetchall()
        state: dict[str, tuple[str, bool, list[OfficeChange]]] = {}
        for code, block, tx_hash, event, signer in rows:
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
        return [IndexedOffice(code, s, a, tuple(h)) for code, (s, a, h) in sorted(state.items())]

    def stats(self) -> IndexStats:
        """Totals: filings (records), batches, conflicts, refused batches, last block."""
        with self._reading() as db:
            # seq is dense (rows only ever leave from the top), so max(seq) counts without a scan.
            filings = db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
            batches, stored, refused = db.execute(
                "SELECT count(*) FILTER (WHERE root IS NOT NULL AND refused IS NULL),"
                " count(*) FILTER (WHERE root IS NULL), count(*) FILTER (WHERE refused IS NOT NULL) FROM anchors"
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
    """Applies the events of one sync step inside its transaction (first anchored wins)."""

    def __init__(self, index: Index, executor: Executor | None = None, batch_logs: Sequence[Any] = ()) -> None:
        self.index = index
        # Batches checked in ``executor`` ahead of their turn, in chain order (None: checked here).
        self._executor = executor
        self._batch_logs = iter(batch_logs) if executor is not None else iter(())
        self._ahead: deque[tuple[bytes, bytes, Future[_CheckedBatch]]] = deque()
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
        args = _decode_event(spec, topics, bytes(log["data"]))
        position = _position(block, n)
        tx_hash = bytes(log["transactionHash"])
        handler = getattr(self, "_on_" + spec.name)
        handler(db, block, position, tx_hash, log, args)

    # Offices ──────────────────────────────────────────────────────────────────────────────

    def _office_event(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, office: bytes, event: str, signer: Any
    ) -> None:
        db.execute(
            "INSERT INTO office_events (position, block_number, tx_hash, office, event, signer)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (position, block, tx, _office(office), event, to_checksum_address(signer) if signer else None),
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

    # Anchoring ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _next_seq(db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]) + 1

    def _on_FilingAnchored(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office = _office(args["office"])
        commitment = bytes(args["commitment"])
        seq = self._next_seq(db)
        inserted = db.execute(
            "INSERT OR IGNORE INTO records (seq, commitment, office, kind, filing_date, document_digest, anchor,"
            " entry_index) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                seq,
                commitment,
                office,
                args["ipRightKind"],
                args["filingDate"],
                _digest(args["documentDigest"]),
                position,
            ),
        ).rowcount
        db.execute(
            "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq, refused)"
            " VALUES (?, ?, ?, ?, ?, NULL, 1, ?, NULL)",
            (position, block, tx, int(log["transactionIndex"]), office, seq if inserted else None),
        )
        if inserted:
            self.counts.filings += 1
        else:
            self._conflicts(db, [(commitment, office, position, None, block)])

    def _conflicts(self, db: sqlite3.Connection, rows: list[tuple[bytes, str, int, int | None, int]]) -> None:
        db.executemany(
            "INSERT INTO conflicts (commitment, office, anchor, entry_index, block_number) VALUES (?, ?, ?, ?, ?)",
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
        checked = self._checked(tx, log, root, office_code, count)
        if checked.reason is not None:
            db.execute(
                "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq,"
                " refused) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (position, block, tx, int(log["transactionIndex"]), office, root, count, checked.reason),
            )
            self.counts.refused += 1
            return
        entries = checked.rows
        before = self._next_seq(db) - 1
        cursor = db.executemany(
            "INSERT OR IGNORE INTO records (commitment, office, kind, filing_date, document_digest, anchor,"
            " entry_index) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (commitment, office, kind, days, digest, position, i)
                for i, (commitment, kind, days, digest, _claims) in enumerate(entries)
            ],
        )
        # Every entry won (the common case): entry i is record before + 1 + i.
        seqs: dict[int, int] | None = None
        if cursor.rowcount != len(entries):
            # Rare path: some commitments were already held (or repeat within the batch). The rows
            # this batch won are exactly the new seqs; the rest are conflicts.
            seqs = {i: seq for seq, i in db.execute("SELECT seq, entry_index FROM records WHERE seq > ?", (before,))}
            self._conflicts(
                db,
                [(e[0], office, position, i, block) for i, e in enumerate(entries) if i not in seqs],
            )
        claims = [
            (before + 1 + i if seqs is None else seqs[i], earlier, days, block)
            for i, e in enumerate(entries)
            if e[4] and (seqs is None or i in seqs)
            for earlier, days in e[4]
        ]
        if claims:
            db.executemany(
                "INSERT INTO claims (later_seq, earlier, claimed_date, version, block_number) VALUES (?, ?, ?, 1, ?)",
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

    def _checked(self, tx: bytes, log: Any, root: bytes, office_code: bytes, count: int) -> _CheckedBatch:
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
        return check_batch(self._transaction_input(tx, log), root, office_code, count)

    def _send_ahead(self, executor: Executor) -> None:
        while len(self._ahead) < _CHECK_AHEAD:
            ahead = next(self._batch_logs, None)
            if ahead is None:
                return
            args = _decode_event(_EVENTS[bytes(ahead["topics"][0])], ahead["topics"], bytes(ahead["data"]))
            ahead_tx = bytes(ahead["transactionHash"])
            data = self._transaction_input(ahead_tx, ahead)
            future = executor.submit(
                check_batch, data, bytes(args["root"]), args["office"], int(args["count"]), keep_tree=False
            )
            self._ahead.append((ahead_tx, bytes(args["root"]), future))

    # After anchoring ───────────────────────────────────────────────────────────────────────

    @staticmethod
    def _at_winner(db: sqlite3.Connection, commitment: bytes, batch_root: bytes) -> int | None:
        """The winning record's seq when (``batch_root``, ``commitment``) is where it was anchored."""
        row = db.execute(
            "SELECT r.seq, a.root FROM records r JOIN anchors a ON a.position = r.anchor WHERE r.commitment = ?",
            (commitment,),
        ).fetchone()
        return int(row[0]) if row is not None and (row[1] or _ZERO32) == batch_root else None

    @staticmethod
    def _current(db: sqlite3.Connection, commitment: bytes) -> tuple[int, bytes | None]:
        row = db.execute(
            "SELECT filing_date, document_digest FROM versions WHERE commitment = ? ORDER BY version DESC LIMIT 1",
            (commitment,),
        ).fetchone()
        if row is None:
            row = db.execute(
                "SELECT filing_date, document_digest FROM records WHERE commitment = ?", (commitment,)
            ).fetchone()
        return int(row[0]), row[1]

    @staticmethod
    def _version(
        db: sqlite3.Connection,
        commitment: bytes,
        version: int,
        change: str,
        filing_date: int,
        digest: bytes | None,
        block: int,
        position: int,
        tx: bytes,
    ) -> None:
        try:
            db.execute(
                "INSERT INTO versions (commitment, version, change, filing_date, document_digest, block_number,"
                " position, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (commitment, version, change, filing_date, digest, block, position, tx),
            )
        except sqlite3.IntegrityError as exc:
            raise errors.IndexInconsistent(
                f"version {version} of 0x{commitment.hex()} appears twice on the ledger"
            ) from exc

    def _on_FilingAmended(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        commitment = bytes(args["commitment"])
        if self._at_winner(db, commitment, bytes(args["batchRoot"])) is None:
            return
        self._version(
            db,
            commitment,
            args["version"],
            "amended",
            args["filingDate"],
            _digest(args["documentDigest"]),
            block,
            position,
            tx,
        )

    def _on_PriorityClaimAdded(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        commitment = bytes(args["commitment"])
        seq = self._at_winner(db, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version = int(args["version"])
        db.execute(
            "INSERT INTO claims (later_seq, earlier, claimed_date, version, block_number) VALUES (?, ?, ?, ?, ?)",
            (seq, bytes(args["earlierCommitment"]), args["claimedFilingDate"], version, block),
        )
        if version > 1:  # version 1: a claim of a stored filing as anchored, part of that version
            self._version(db, commitment, version, "claimAdded", *self._current(db, commitment), block, position, tx)

    def _on_PriorityClaimWithdrawn(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        commitment = bytes(args["commitment"])
        seq = self._at_winner(db, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version = int(args["version"])
        # The newest active claim of that pair: a claim may be added again after a withdrawal.
        db.execute(
            "UPDATE claims SET withdrawn_version = ?, withdrawn_block = ? WHERE id = (SELECT id FROM claims"
            " WHERE later_seq = ? AND earlier = ? AND withdrawn_version IS NULL ORDER BY id DESC LIMIT 1)",
            (version, block, seq, bytes(args["earlierCommitment"])),
        )
        self._version(db, commitment, version, "claimWithdrawn", *self._current(db, commitment), block, position, tx)

    def _on_FilingPublished(  # noqa: N802
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        commitment = bytes(args["commitment"])
        if self._at_winner(db, commitment, bytes(args["batchRoot"])) is None:
            return
        # The access secret is public once revealed, but the index has no use for it.
        db.execute(
            "INSERT OR IGNORE INTO publications (commitment, number_office, number, block_number, position, tx_hash)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (commitment, _office(args["numberOffice"]), args["canonicalNumber"], block, position, tx),
        )
