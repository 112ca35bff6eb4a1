"""The writer of the index: following the chain into the tables, and undoing reorganisations.

docs/design.md#p3-the-ledger-is-the-only-source-of-truth: everything the index holds comes from the chain, one SQLite
transaction per step of at most :data:`LOG_CHUNK` blocks, so a step is indexed whole or not at all and a crash
loses at most the step in progress (the next sync reads it again).

Reorganisations: the hash of every indexed block with events and of the last
:data:`RECENT_BLOCKS` blocks is kept. Each sync first compares the stored hash of the last indexed
block with the chain's; on a difference it walks back to the newest stored block the chain still
has, deletes everything above it (every table carries a block number or a chain position) and
indexes again. While a step reads, every header must extend the one below it and every log belong
to the headers read; otherwise the step is read again (:class:`~registry.index.projector.ChainMoved`).
``confirmations`` keeps the index that many blocks behind the head. What the events change is
:mod:`registry.index.projector`.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import AbstractContextManager
from typing import Any, Final

from registry import errors
from registry.domain.types import date_from_days
from registry.index.components import rebuild as rebuild_families
from registry.index.key_filters import KeyFilters
from registry.index.keys import delete_keys_from, merge_keys
from registry.index.notifications import delete_from as delete_notifications
from registry.index.projector import ChainMoved, Counts, Projector, is_batch
from registry.index.proofs import TreeCache
from registry.index.results import SyncReport
from registry.index.schema import last_indexed, position, set_last_indexed
from registry.ledger.chain import Chain

__all__ = ["LOG_CHUNK", "RECENT_BLOCKS", "Follower"]

#: How many of the newest indexed blocks keep their hash, so a reorganisation can be walked back.
RECENT_BLOCKS: Final = 128
#: Blocks per ``eth_getLogs`` request (many public nodes refuse wider ranges).
LOG_CHUNK: Final = 2_000

_MAX_ATTEMPTS = 5
_SECONDS_PER_DAY = 86_400


class Follower:
    """Follows one contract on one chain into the index's tables (the only writer of them).

    ``transaction`` opens one write transaction on ``db``; ``trees`` is the proof cache, told
    about the batches just anchored and cleared by a rollback. The caller holds the write lock.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
        chain: Chain,
        address: str,
        start_block: int,
        trees: TreeCache,
        filters: KeyFilters,
    ) -> None:
        self._db = db
        self._filters = filters
        self._transaction = transaction
        self._chain = chain
        self._address = address
        self.start_block = start_block
        self._trees = trees

    def follow(self, to_block: int | None, confirmations: int, executor: Executor | None, started: float) -> SyncReport:
        """Follow the chain up to ``min(to_block, head − confirmations)`` (see :meth:`Index.sync`)."""
        counts = Counts()
        for _attempt in range(_MAX_ATTEMPTS):
            try:
                last = self._sync_once(to_block, confirmations, counts, executor)
                break
            except ChainMoved:
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

    def _sync_once(
        self, to_block: int | None, confirmations: int, counts: Counts, executor: Executor | None = None
    ) -> int:
        chain = self._chain
        last, last_hash = last_indexed(self._db)
        if last is None:
            last = self.start_block - 1
        elif self._block_hash(last) != last_hash:
            ancestor = self._common_ancestor()
            counts.rolled_back += last - ancestor
            self._rollback(ancestor)
            last = ancestor
        head = chain.block_number()
        target = head - confirmations
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
        return self.start_block - 1

    def _rollback(self, ancestor: int) -> None:
        """Delete everything indexed above block ``ancestor`` (one transaction)."""
        cut = position(ancestor + 1, 0)
        with self._transaction() as db:
            first_seq = db.execute(
                "SELECT min(first_seq) FROM anchors WHERE position >= ? AND first_seq IS NOT NULL", (cut,)
            ).fetchone()[0]
            first_claim = _first_claim_after(db, ancestor)
            # Families change when a claim, a withdrawal or a linked record is undone: rebuilt below.
            families_change = (
                db.execute("SELECT 1 FROM claims WHERE id >= ? LIMIT 1", (first_claim,)).fetchone() is not None
                or db.execute("SELECT 1 FROM claims WHERE withdrawn_block > ? LIMIT 1", (ancestor,)).fetchone()
                is not None
                or (
                    first_seq is not None
                    and db.execute(
                        "SELECT 1 FROM records WHERE seq >= ? AND family IS NOT NULL LIMIT 1", (first_seq,)
                    ).fetchone()
                    is not None
                )
            )
            delete_keys_from(db, first_seq, first_claim)
            if first_seq is not None:
                db.execute("DELETE FROM records WHERE seq >= ?", (first_seq,))
            db.execute("DELETE FROM anchors WHERE position >= ?", (cut,))
            db.execute("DELETE FROM versions WHERE block_number > ?", (ancestor,))
            db.execute("DELETE FROM claims WHERE id >= ?", (first_claim,))
            db.execute(
                "UPDATE claims SET withdrawn_version = NULL, withdrawn_block = NULL WHERE withdrawn_block > ?",
                (ancestor,),
            )
            db.execute("DELETE FROM conflicts WHERE block_number > ?", (ancestor,))
            for table in ("publications", "confirmations", "reports", "refusals"):
                db.execute(f"DELETE FROM {table} WHERE block_number > ?", (ancestor,))  # noqa: S608 - fixed names
            db.execute("DELETE FROM office_events WHERE position >= ?", (cut,))
            delete_notifications(db, cut)
            if families_change:
                rebuild_families(db)
            db.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
            kept = db.execute("SELECT hash FROM blocks WHERE number = ?", (ancestor,)).fetchone()
            if kept is None:
                db.execute("DELETE FROM meta WHERE key IN ('last_block', 'last_hash')")
            else:
                set_last_indexed(db, ancestor, kept[0])
        self._trees.clear()

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

    def _step(self, start: int, end: int, window: int, counts: Counts, executor: Executor | None = None) -> None:
        """Index blocks ``start``..``end`` in one transaction, or not at all."""
        # Headers of the newest blocks (their hashes are kept to detect reorganisations) and of
        # the step's last block, which becomes the index's last block.
        headers: dict[int, tuple[bytes, bytes]] = {}
        for number in sorted({*range(max(start, window), end + 1), end}):
            header = self._header(number)
            if header is None:
                raise ChainMoved
            headers[number] = header
        logs = self._logs(start, end)
        # The last block did not change while the logs were read: they belong to the chain we store.
        if self._block_hash(end) != headers[end][0]:
            raise ChainMoved
        # Each header must extend the one below it, starting from what is stored for start − 1.
        hashes = {number: block_hash for number, (block_hash, _parent) in headers.items()}
        below_start = self._db.execute("SELECT hash FROM blocks WHERE number = ?", (start - 1,)).fetchone()
        if below_start is not None:
            hashes[start - 1] = below_start[0]
        for number, (_hash, parent) in headers.items():
            if hashes.get(number - 1, parent) != parent:
                raise ChainMoved
        logs = [log for log in logs if not log.get("removed", False)]
        logs.sort(key=lambda log: (log["blockNumber"], log["transactionIndex"], log["logIndex"]))
        event_blocks: dict[int, list[Any]] = {}
        for log in logs:
            number = int(log["blockNumber"])
            event_blocks.setdefault(number, []).append(log)
            if number in headers and bytes(log["blockHash"]) != headers[number][0]:
                raise ChainMoved
        # The UTC day of every block with events: the bound of the dates it may carry
        # (docs/spec/entries.md#chain-data-is-input).
        days: dict[int, _dt.date] = {}
        stamps: dict[int, int] = {}
        for number in event_blocks:
            stamp = self._chain.block_timestamp(number)
            if stamp is None:
                raise ChainMoved
            days[number] = date_from_days(stamp // _SECONDS_PER_DAY)
            stamps[number] = stamp
        filters = self._filters
        step = Projector(
            self._chain, self._address, executor, [log for log in logs if is_batch(log)], days, filters=filters
        )
        with self._transaction() as db:
            filters.before_step(db)  # first in the step: a build it starts sees every key of the steps before
            for number, block_logs in event_blocks.items():
                # eth-tester numbers logs per transaction, real nodes per block: our own count
                # within the block is the same on every node.
                for n, log in enumerate(block_logs):
                    step.apply(db, number, n, log)
                step.end_block(db, stamps[number])  # who is told of what, judged once the block is applied
            rows = [(number, h, 0) for number, (h, _parent) in headers.items()]
            db.executemany("INSERT OR REPLACE INTO blocks (number, hash, events) VALUES (?, ?, ?)", rows)
            db.executemany(
                "INSERT OR REPLACE INTO blocks (number, hash, events) VALUES (?, ?, ?)",
                [(number, bytes(ls[0]["blockHash"]), len(ls)) for number, ls in event_blocks.items()],
            )
            db.execute("DELETE FROM blocks WHERE number <= ? AND events = 0", (end - RECENT_BLOCKS,))
            merge_keys(db)  # the step's new keys down the levels of the key maps, in the same transaction
            set_last_indexed(db, end, headers[end][0])
        counts.add(step.counts)
        counts.first_block = start if counts.first_block is None else min(counts.first_block, start)
        self._trees.remember_all(step.trees)


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
