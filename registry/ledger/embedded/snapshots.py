"""Snapshots of the embedded chain: py-evm's whole database, so that a restart replays only the tail.

Replaying re-executes every transaction in py-evm. A million filings in batches took 4.5 minutes
to replay while the contract walked each batch's entries, ~4 s once batches were framed off
chain; a single filing costs ~10 ms. ``chain.snapshot`` holds py-evm's whole key-value database
(eth-tester keeps it in ``chain.chaindb.db``, an ``AtomicDB`` over a ``MemoryDB`` dict) and says
which journal prefix it covers; on start the newest valid snapshot is loaded, the chain object
rebuilt over it at its head, and only the journal records after it are replayed. The journal
stays the source of truth: a snapshot is checked against the journal prefix it claims to cover,
and a corrupt, stale or foreign snapshot is reported and ignored (full replay). Snapshot format
(version 1)::

    b"PRIOREG-SNAPSHOT 1\\n"
    records (8) | journal bytes covered (8) | crc32 of that journal prefix (4)
    | genesis timestamp (8) | head block hash (32) | number of pairs (8)       all big-endian
    per pair: key length (4) | value length (4) | key | value
    sha256 of everything above (32)

It is written to a temporary file, fsynced and renamed over the old one, so a crash leaves either
the old snapshot or the new one, never half of one. *When* one is taken is a
:class:`SnapshotPolicy`; the one the chain opens with is ``registry.ledger.embedded.DEFAULT_SNAPSHOT_POLICY``.
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

from registry.errors import SnapshotCorrupt
from registry.ledger.embedded.journal import Journal, JournalScan, fsync_dir

__all__ = [
    "Snapshot",
    "SnapshotCorrupt",
    "SnapshotPolicy",
    "Snapshotter",
    "kv_store",
    "read_snapshot",
    "restore",
    "snapshot_path",
    "usable_snapshot",
    "write_snapshot",
]

log = logging.getLogger("prioreg.embedded")

_SNAPSHOT_MAGIC = b"PRIOREG-SNAPSHOT 1\n"
_SNAPSHOT_HEAD = struct.Struct(">QQIQ32sQ")
_PAIR = struct.Struct(">II")
_DIGEST = 32
_WRITE_CHUNK = 4 * 2**20


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
    fsync_dir(path.parent)
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


def kv_store(backend: Any) -> dict[bytes, bytes] | None:
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


def restore(backend: Any, snapshot: Snapshot) -> bool:
    """Load ``snapshot`` into ``backend`` and rebuild its chain object at the snapshot's head."""
    store = kv_store(backend)
    if store is None:
        return False
    store.clear()
    store.update(snapshot.pairs)
    # MiningChain(base_db) starts from the canonical head with a fresh pending header, exactly as
    # mine_block leaves it (create_header_from_parent), so the blocks that follow hash the same.
    backend.chain = type(backend.chain)(backend.chain.chaindb.db)
    return _head(backend) == (snapshot.records, snapshot.head_hash)


def usable_snapshot(state_dir: Path, scan: JournalScan, *, clean: bool = True) -> Snapshot | None:
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


class Snapshotter:
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
        store = kv_store(self.backend)
        number, head_hash = _head(self.backend)
        records, size, crc = self.journal.position()
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
