"""The Index object: one SQLite read model of one contract on one chain, its connections and locks.

docs/design.md#p3-the-ledger-is-the-only-source-of-truth — "the ledger is the only source of truth": an :class:`Index`
is rebuilt from chain data alone; deleting its file loses nothing, and :meth:`Index.sync` on an empty file gives
the same rows, table for table. This module only owns the file and who may use it when: the
tables are :mod:`registry.index.schema`, the writing :mod:`registry.index.sync`, the reading
:mod:`registry.index.queries`, the inclusion proofs :mod:`registry.index.proofs`.

Thread safety: one writer at a time (a lock around :meth:`Index.sync`). On a file, every reading
thread gets its own connection and reads inside a transaction, so WAL gives it a consistent
snapshot while a sync writes; with ``":memory:"`` there is only one connection, and reads wait for
the sync step in progress (one lock).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path

from eth_utils.address import to_checksum_address

from registry import errors
from registry.index.key_filters import KeyFilters
from registry.index.proofs import BatchTree, TreeCache, batch_tree
from registry.index.queries import Queries
from registry.index.results import SyncReport
from registry.index.schema import (
    SCHEMA_VERSION,
    check_tables,
    connect,
    discard_outdated,
    last_indexed,
    open_tables,
)
from registry.index.sync import Follower
from registry.ledger.chain import Chain

__all__ = ["Index"]


class Index(Queries):
    """The read model of one registry contract on one chain, kept in SQLite
    (docs/design.md#p3-the-ledger-is-the-only-source-of-truth).

    ``path`` is a file (created when missing, resumed when present) or ``":memory:"``. An index
    made for another contract or chain id is refused with :class:`~registry.errors.IndexInconsistent`;
    so is one of another schema version, unless ``rebuild_outdated`` says to delete it and follow
    the chain again from ``start_block`` (it holds nothing the chain does not). The queries are
    those of :class:`~registry.index.queries.Queries`.
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
        read_only: bool = False,
    ) -> None:
        if confirmations < 0 or start_block < 0:
            raise ValueError("confirmations and start_block cannot be negative")
        if read_only and (str(path) == ":memory:" or not Path(path).exists()):
            raise errors.IndexInconsistent(f"no index at {path} to read: the gateway's owner process creates it")
        if rebuild_outdated and str(path) != ":memory:" and not read_only:
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
        self._trees = TreeCache()
        self._closed = False
        self.read_only = read_only
        self._db = connect(self._path, readonly=read_only)
        self._follower: Follower | None = None
        self._filters: KeyFilters | None = None
        if read_only:
            # A read worker of a gateway (docs/api.md#one-writer-per-state-directory): the owner process
            # is the index's one writer; this one checks the file is the deployment's and only reads.
            with self._reading() as db:
                check_tables(db, self._path, self._address, chain.chain_id)
        else:
            self._filters = KeyFilters(None if self._memory else self._path)
            self._follower = Follower(
                self._db,
                self._transaction,
                chain,
                self._address,
                self._open_meta(start_block),
                self._trees,
                self._filters,
            )

    # ── opening ──────────────────────────────────────────────────────────────────────────

    def _open_meta(self, start_block: int) -> int:
        chain_id = self._chain.chain_id
        with self._transaction() as db:
            return open_tables(db, self._path, self._address, chain_id, start_block)

    @classmethod
    def in_memory_copy(cls, path: str | Path, chain: Chain, contract_address: str, *, start_block: int = 0) -> Index:
        """A ``:memory:`` index that starts as a copy of the index file at ``path``, which is only read.

        For the read-only commands (docs/api.md#one-writer-per-state-directory: they run beside the state directory's
        one writer and write nothing): the copy is synced in memory, so an answer is as current as the chain
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
        assert index._follower is not None
        index._follower.start_block = index._open_meta(start_block)
        return index

    def close(self) -> None:
        """Close every connection of the index."""
        with self._write_lock, self._memory_lock:
            self._closed = True
            if self._filters is not None:
                self._filters.close()
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
            db = connect(self._path, readonly=True)
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

    def _batch_tree(self, db: sqlite3.Connection, root: bytes, position: int) -> BatchTree:
        return batch_tree(db, self._trees, self._chain, self._address, root, position)

    # ── following the chain ──────────────────────────────────────────────────────────────

    @property
    def contract_address(self) -> str:
        """The contract the index follows (checksummed)."""
        return self._address

    def last_block(self) -> int | None:
        """The last block indexed, ``None`` before the first sync."""
        with self._reading() as db:
            return last_indexed(db)[0]

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
        with self._write_lock:
            if self._closed:
                raise errors.IndexInconsistent("the index is closed")
            if self._follower is None:
                raise errors.IndexInconsistent("this index is read-only: its owner process follows the chain")
            return self._follower.follow(to_block, self.confirmations, executor, started)
