"""The embedded chain's blocks: deterministic, stamped with the clock, and replayed from the journal.

Blocks are made deterministic (py-evm's ``prevrandao`` comes from the parent hash instead of
``os.urandom``), so a chain replayed from its journal, block by block with the same timestamps, has
the same block hashes and an index built before a restart stays valid.

Mining also bounds two process-wide caches of py-evm's trie code (issue 18): py-trie memoizes the
encoding of every node a pruning trie writes (``functools.lru_cache(4096)`` on
``HexaryTrie._cached_create_node_to_db_mapping``, keyed by the trie too), and py-evm builds each
block's transaction trie in such a trie, so every 120 KB batch transaction stayed in memory twice
(its node and its encoding) for the last 4,096 blocks — ~240 KB a block, ~150 bytes a batched filing,
up to 1 GB; and ``eth.db.trie._make_trie_root_and_nodes`` keeps the last 128 blocks' transaction
tries. Both are pure memos (clearing them changes no result), so they are emptied as they grow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from registry.ledger.embedded.journal import JournalCorrupt, JournalScan

__all__ = ["deterministic_backend", "replay", "stamp_pending_block"]

# Entries py-trie's node memo may hold before it is emptied: the state trie's nodes of a few blocks
# (what the memo is for: pruning the nodes a block just wrote), not the transactions of thousands.
_TRIE_MEMO_KEEP = 256


def deterministic_backend(genesis_timestamp: int, *, base_db: Any = None) -> Any:
    """A py-evm backend whose blocks depend only on the transactions and their timestamps.

    ``base_db`` (a py-evm ``BaseDB``, e.g. :class:`~registry.ledger.embedded.diskdb.DiskDB`) holds the
    chain instead of eth-tester's in-memory dict: genesis is built in memory as eth-tester builds it,
    copied into ``base_db``, and the chain object rebuilt over it at its head (as a snapshot is restored).
    """
    from eth.db.atomic import AtomicDB
    from eth.vm.forks.paris import ParisVM
    from eth.vm.forks.prague import PragueVM
    from eth_tester import PyEVMBackend
    from eth_tester.backends.pyevm.main import get_total_blob_gas

    class DeterministicBackend(PyEVMBackend):  # type: ignore[misc]
        chain: Any

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
                _bound_trie_memos()
            return tuple(hashes)

        def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
            super().reset_to_genesis(*args, **kwargs)
            if base_db is not None:
                # eth-tester's one hook is the process-wide CHAIN_DB_BACKEND_CLASS; this moves the
                # genesis it built instead, pair by pair (a few dozen), and keeps its chain class.
                genesis = self.chain.chaindb.db.wrapped_db.kv_store
                for key, value in genesis.items():
                    base_db[key] = value
                self.chain = type(self.chain)(AtomicDB(base_db))

    params = PyEVMBackend.generate_genesis_params(overrides={"timestamp": genesis_timestamp})
    return DeterministicBackend(genesis_parameters=params)


def _bound_trie_memos() -> None:
    """Empty py-trie's and py-evm's trie memos once they hold more than a few blocks (module docstring)."""
    from eth.db import trie as evm_trie
    from trie.hexary import HexaryTrie

    memo = HexaryTrie._cached_create_node_to_db_mapping
    if memo.cache_info().currsize > _TRIE_MEMO_KEEP:
        memo.cache_clear()
    # Its use is within one block (built when the block is made, again when it is checked).
    evm_trie._make_trie_root_and_nodes.cache_clear()


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
