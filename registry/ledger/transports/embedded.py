"""The transport to the embedded chain: eth-tester on py-evm, in this process
(docs/design.md#p8-one-writer-per-state-directory).

Sends go one at a time (one py-evm instance), each into a block stamped with this machine's clock
(:func:`registry.ledger.embedded.stamp_pending_block`) and, on a durable chain, journaled before the
next one is mined (:mod:`registry.ledger.embedded`). Reads that eth-tester answers slowly are
answered from py-evm's own database instead: eth-tester answers ``eth_getLogs`` by looking every
transaction up by hash, scanning the chain back from the head each time (quadratic in the chain's
length: a 3.7 M-filing chain took minutes for 64 blocks), and ``get_block`` hashes every 120 KB
batch transaction to list it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes
from web3 import EthereumTesterProvider, Web3

from registry import errors
from registry.ledger.embedded import DiskDB, Journal, open_tester, stamp_pending_block
from registry.ledger.transports.base import Topics, TransactionRef, Web3Transport

__all__ = ["EmbeddedTransport"]

# Hashes of embedded transactions remembered by (block hash, position): a batch's hash is keccak
# over its 120 KB, ~0.3 ms, and the index asks for it twice (its logs, then its input).
_TX_HASHES = 256


class EmbeddedTransport(Web3Transport):
    """The in-process eth-tester chain, optionally durable through its journal."""

    kind = "embedded"

    def __init__(
        self, tester: Any, journal: Journal | None, *, read_only: bool = False, disk_db: DiskDB | None = None
    ) -> None:
        super().__init__(Web3(EthereumTesterProvider(tester)))
        self.tester = tester
        self.journal = journal
        self.disk_db = disk_db
        """The SQLite file py-evm's database lives in, if not memory (:meth:`open` ``chain_db``)."""
        self._read_only = read_only
        # One py-evm instance: sends (and their journal records) go one at a time.
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._tx_hashes: OrderedDict[tuple[bytes, int], bytes] = OrderedDict()

    @classmethod
    def open(
        cls, state_dir: Path | None, *, read_only: bool = False, chain_db: Path | None = None
    ) -> EmbeddedTransport:
        """A new chain (``state_dir`` None) or the durable one of ``state_dir``, rebuilt from its journal.

        ``chain_db`` (a new chain only): keep py-evm's database in a SQLite file there
        (:class:`~registry.ledger.embedded.DiskDB`) instead of memory — a scratch file, removed by its owner.
        """
        if chain_db is not None and state_dir is not None:
            raise ValueError("chain_db is for a new, non-durable chain: a state directory keeps its chain in memory")
        durable_read_only = read_only and state_dir is not None
        disk_db = DiskDB(chain_db) if chain_db is not None else None
        tester, journal = open_tester(state_dir, now=int(time.time()), read_only=durable_read_only, base_db=disk_db)
        return cls(tester, journal, read_only=durable_read_only, disk_db=disk_db)

    @property
    def read_only(self) -> bool:
        return self._read_only

    def funder_key(self) -> bytes:
        """The private key of the chain's first account, which genesis funds."""
        return bytes(self.tester.backend.account_keys[0].to_bytes())

    def is_dev_node(self) -> bool:
        return True

    # ── reads from py-evm's database ────────────────────────────────────────────────────

    def _chain(self) -> Any:
        return self.tester.backend.chain

    def _canonical(self, number: int) -> Any:
        """py-evm's canonical header of mined block ``number``, or ``None``."""
        chain = self._chain()
        if number < 0 or number > chain.get_canonical_head().block_number:
            return None
        return chain.get_canonical_block_header_by_number(number)

    def latest_timestamp(self) -> int:
        # A block is mined for each transaction, stamped when it is sent: between writes the head
        # grows old while the next block will carry the current time, so that next one is taken.
        head = int(self._chain().get_canonical_head().timestamp)
        return max(head, int(time.time()))

    def header(self, number: int) -> tuple[bytes, bytes] | None:
        header = self._canonical(number)
        return None if header is None else (bytes(header.hash), bytes(header.parent_hash))

    def block_timestamp(self, number: int) -> int | None:
        header = self._canonical(number)
        return None if header is None else int(header.timestamp)

    def logs(self, address: str, from_block: int, to_block: int, topics: Topics = None) -> list[Any]:
        chain = self._chain()
        wanted_topics = None if topics is None else [None if t is None else {bytes(v) for v in t} for t in topics]
        wanted = bytes(HexBytes(address))
        out: list[Any] = []
        # The head once for the whole range, not once a block.
        last = min(to_block, chain.get_canonical_head().block_number)
        for number in range(max(0, from_block), last + 1):
            header = chain.get_canonical_block_header_by_number(number)
            if header.gas_used == 0:
                continue  # no transaction, no log
            block = chain.get_block_by_header(header)
            log_index = 0
            for tx_index, (tx, receipt) in enumerate(
                zip(block.transactions, block.get_receipts(chain.chaindb), strict=True)
            ):
                tx_hash: bytes | None = None
                for log in receipt.logs:
                    if bytes(log.address) == wanted and _topics_match(log.topics, wanted_topics):
                        tx_hash = tx_hash or self._tx_hash(header, tx_index, tx)
                        out.append(
                            {
                                "address": address,
                                "topics": [topic.to_bytes(32, "big") for topic in log.topics],
                                "data": bytes(log.data),
                                "blockNumber": number,
                                "blockHash": bytes(header.hash),
                                "transactionIndex": tx_index,
                                "transactionHash": tx_hash,
                                "logIndex": log_index,
                                "removed": False,
                            }
                        )
                    log_index += 1
        return out

    def _tx_hash(self, header: Any, index: int, tx: Any) -> bytes:
        key = (bytes(header.hash), index)
        with self._lock:
            known = self._tx_hashes.get(key)
        if known is None:
            known = bytes(tx.hash)
            with self._lock:
                self._tx_hashes[key] = known
                while len(self._tx_hashes) > _TX_HASHES:
                    self._tx_hashes.popitem(last=False)
        return known

    def transaction_at(self, block_number: int, index: int) -> TransactionRef | None:
        header = self._canonical(block_number)
        if header is None:
            return None
        transactions = self._chain().get_block_by_header(header).transactions
        if not 0 <= index < len(transactions):
            return None
        tx = transactions[index]
        return TransactionRef(
            transaction_hash=self._tx_hash(header, index, tx),
            block_hash=bytes(header.hash),
            to=to_checksum_address(tx.to) if tx.to else None,
            input=bytes(tx.data),
        )

    # ── writes ──────────────────────────────────────────────────────────────────────────

    def submit(self, raw: bytes) -> bytes:
        with self._send_lock:
            timestamp = stamp_pending_block(self.tester, int(time.time()))
            tx_hash = bytes(self.w3.eth.send_raw_transaction(raw))
            if self.journal is not None:
                self.journal.append(timestamp, raw)
            return tx_hash

    def sync(self) -> None:
        if self.journal is not None:
            self.journal.sync()  # acknowledged means journaled (docs/design.md#p7-acknowledged-means-on-the-ledger)

    def unlock(self, private_key: bytes) -> None:
        self.tester.add_account("0x" + private_key.hex())

    # ── tests and the state-machine model ───────────────────────────────────────────────

    def advance_time(self, head: int, seconds: int) -> None:
        if self.journal is not None:
            raise errors.LedgerError("a durable chain keeps real time: its journal replays blocks as mined")
        self.tester.time_travel(head + seconds)

    def snapshot(self) -> int:
        return int(self.tester.take_snapshot())

    def revert(self, snapshot_id: int) -> None:
        if self.journal is not None:
            raise errors.LedgerError("a durable chain cannot go back: its journal only grows")
        self.tester.revert_to_snapshot(snapshot_id)

    def close(self) -> None:
        if self.journal is not None:
            self.journal.close()
            self.journal = None
        if self.disk_db is not None:
            self.disk_db.close()


def _topics_match(topics: Sequence[int], wanted: Sequence[set[bytes] | None] | None) -> bool:
    """``eth_getLogs`` topic matching: position i of ``wanted`` holds the values topic i may take (``None``: any)."""
    if wanted is None:
        return True
    if len(wanted) > len(topics):
        return False
    return all(w is None or t.to_bytes(32, "big") in w for t, w in zip(topics, wanted, strict=False))
