"""py-evm's key-value database in a SQLite file, for an embedded chain too large to keep in memory.

eth-tester keeps the whole chain in a dict (``AtomicDB`` over ``MemoryDB``): every block, body,
receipt and trie node stays resident, ~170 bytes a batched filing, so a year of all IP filings
(20 M, docs/domain.md#load-to-plan-for) would need ~3.4 GB for the chain alone (issue 18).
:class:`DiskDB` is a py-evm ``BaseDB`` whose pairs live in one SQLite table instead, with two
bounded buffers in front of it:

- a write buffer: py-evm commits a block as a burst of ``__setitem__`` calls (its ``AtomicDB``
  applies the batch's diff key by key), so writes are kept in a dict and written in one SQLite
  transaction once they pass ``write_buffer_bytes`` — one commit per ~ten blocks, not one per key;
- a read cache (least recently used, at most ``cache_bytes``): the state trie's upper nodes are read
  for every transaction, and the index reads each new block back soon after it is mined.

It is a scratch store, not a durable one: SQLite's journal and fsyncs are off (a crash loses the
file, and nothing reopens it), since durability is the journal's job (:mod:`.journal`), and a chain
on a ``DiskDB`` is only made where no journal is kept (the benchmark). Snapshots (:mod:`.snapshots`)
copy the in-memory dict and do not apply here.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from eth.db.backends.base import BaseDB

__all__ = ["DEFAULT_CACHE_BYTES", "DEFAULT_WRITE_BUFFER_BYTES", "DiskDB"]

#: The read cache's bound: the hot trie nodes and the last blocks' bodies and receipts.
DEFAULT_CACHE_BYTES = 32 * 2**20
#: Buffered writes before they go to SQLite in one transaction (~ten max-size batch blocks).
DEFAULT_WRITE_BUFFER_BYTES = 16 * 2**20
# SQLite's own page cache (KiB, negative = size, not pages): the key index's pages; values are
# mostly read back from the write buffer or the read cache, else from the OS's file cache.
_SQLITE_CACHE_KIB = 16 * 1024
# Per-entry bookkeeping counted against the bounds (dict slot, bytes headers): keeps many small
# values from holding far more than the bound says.
_ENTRY_OVERHEAD = 120
_DELETED = None


class DiskDB(BaseDB):
    """py-evm's ``BaseDB`` over a SQLite key-value table at ``path``, behind bounded buffers.

    Thread-safe (one lock): the embedded chain is read from the API server's and the index
    follower's threads while it sends.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        write_buffer_bytes: int = DEFAULT_WRITE_BUFFER_BYTES,
    ) -> None:
        self.path = Path(path)
        self.cache_bytes = cache_bytes
        self.write_buffer_bytes = write_buffer_bytes
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{_SQLITE_CACHE_KIB}"):
            self._db.execute(f"PRAGMA {pragma}")
        # A rowid table with the key's index beside it, not WITHOUT ROWID: values run to 120 KB (a
        # batch transaction), which a WITHOUT ROWID B-tree would carry through every key page.
        self._db.execute("CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL)")
        self._pending: dict[bytes, bytes | None] = {}
        self._pending_bytes = 0
        self._cache: OrderedDict[bytes, bytes] = OrderedDict()
        self._cache_used = 0
        self.reads = 0
        """Reads that reached SQLite (neither buffered nor cached)."""
        self.flushes = 0

    # ── py-evm's interface ─────────────────────────────────────────────────────────────

    def __getitem__(self, key: bytes) -> bytes:
        with self._lock:
            if key in self._pending:
                value = self._pending[key]
                if value is _DELETED:
                    raise KeyError(key)
                return value
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            self.reads += 1
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise KeyError(key)
            value = bytes(row[0])
            self._remember(key, value)
            return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        with self._lock:
            self._buffer(key, bytes(value))

    def __delitem__(self, key: bytes) -> None:
        with self._lock:
            if not self._exists_locked(key):
                raise KeyError(key)
            self._buffer(key, _DELETED)

    def _exists(self, key: bytes) -> bool:
        with self._lock:
            return self._exists_locked(key)

    # ── the buffers ──────────────────────────────────────────────────────────────────────

    def _exists_locked(self, key: bytes) -> bool:
        if key in self._pending:
            return self._pending[key] is not _DELETED
        if key in self._cache:
            return True
        self.reads += 1
        return self._db.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone() is not None

    def _buffer(self, key: bytes, value: bytes | None) -> None:
        cached = self._cache.pop(key, None)
        if cached is not None:
            self._cache_used -= len(key) + len(cached) + _ENTRY_OVERHEAD
        old = self._pending.get(key)
        if key in self._pending:
            self._pending_bytes -= len(key) + (len(old) if old is not None else 0) + _ENTRY_OVERHEAD
        self._pending[key] = value
        self._pending_bytes += len(key) + (len(value) if value is not None else 0) + _ENTRY_OVERHEAD
        if self._pending_bytes >= self.write_buffer_bytes:
            self._flush_locked()

    def _remember(self, key: bytes, value: bytes) -> None:
        size = len(key) + len(value) + _ENTRY_OVERHEAD
        if size > self.cache_bytes // 4:
            return  # a 120 KB transaction would push out hundreds of trie nodes
        self._cache[key] = value
        self._cache_used += size
        while self._cache_used > self.cache_bytes:
            old_key, old_value = self._cache.popitem(last=False)
            self._cache_used -= len(old_key) + len(old_value) + _ENTRY_OVERHEAD

    def _flush_locked(self) -> None:
        if not self._pending:
            return
        writes = [(k, v) for k, v in self._pending.items() if v is not None]
        deletes = [(k,) for k, v in self._pending.items() if v is None]
        self._db.execute("BEGIN")
        try:
            if writes:
                self._db.executemany("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", writes)
            if deletes:
                self._db.executemany("DELETE FROM kv WHERE key = ?", deletes)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._pending.clear()
        self._pending_bytes = 0
        self.flushes += 1

    # ── housekeeping ─────────────────────────────────────────────────────────────────────

    def flush(self) -> None:
        """Write the buffered pairs to SQLite now."""
        with self._lock:
            self._flush_locked()

    def size_bytes(self) -> int:
        """The SQLite file's size now (buffered writes not counted)."""
        try:
            return self.path.stat().st_size
        except OSError:
            return 0

    def close(self) -> None:
        """Flush and close the SQLite connection (the file stays; its directory's owner removes it)."""
        with self._lock:
            if self._db is None:
                return
            self._flush_locked()
            self._db.close()
            self._db = None  # type: ignore[assignment]
            self._cache.clear()
            self._cache_used = 0
