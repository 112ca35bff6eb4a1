"""Inclusion proofs of batched records: the batches' Merkle trees, cached and rebuilt on demand.

A record anchored in a batch is proved by the StandardMerkleTree of the batch's entries
(:mod:`registry.domain.merkle`), exactly the ``Inclusion`` the contract takes for amend / claim /
publish. The index does not copy a batch's calldata (issue 6: at most 250 bytes of index a
filing): since an entry has one encoding only (docs/spec/entries.md#batch-entry-layout), the entries are re-encoded from
``records`` and ``claims`` and checked against the anchored root; only a batch that lost entries
to earlier anchors is read again from its transaction (the chain is the source, property 3).
The newest trees are kept in a small cache (the batch just anchored is the one asked about next).
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from registry import errors
from registry.domain.entries import ClaimRef, Entry, encode_entry, split_entries
from registry.domain.merkle import MerkleTree
from registry.domain.types import IpRightKind, date_from_days
from registry.index.decode import batch_from_input
from registry.ledger.chain import Chain

__all__ = ["TREE_CACHE", "BatchTree", "TreeCache", "batch_tree"]

#: Trees kept in memory: the newest batches, which are the ones asked about.
TREE_CACHE = 16


@dataclass(frozen=True, slots=True)
class BatchTree:
    """The Merkle tree of one batch and its packed entries, in entry order."""

    tree: MerkleTree
    entries: list[bytes] = field(repr=False)


class TreeCache:
    """The trees of the newest batches by root, least recently used dropped first; thread-safe."""

    def __init__(self, size: int = TREE_CACHE) -> None:
        self._size = size
        self._trees: OrderedDict[bytes, BatchTree] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, root: bytes) -> BatchTree | None:
        """The cached tree of ``root``, if any (it becomes the most recently used)."""
        with self._lock:
            cached = self._trees.get(root)
            if cached is not None:
                self._trees.move_to_end(root)
            return cached

    def remember(self, root: bytes, tree: BatchTree) -> None:
        """Keep ``tree`` as the most recently used one."""
        with self._lock:
            self._remember(root, tree)

    def remember_all(self, trees: Iterable[tuple[bytes, BatchTree]]) -> None:
        """Keep every (root, tree) of ``trees``, the last one as the most recently used."""
        with self._lock:
            for root, tree in trees:
                self._remember(root, tree)

    def clear(self) -> None:
        """Forget every tree (a rollback may have removed their batches)."""
        with self._lock:
            self._trees.clear()

    def _remember(self, root: bytes, tree: BatchTree) -> None:
        self._trees[root] = tree
        self._trees.move_to_end(root)
        while len(self._trees) > self._size:
            self._trees.popitem(last=False)


def batch_tree(
    db: sqlite3.Connection, cache: TreeCache, chain: Chain, address: str, root: bytes, position: int
) -> BatchTree:
    """The tree of the batch anchored at chain ``position`` under ``root``: cached, rebuilt or read again.

    Raises :class:`~registry.errors.IndexInconsistent` when the chain no longer carries the batch
    there (a reorganisation the next sync rolls back) and :class:`~registry.errors.LedgerUnavailable`
    when the node is needed and cannot be reached.
    """
    cached = cache.get(root)
    if cached is not None:
        return cached
    block, tx_index, office, count, first_seq = db.execute(
        "SELECT block_number, tx_index, office, count, first_seq FROM anchors WHERE position = ?", (position,)
    ).fetchone()
    entries = _entries_from_rows(db, position, count, first_seq)
    tree = None if entries is None else MerkleTree.of(entries)
    # A root that differs cannot happen with one encoding per entry; if it did, the chain decides.
    if entries is None or tree is None or tree.root != root:
        entries = _entries_from_chain(chain, address, root, office, block, tx_index)
        tree = MerkleTree.of(entries)
        if tree.root != root:
            raise errors.IndexInconsistent(
                f"the transaction at block {block} no longer carries batch 0x{root.hex()}: sync the index again"
            )
    found = BatchTree(tree, entries)
    cache.remember(root, found)
    return found


def _entries_from_rows(db: sqlite3.Connection, position: int, count: int, first_seq: int | None) -> list[bytes] | None:
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
        claims.setdefault(later_seq, []).append(ClaimRef(earlier, date_from_days(days), office, token))
    return [
        encode_entry(Entry(commitment, IpRightKind(kind), date_from_days(days), digest, tuple(claims.get(seq, ()))))
        for seq, commitment, kind, days, digest in rows
    ]


def _entries_from_chain(chain: Chain, address: str, root: bytes, office: str, block: int, tx_index: int) -> list[bytes]:
    """A batch's packed entries read again from its transaction (the chain is the source).

    Raises :class:`~registry.errors.LedgerUnavailable` when the node cannot be reached, and
    :class:`~registry.errors.IndexInconsistent` when the transaction is no longer the batch's
    (a reorganisation the next sync will roll back).
    """
    tx = chain.transaction_at(block, tx_index)
    blob: bytes | None = None
    if tx is not None and (tx.to or "").lower() == address.lower():
        blob, _reason = batch_from_input(tx.input, root, office.encode("ascii"))
    if blob is None:
        raise errors.IndexInconsistent(
            f"the transaction of batch 0x{root.hex()} is no longer at block {block}, position {tx_index}:"
            " sync the index again"
        )
    return split_entries(blob)
