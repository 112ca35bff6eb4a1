"""The embedded chain (eth-tester on py-evm), made durable by a journal in a state directory.

DESIGN.md property 8 makes the embedded chain the default ledger; an office will not anchor in
something that forgets on restart. Every transaction the chain accepts is appended to
``chain.journal`` — its raw signed bytes and the timestamp of the block that included it — and
fsynced as soon as it is mined, before the next one is and before the write is acknowledged
(property 7). On start the chain is
rebuilt from the same genesis by replaying the journal, block by block, with the same timestamps.
Blocks are made deterministic (py-evm's ``prevrandao`` comes from the parent hash instead of
``os.urandom``), so a replayed chain has the same block hashes and an index built before the
restart stays valid.

Journal format (version 1): a header line ``PRIOREG-JOURNAL 1 <genesis timestamp>\\n``, then
records ``length (4, big-endian) | crc32 (4) | timestamp (8) | raw transaction``. A corrupt
record is never used: :class:`JournalCorrupt` reports where it is. The one exception is a *torn
tail* (see :func:`scan_journal`): the last record cut short by a crash is moved aside and the
journal truncated before it, with a warning. A well-formed record that py-evm refuses on replay
(a nonce used twice: what two writers on one journal left before registry.ops.lock) is named the same
way. :func:`check_journal` replays a whole journal without writing anything and
:func:`repair_journal` keeps the records before the first bad one (``prioreg state check
[--repair]``, DESIGN.md property 8).

Snapshots. Replaying re-executes every transaction in py-evm. A million filings in batches took
4.5 minutes to replay while the contract walked each batch's entries, ~4 s once batches were
framed off chain; a single filing costs ~10 ms. ``chain.snapshot`` holds
py-evm's whole key-value database (eth-tester keeps it in ``chain.chaindb.db``, an ``AtomicDB``
over a ``MemoryDB`` dict) and says which journal prefix it covers; on start the newest valid
snapshot is loaded, the chain object rebuilt over it at its head, and only the journal records
after it are replayed. The journal stays the source of truth: a snapshot is checked against the
journal prefix it claims to cover, and a corrupt, stale or foreign snapshot is reported and
ignored (full replay). Snapshot format (version 1)::

    b"PRIOREG-SNAPSHOT 1\\n"
    records (8) | journal bytes covered (8) | crc32 of that journal prefix (4)
    | genesis timestamp (8) | head block hash (32) | number of pairs (8)       all big-endian
    per pair: key length (4) | value length (4) | key | value
    sha256 of everything above (32)

It is written to a temporary file, fsynced and renamed over the old one, so a crash leaves either
the old snapshot or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from registry.errors import JournalCorrupt, RegistryError, SnapshotCorrupt

__all__ = [
    "DEFAULT_SNAPSHOT_POLICY",
    "MAX_RECORD_BYTES",
    "REPAIR_HINT",
    "Journal",
    "JournalCheck",
    "JournalCorrupt",
    "JournalRepair",
    "JournalScan",
    "Snapshot",
    "SnapshotCorrupt",
    "SnapshotPolicy",
    "check_journal",
    "deterministic_backend",
    "open_tester",
    "read_journal",
    "read_snapshot",
    "repair_journal",
    "replay",
    "scan_journal",
    "scan_journal_prefix",
    "snapshot_path",
    "stamp_pending_block",
    "write_snapshot",
]

log = logging.getLogger("prioreg.embedded")

_MAGIC = b"PRIOREG-JOURNAL 1 "
_RECORD_HEAD = 8  # length + crc32
#: The largest record a torn tail may be part of. Real nodes refuse transactions over 128 KiB and
#: the client never builds one over 120 KB; a torn header claiming more is damage, not a tear.
MAX_RECORD_BYTES = 2**20

_SNAPSHOT_MAGIC = b"PRIOREG-SNAPSHOT 1\n"
_SNAPSHOT_HEAD = struct.Struct(">QQIQ32sQ")
_PAIR = struct.Struct(">II")
_DIGEST = 32
_WRITE_CHUNK = 4 * 2**20


#: What the CLI adds to a message about a journal that cannot be used.
REPAIR_HINT = "`prioreg state check` shows what is wrong; `--repair` keeps every record before it"


def deterministic_backend(genesis_timestamp: int) -> Any:
    """A py-evm backend whose blocks depend only on the transactions and their timestamps."""
    from eth.vm.forks.paris import ParisVM
    from eth.vm.forks.prague import PragueVM
    from eth_tester import PyEVMBackend
    from eth_tester.backends.pyevm.main import get_total_blob_gas

    class DeterministicBackend(PyEVMBackend):  # type: ignore[misc]
        def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = b"\x00" * 20) -> tuple[bytes, ...]:
            hashes = []
            for _ in range(num_blocks):
                kwargs: dict[str, Any] = {"coinbase": coinbase}
                if isinstance(self.chain.get_vm(), ParisVM):
                    # prevrandao from the parent, not from os.urandom: replay gives the same hashes.
                    kwargs["mix_hash"] = keccak(b"prioreg.prevrandao" + self.chain.header.parent_hash)
                if isinstance(self.chain.get_vm(), PragueVM):
                    txs = self.chain.get_block().transactions
                    kwargs["blob_gas_used"] = sum(get_total_blob_gas(tx) for tx in txs)
                hashes.append(self.chain.mine_block(**kwargs).hash)
            return tuple(hashes)

    params = PyEVMBackend.generate_genesis_params(overrides={"timestamp": genesis_timestamp})
    return DeterministicBackend(genesis_parameters=params)


# ── the journal ─────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class JournalScan:
    """A verified journal: its records, where each ends, and the torn tail found after them, if any.

    ``ends[i]`` is the byte offset just after record ``i`` (``header_end`` before the first), so
    the prefix that holds the first ``n`` records is ``data[:end_of(n)]``.
    """

    genesis_timestamp: int
    header_end: int
    records: list[tuple[int, bytes]]
    ends: list[int]
    torn_at: int | None
    size: int

    def end_of(self, count: int) -> int:
        """The byte offset just after the first ``count`` records."""
        return self.header_end if count == 0 else self.ends[count - 1]


def scan_journal(path: Path, data: bytes | None = None) -> JournalScan:
    """Read and verify a whole journal; a torn tail is reported in ``torn_at``, not raised.

    A *torn tail* is what a crash (SIGKILL, power loss) leaves when it interrupts the last append:
    after the last good record, fewer than 8 header bytes, or a header whose plausible length
    (at most :data:`MAX_RECORD_BYTES`) runs past the end of the file, or nothing but zero bytes
    (a file the file system extended before the data landed) — and no complete, valid record
    anywhere inside it. Such a record was never acknowledged: the chain acknowledges a write only
    after the fsync that follows its append, and an fsynced record is complete on disk (a
    process killed in ``write`` leaves a prefix of the record, never wrong bytes). So the tail is
    safe to drop, and refusing to start over it would turn every crash into an outage.

    Everything else is :class:`JournalCorrupt` and needs a person: a checksum mismatch in any
    *complete* record, even the last one (a complete record may have been fsynced and
    acknowledged; bit rot in it must be seen, not truncated away), an impossible length, or a
    "tail" that holds a valid record after the damage (a damaged length field in the middle).
    """
    scan, fault = scan_journal_prefix(path, data)
    if fault is not None:
        raise fault
    return scan


def scan_journal_prefix(path: Path, data: bytes | None = None) -> tuple[JournalScan, JournalCorrupt | None]:
    """Like :func:`scan_journal`, but the good records before a corrupt one are returned with it.

    The scan holds every record up to the first corrupt one; the error (``None`` when there is
    none) says where that one starts and which it is. A bad header is raised: nothing before it
    is a record.
    """
    if data is None:
        data = path.read_bytes()
    line_end = data.find(b"\n")
    if not data.startswith(_MAGIC) or line_end < 0:
        raise JournalCorrupt(f"{path} is not a prioreg chain journal (bad header)", offset=0)
    try:
        genesis = int(data[len(_MAGIC) : line_end])
    except ValueError:
        raise JournalCorrupt(f"{path} has an unreadable genesis timestamp", offset=0) from None
    records: list[tuple[int, bytes]] = []
    ends: list[int] = []
    offset = line_end + 1
    end = len(data)
    torn_at: int | None = None
    while offset < end:
        length, crc = struct.unpack_from(">II", data, offset) if end - offset >= _RECORD_HEAD else (0, 0)
        fits = end - offset >= _RECORD_HEAD and 8 <= length <= end - offset - _RECORD_HEAD
        fault: str | None = None
        if not fits:
            if _is_torn_tail(data, offset):
                torn_at = offset
                break
            fault = f"length {length} does not fit the file"
        else:
            body = data[offset + _RECORD_HEAD : offset + _RECORD_HEAD + length]
            if zlib.crc32(body) != crc:
                fault = "checksum mismatch"
        if fault is not None:
            number = len(records) + 1
            partial = JournalScan(genesis, line_end + 1, records, ends, None, offset)
            return partial, JournalCorrupt(
                f"{path} has a corrupt record: record {number} at byte {offset} ({fault})", offset=offset, record=number
            )
        (timestamp,) = struct.unpack_from(">Q", body)
        records.append((timestamp, bytes(body[8:])))
        offset += _RECORD_HEAD + length
        ends.append(offset)
    return JournalScan(genesis, line_end + 1, records, ends, torn_at, end), None


def _is_torn_tail(data: bytes, offset: int) -> bool:
    """Whether the bytes from ``offset`` to the end can only be one append cut short (see :func:`scan_journal`)."""
    tail = memoryview(data)[offset:]
    if not any(tail):
        return True  # zero-filled: the file grew, its data never landed
    if len(tail) >= _RECORD_HEAD:
        (length,) = struct.unpack_from(">I", tail)
        if not 8 <= length <= MAX_RECORD_BYTES:
            return False  # no append writes such a header: this is damage, not a tear
    # A tear leaves part of one record, so no complete, valid record can start inside it; finding
    # one means a damaged length field in the middle, and truncating there would lose real records.
    end = len(tail)
    for start in range(1, end - _RECORD_HEAD - 8 + 1):
        length, crc = struct.unpack_from(">II", tail, start)
        if 8 <= length <= end - start - _RECORD_HEAD and zlib.crc32(tail[start + 8 : start + 8 + length]) == crc:
            return False
    return True


def read_journal(path: Path) -> tuple[int, list[tuple[int, bytes]]]:
    """Read and verify a whole journal: the genesis timestamp and the ``(timestamp, raw)`` records.

    Read-only: a torn tail is reported as :class:`JournalCorrupt` here; :meth:`Journal.open`
    (which owns the file) is the one that moves it aside.
    """
    scan = scan_journal(path)
    if scan.torn_at is not None:
        raise JournalCorrupt(
            f"{path} ends in a torn record at byte {scan.torn_at} (a write was cut short); "
            "the transactions before it are intact, and opening the chain moves the tail aside",
            offset=scan.torn_at,
        )
    return scan.genesis_timestamp, scan.records


class Journal:
    """The append-only record of every transaction the embedded chain accepted."""

    FILE_NAME = "chain.journal"

    def __init__(self, path: Path, genesis_timestamp: int, *, records: int = 0, size: int = 0, crc: int = 0) -> None:
        self.path = path
        self.genesis_timestamp = genesis_timestamp
        self._file = path.open("ab")
        self._lock = threading.Lock()
        self._dirty = False
        #: Records in the file, its size and the crc32 of all its bytes: what a snapshot covers.
        self.records = records
        self.size = size
        self.crc = crc
        self._snapshots: _Snapshotter | None = None

    @classmethod
    def open(cls, state_dir: Path, *, now: int) -> tuple[Journal, list[tuple[int, bytes]]]:
        """Open (or create) the journal in ``state_dir``; return it with the records to replay."""
        journal, scan = cls.open_scanned(state_dir, now=now)
        return journal, scan.records

    @classmethod
    def open_scanned(cls, state_dir: Path, *, now: int) -> tuple[Journal, JournalScan]:
        """Like :meth:`open`, returning the whole :class:`JournalScan` (snapshots are checked against it).

        A torn tail (:func:`scan_journal`) is copied to ``chain.journal.torn-<offset>`` beside the
        journal, for a person to look at, and cut off with a warning.
        """
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / cls.FILE_NAME
        if not path.exists() or path.stat().st_size == 0:
            header = _MAGIC + str(now).encode() + b"\n"
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                fh.write(header)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
            _fsync_dir(state_dir)
            scan = JournalScan(now, len(header), [], [], None, len(header))
            return cls(path, now, size=len(header), crc=zlib.crc32(header)), scan
        data = path.read_bytes()
        scan = scan_journal(path, data)
        if scan.torn_at is not None:
            _cut_torn_tail(path, data, scan.torn_at)
            data = data[: scan.torn_at]
            scan = JournalScan(scan.genesis_timestamp, scan.header_end, scan.records, scan.ends, None, scan.torn_at)
        journal = cls(path, scan.genesis_timestamp, records=len(scan.records), size=scan.size, crc=zlib.crc32(data))
        return journal, scan

    def append(self, timestamp: int, raw: bytes) -> None:
        """Append one accepted transaction and make it durable (write, flush, fsync) before returning.

        The chain calls this with its send lock held, once the transaction is mined: the chain
        state then holds exactly :attr:`records` transactions, which is when a snapshot is taken.
        A mined block is visible at once to every reader (the index follower, verifications), so
        its record is made durable here, before the next transaction is mined, and not only at
        the :meth:`sync` before the acknowledgement: a call that sends several batch
        transactions would otherwise show blocks for seconds that a crash could still take back.
        """
        payload = struct.pack(">Q", timestamp) + raw
        record = struct.pack(">II", len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            self._file.write(record)
            self._file.flush()
            os.fsync(self._file.fileno())
            self.records += 1
            self.size += len(record)
            self.crc = zlib.crc32(record, self.crc)
        if self._snapshots is not None:
            self._snapshots.after_append()

    def sync(self) -> None:
        """Make every appended record durable (flush + fsync) — before any write is acknowledged.

        :meth:`append` already does; this stays the chain's explicit step before an acknowledgement."""
        with self._lock:
            if self._dirty:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._dirty = False

    def close(self) -> None:
        """Sync, write a last snapshot (when snapshots are on and something is new) and close the file."""
        self.sync()
        if self._snapshots is not None:
            self._snapshots.close()
            self._snapshots = None
        with self._lock:
            self._file.close()


def _cut_torn_tail(path: Path, data: bytes, offset: int) -> None:
    aside = path.with_name(f"{path.name}.torn-{offset}")
    with aside.open("wb") as fh:
        fh.write(data[offset:])
        fh.flush()
        os.fsync(fh.fileno())
    with path.open("r+b") as fh:
        fh.truncate(offset)
        fh.flush()
        os.fsync(fh.fileno())
    _fsync_dir(path.parent)
    log.warning(
        "%s ended in a torn record at byte %d (%d bytes, cut short by a crash before it was acknowledged); "
        "moved it to %s and truncated the journal there",
        path,
        offset,
        len(data) - offset,
        aside.name,
    )


# ── snapshots ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SnapshotPolicy:
    """When the durable chain writes a snapshot: after ``every_records`` journal records, or
    ``every_bytes`` of journal, or ``every_seconds`` (with at least one new record), since the
    last one; and on a clean close.

    The thresholds bound what a restart after a crash replays (a single filing replays in ~10 ms,
    a 120 KB batch in ~10 ms to ~1 s depending on how much of it the contract executes). A
    snapshot holds the whole database,
    so its cost grows with the ledger; ``max_busy`` keeps the background writer busy at most that
    fraction of the time (the next snapshot waits ``duration / max_busy`` after the last one).
    """

    every_records: int = 1_000
    every_bytes: int = 1_000_000
    every_seconds: float = 600.0
    max_busy: float = 0.2
    on_close: bool = True
    enabled: bool = True


#: The policy :func:`open_tester` uses unless given one.
DEFAULT_SNAPSHOT_POLICY = SnapshotPolicy()


@dataclass(frozen=True)
class Snapshot:
    """A py-evm database image and the journal prefix it covers."""

    records: int
    journal_bytes: int
    journal_crc: int
    genesis_timestamp: int
    head_hash: bytes
    pairs: dict[bytes, bytes]


def snapshot_path(state_dir: Path) -> Path:
    """Where the state directory's snapshot lives."""
    return state_dir / "chain.snapshot"


def write_snapshot(path: Path, snapshot: Snapshot) -> int:
    """Write ``snapshot`` atomically (temp file, fsync, rename, fsync dir); return its size in bytes."""
    tmp = path.with_name(path.name + ".tmp")
    digest = hashlib.sha256()
    size = 0
    with tmp.open("wb") as fh:

        def put(chunk: bytes) -> None:
            nonlocal size
            digest.update(chunk)
            fh.write(chunk)
            size += len(chunk)

        put(
            _SNAPSHOT_MAGIC
            + _SNAPSHOT_HEAD.pack(
                snapshot.records,
                snapshot.journal_bytes,
                snapshot.journal_crc,
                snapshot.genesis_timestamp,
                snapshot.head_hash,
                len(snapshot.pairs),
            )
        )
        parts: list[bytes] = []
        pending = 0
        pack = _PAIR.pack
        for key, value in snapshot.pairs.items():
            parts.append(pack(len(key), len(value)))
            parts.append(key)
            parts.append(value)
            pending += 8 + len(key) + len(value)
            if pending >= _WRITE_CHUNK:
                put(b"".join(parts))
                parts.clear()
                pending = 0
        if parts:
            put(b"".join(parts))
        fh.write(digest.digest())
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)
    return size + _DIGEST


def read_snapshot(path: Path) -> Snapshot:
    """Read and verify a snapshot (raises :class:`SnapshotCorrupt`)."""
    data = path.read_bytes()
    head_end = len(_SNAPSHOT_MAGIC) + _SNAPSHOT_HEAD.size
    if not data.startswith(_SNAPSHOT_MAGIC) or len(data) < head_end + _DIGEST:
        raise SnapshotCorrupt(f"{path} is not a prioreg chain snapshot (bad header or too short)")
    body = memoryview(data)[: len(data) - _DIGEST]
    if hashlib.sha256(body).digest() != data[-_DIGEST:]:
        raise SnapshotCorrupt(f"{path} fails its checksum")
    records, journal_bytes, journal_crc, genesis, head_hash, count = _SNAPSHOT_HEAD.unpack_from(
        data, len(_SNAPSHOT_MAGIC)
    )
    pairs: dict[bytes, bytes] = {}
    offset = head_end
    end = len(body)
    unpack = _PAIR.unpack_from
    for _ in range(count):
        if offset + 8 > end:
            raise SnapshotCorrupt(f"{path} ends inside a pair")
        klen, vlen = unpack(data, offset)
        offset += 8
        if offset + klen + vlen > end:
            raise SnapshotCorrupt(f"{path} ends inside a pair")
        pairs[data[offset : offset + klen]] = data[offset + klen : offset + klen + vlen]
        offset += klen + vlen
    if offset != end:
        raise SnapshotCorrupt(f"{path} has {end - offset} bytes after its last pair")
    return Snapshot(records, journal_bytes, journal_crc, genesis, head_hash, pairs)


def _kv_store(backend: Any) -> dict[bytes, bytes] | None:
    """The dict behind eth-tester's py-evm database, or None if this eth-tester keeps it elsewhere."""
    from eth.db.atomic import AtomicDB
    from eth.db.backends.memory import MemoryDB

    db = backend.chain.chaindb.db
    if isinstance(db, AtomicDB) and isinstance(db.wrapped_db, MemoryDB) and isinstance(db.wrapped_db.kv_store, dict):
        store: dict[bytes, bytes] = db.wrapped_db.kv_store
        return store
    return None


def _head(backend: Any) -> tuple[int, bytes]:
    head = backend.chain.get_canonical_head()
    return int(head.block_number), bytes(head.hash)


def _restore(backend: Any, snapshot: Snapshot) -> bool:
    """Load ``snapshot`` into ``backend`` and rebuild its chain object at the snapshot's head."""
    store = _kv_store(backend)
    if store is None:
        return False
    store.clear()
    store.update(snapshot.pairs)
    # MiningChain(base_db) starts from the canonical head with a fresh pending header, exactly as
    # mine_block leaves it (create_header_from_parent), so the blocks that follow hash the same.
    backend.chain = type(backend.chain)(backend.chain.chaindb.db)
    return _head(backend) == (snapshot.records, snapshot.head_hash)


def _usable_snapshot(state_dir: Path, scan: JournalScan, *, clean: bool = True) -> Snapshot | None:
    """The snapshot in ``state_dir`` if it is intact and covers a prefix of this journal; else None.

    ``clean`` removes what a snapshot write cut short by a crash left (the writer's job, not a reader's).
    """
    path = snapshot_path(state_dir)
    stale = path.with_name(path.name + ".tmp")
    if clean and stale.exists():
        stale.unlink()  # a write cut short by a crash; the rename never happened
    if not path.exists():
        return None
    try:
        snapshot = read_snapshot(path)
    except (SnapshotCorrupt, OSError) as exc:
        log.warning("ignoring the chain snapshot: %s; replaying the whole journal", exc)
        return None
    why = None
    if snapshot.genesis_timestamp != scan.genesis_timestamp:
        why = "it belongs to another journal (genesis timestamp differs)"
    elif snapshot.records > len(scan.records):
        why = f"it covers {snapshot.records} records and the journal holds {len(scan.records)}"
    elif snapshot.journal_bytes != scan.end_of(snapshot.records):
        why = "its journal offset does not fall after its last record"
    if why is None and _prefix_crc(state_dir / Journal.FILE_NAME, snapshot.journal_bytes) != snapshot.journal_crc:
        why = "the journal prefix it covers has different contents"
    if why is not None:
        log.warning("ignoring the chain snapshot %s: %s; replaying the whole journal", path, why)
        return None
    return snapshot


def _prefix_crc(path: Path, size: int) -> int:
    """The crc32 of the first ``size`` bytes of ``path`` (-1 if it is shorter), read in chunks."""
    crc = 0
    left = size
    with path.open("rb") as fh:
        while left > 0:
            chunk = fh.read(min(left, _WRITE_CHUNK))
            if not chunk:
                return -1
            crc = zlib.crc32(chunk, crc)
            left -= len(chunk)
    return crc


class _Snapshotter:
    """Takes snapshots of one backend at journal record boundaries, as the policy says.

    The database image is a shallow copy of py-evm's dict, taken while the chain's send lock is
    held (no block is being mined) and after the journal is fsynced (a snapshot never covers a
    record the journal could lose); serializing and writing it happen on a background thread, so
    a write waits only for the copy.
    """

    def __init__(self, state_dir: Path, backend: Any, journal: Journal, policy: SnapshotPolicy) -> None:
        self.path = snapshot_path(state_dir)
        self.backend = backend
        self.journal = journal
        self.policy = policy
        self._taken_records = journal.records
        self._taken_size = journal.size
        self._taken_at = time.monotonic()
        self._retry = False
        self._not_before = 0.0
        self._writer: threading.Thread | None = None
        self._lock = threading.Lock()

    def after_append(self, *, now: bool = False) -> None:
        """Take a snapshot if the policy says one is due (or ``now``), unless one is being written."""
        policy = self.policy
        journal = self.journal
        new_records = journal.records - self._taken_records
        due = (
            now
            or self._retry
            or new_records >= policy.every_records
            or journal.size - self._taken_size >= policy.every_bytes
            or (new_records > 0 and time.monotonic() - self._taken_at >= policy.every_seconds)
        )
        if not due or (not now and time.monotonic() < self._not_before):
            return
        if self._writer is not None and self._writer.is_alive():
            return
        snapshot = self._capture()
        if snapshot is None:
            return
        self._writer = threading.Thread(target=self._write, args=(snapshot,), name="chain-snapshot", daemon=True)
        self._writer.start()

    def _capture(self) -> Snapshot | None:
        self.journal.sync()
        store = _kv_store(self.backend)
        number, head_hash = _head(self.backend)
        with self.journal._lock:
            records, size, crc = self.journal.records, self.journal.size, self.journal.crc
        if store is None or number != records:
            # Every journal record is one block; if not, this chain was not built by the journal.
            log.warning("not taking a chain snapshot: head block %d, %d journal records", number, records)
            return None
        self._taken_records, self._taken_size, self._taken_at = records, size, time.monotonic()
        self._retry = False
        return Snapshot(records, size, crc, self.journal.genesis_timestamp, head_hash, dict(store))

    def _write(self, snapshot: Snapshot) -> None:
        started = time.perf_counter()
        with self._lock:
            try:
                size = write_snapshot(self.path, snapshot)
            except OSError as exc:  # the journal still has everything; the next snapshot will retry
                log.warning("could not write the chain snapshot %s: %s", self.path, exc)
                self._retry = True
                return
        seconds = time.perf_counter() - started
        self._not_before = time.monotonic() + seconds / self.policy.max_busy
        log.info("chain snapshot at %d records (%.1f MB) in %.2f s", snapshot.records, size / 1e6, seconds)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.join()
        if self.policy.on_close and self.journal.records > self._taken_records:
            snapshot = self._capture()
            if snapshot is not None:
                self._write(snapshot)


# ── opening the chain ───────────────────────────────────────────────────────────────────


def open_tester(
    state_dir: Path | None, *, now: int, snapshots: SnapshotPolicy | None = None, read_only: bool = False
) -> tuple[Any, Journal | None]:
    """An EthereumTester on a deterministic backend; with ``state_dir``, rebuilt from its snapshot
    (if one is usable) and the journal records after it.

    ``read_only`` (the read-only commands, API.md): nothing in ``state_dir`` is written — no
    journal is created, a torn tail is left where it is (a running gateway may be appending it
    right now) and only the records before it are replayed, no snapshot is taken — and no journal
    is returned, so the caller must not send (the chain would forget what it was sent).

    A record that cannot be replayed (py-evm refuses it: a wrong nonce, a transaction for another
    chain — what two writers on one journal leave) raises :class:`JournalCorrupt` naming it.
    """
    from eth_tester import EthereumTester

    if state_dir is None:
        return EthereumTester(backend=deterministic_backend(now)), None
    started = time.perf_counter()
    policy = DEFAULT_SNAPSHOT_POLICY if snapshots is None else snapshots
    journal: Journal | None
    if read_only:
        path = state_dir / Journal.FILE_NAME
        if not path.exists():
            raise RegistryError(f"{state_dir} holds no chain journal ({Journal.FILE_NAME})")
        journal, scan = None, scan_journal(path)
        genesis = scan.genesis_timestamp
    else:
        journal, scan = Journal.open_scanned(state_dir, now=now)
        genesis = journal.genesis_timestamp
    try:
        backend = deterministic_backend(genesis)
        start = 0
        snapshot = _usable_snapshot(state_dir, scan, clean=not read_only) if policy.enabled else None
        if snapshot is not None:
            if _restore(backend, snapshot):
                start = snapshot.records
            else:
                log.warning("the chain snapshot does not rebuild its own head; replaying the whole journal")
                backend = deterministic_backend(genesis)
            del snapshot
        try:
            replay(backend, state_dir / Journal.FILE_NAME, scan, start)
        except JournalCorrupt:
            if start == 0:
                raise
            # The records after the snapshot do not replay on it: replay from genesis before
            # blaming the journal (the journal, not the snapshot, is the source of truth).
            log.warning("the journal does not replay on the chain snapshot; replaying the whole journal")
            backend = deterministic_backend(genesis)
            start = 0
            replay(backend, state_dir / Journal.FILE_NAME, scan, 0)
    except BaseException:
        if journal is not None:
            journal.close()
        raise
    tester = EthereumTester(backend=backend)
    log.info(
        "chain rebuilt in %.2f s: %d journal records from a snapshot, %d replayed",
        time.perf_counter() - started,
        start,
        len(scan.records) - start,
    )
    if journal is not None and policy.enabled and _kv_store(backend) is not None:
        journal._snapshots = _Snapshotter(state_dir, backend, journal, policy)
        if len(scan.records) - start >= policy.every_records or scan.size - scan.end_of(start) >= policy.every_bytes:
            # A long replay just happened (no snapshot, or an old one): spare the next start from it.
            journal._snapshots.after_append(now=True)
    return tester, journal


def replay(backend: Any, path: Path, scan: JournalScan, start: int = 0) -> None:
    """Replay ``scan.records[start:]`` on ``backend``, one block each, with the journaled timestamps.

    Raises :class:`JournalCorrupt` naming the first record py-evm refuses; the chain then holds
    every record before it.
    """
    for number, (timestamp, raw) in enumerate(scan.records[start:], start=start + 1):
        # The block that included this transaction had this timestamp; give the pending block
        # the same one so that time-dependent code (deadlines) and block hashes replay exactly.
        backend.chain.header = backend.chain.header.copy(timestamp=timestamp)
        try:
            backend.send_raw_transaction(raw)
        except Exception as exc:  # py-evm's ValidationError and decoding errors: the record, not the code
            offset = scan.end_of(number - 1)
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise JournalCorrupt(
                f"{path}: record {number} at byte {offset} cannot be replayed ({reason})",
                offset=offset,
                record=number,
            ) from None
        backend.mine_blocks()


# ── checking and repairing (``prioreg state check [--repair]``) ─────────────────────────


@dataclass(frozen=True)
class JournalCheck:
    """What a full replay of a journal found: the good prefix and the first record at fault, if any.

    ``kept`` records (``kept_bytes`` bytes, header included) replay; ``fault`` is the first one
    that does not (a corrupt frame, or one py-evm refuses); ``torn_at`` is a torn tail after the
    last record when there is no fault. ``size`` is the file's size.
    """

    path: Path
    kept: int
    kept_bytes: int
    size: int
    fault: JournalCorrupt | None
    torn_at: int | None

    @property
    def healthy(self) -> bool:
        """Every byte of the journal is a record that replays."""
        return self.fault is None and self.torn_at is None

    @property
    def dropped_bytes(self) -> int:
        """What ``--repair`` cuts off."""
        return self.size - self.kept_bytes


def check_journal(state_dir: Path) -> JournalCheck:
    """Replay the whole journal of ``state_dir`` from genesis (no snapshot), writing nothing.

    Raises :class:`JournalCorrupt` only for a bad header (then no record can be trusted);
    everything else is reported in the :class:`JournalCheck`.
    """
    path = state_dir / Journal.FILE_NAME
    data = path.read_bytes()
    scan, fault = scan_journal_prefix(path, data)
    backend = deterministic_backend(scan.genesis_timestamp)
    kept = len(scan.records)
    try:
        replay(backend, path, scan)
    except JournalCorrupt as refused:
        fault, kept = refused, refused.kept
    torn = scan.torn_at if fault is None else None
    return JournalCheck(path, kept, scan.end_of(kept), len(data), fault, torn)


@dataclass(frozen=True)
class JournalRepair:
    """What :func:`repair_journal` did: records kept, bytes dropped, and where the dropped bytes are."""

    kept: int
    dropped_bytes: int
    first_dropped: int
    aside: Path


def repair_journal(state_dir: Path, check: JournalCheck) -> JournalRepair | None:
    """Keep the records ``check`` found good and drop the rest, atomically; None when nothing is wrong.

    The dropped bytes are copied to ``chain.journal.dropped-<offset>`` for a person; the kept
    prefix is written beside the journal, fsynced and renamed over it, so a crash leaves the old
    journal or the repaired one. The snapshot is removed (it may cover dropped records; the next
    start replays and writes a new one). The caller holds the writer lock.
    """
    if check.healthy:
        return None
    path = check.path
    data = path.read_bytes()
    if len(data) != check.size:
        raise RegistryError(f"{path} changed while it was checked; check it again")
    cut = check.kept_bytes
    aside = path.with_name(f"{path.name}.dropped-{cut}")
    for target, content in ((aside, data[cut:]), (path.with_name(path.name + ".repair"), data[:cut])):
        with target.open("wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
    path.with_name(path.name + ".repair").replace(path)
    for stale in (snapshot_path(state_dir), snapshot_path(state_dir).with_name("chain.snapshot.tmp")):
        stale.unlink(missing_ok=True)
    _fsync_dir(state_dir)
    first = check.fault.record if check.fault is not None else check.kept + 1
    dropped = len(data) - cut
    log.info("repaired %s: kept %d records, dropped %d bytes (moved to %s)", path, check.kept, dropped, aside)
    return JournalRepair(check.kept, dropped, first, aside)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def stamp_pending_block(tester: Any, now: int) -> int:
    """Give the pending block the current time (py-evm stamps it when the previous block is mined,
    which can be hours stale on an idle chain) and return the timestamp it will carry."""
    backend = tester.backend
    header = backend.chain.header
    parent = backend.chain.get_canonical_head()
    timestamp = max(now, parent.timestamp + 1)
    if header.timestamp != timestamp:
        backend.chain.header = header.copy(timestamp=timestamp)
    return int(timestamp)
