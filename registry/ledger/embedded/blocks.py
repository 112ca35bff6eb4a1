"""The embedded chain's blocks: deterministic, stamped with the clock, and replayed from the journal.

Blocks are made deterministic (py-evm's ``prevrandao`` comes from the parent hash instead of
``os.urandom``), so a chain replayed from its journal, block by block with the same timestamps, has
the same block hashes and an index built before a restart stays valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from registry.ledger.embedded.journal import JournalCorrupt, JournalScan

__all__ = ["deterministic_backend", "replay", "stamp_pending_block"]


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
