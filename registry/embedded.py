"""The embedded chain (eth-tester on py-evm), made durable by a journal in a state directory.

DESIGN.md property 8 makes the embedded chain the default ledger; an office will not anchor in
something that forgets on restart. Every transaction the chain accepts is appended to
``chain.journal`` — its raw signed bytes and the timestamp of the block that included it — and
the journal is fsynced before the write is acknowledged (property 7). On start the chain is
rebuilt from the same genesis by replaying the journal, block by block, with the same timestamps.
Blocks are made deterministic (py-evm's ``prevrandao`` comes from the parent hash instead of
``os.urandom``), so a replayed chain has the same block hashes and an index built before the
restart stays valid.

Journal format (version 1): a header line ``PRIOREG-JOURNAL 1 <genesis timestamp>\\n``, then
records ``length (4, big-endian) | crc32 (4) | timestamp (8) | raw transaction``. A torn or
corrupt record is never used: :class:`JournalCorrupt` reports where it is.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from registry.errors import RegistryError

__all__ = ["Journal", "JournalCorrupt", "deterministic_backend", "open_tester", "read_journal", "stamp_pending_block"]

_MAGIC = b"PRIOREG-JOURNAL 1 "
_RECORD = struct.Struct(">IIQ")  # length of (timestamp + raw), crc32 of the same, timestamp


class JournalCorrupt(RegistryError):
    """Raised when the chain journal has a torn or corrupt record; it is never silently used."""

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


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


class Journal:
    """The append-only record of every transaction the embedded chain accepted."""

    FILE_NAME = "chain.journal"

    def __init__(self, path: Path, genesis_timestamp: int) -> None:
        self.path = path
        self.genesis_timestamp = genesis_timestamp
        self._file = path.open("ab")
        self._lock = threading.Lock()
        self._dirty = False

    @classmethod
    def open(cls, state_dir: Path, *, now: int) -> tuple[Journal, list[tuple[int, bytes]]]:
        """Open (or create) the journal in ``state_dir``; return it with the records to replay."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / cls.FILE_NAME
        if not path.exists() or path.stat().st_size == 0:
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as fh:
                fh.write(_MAGIC + str(now).encode() + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            tmp.replace(path)
            _fsync_dir(state_dir)
            return cls(path, now), []
        genesis, records = read_journal(path)
        return cls(path, genesis), records

    def append(self, timestamp: int, raw: bytes) -> None:
        """Append one accepted transaction (written now, durable at the next :meth:`sync`)."""
        payload = struct.pack(">Q", timestamp) + raw
        header = struct.pack(">II", len(payload), zlib.crc32(payload))
        with self._lock:
            self._file.write(header + payload)
            self._dirty = True

    def sync(self) -> None:
        """Make every appended record durable (flush + fsync) — before any write is acknowledged."""
        with self._lock:
            if self._dirty:
                self._file.flush()
                os.fsync(self._file.fileno())
                self._dirty = False

    def close(self) -> None:
        """Sync and close the file."""
        self.sync()
        with self._lock:
            self._file.close()


def read_journal(path: Path) -> tuple[int, list[tuple[int, bytes]]]:
    """Read and verify a whole journal: the genesis timestamp and the ``(timestamp, raw)`` records."""
    data = path.read_bytes()
    line_end = data.find(b"\n")
    if not data.startswith(_MAGIC) or line_end < 0:
        raise JournalCorrupt(f"{path} is not a prioreg chain journal (bad header)", offset=0)
    try:
        genesis = int(data[len(_MAGIC) : line_end])
    except ValueError:
        raise JournalCorrupt(f"{path} has an unreadable genesis timestamp", offset=0) from None
    return genesis, list(_records(path, data, line_end + 1))


def _records(path: Path, data: bytes, offset: int) -> Iterator[tuple[int, bytes]]:
    end = len(data)
    while offset < end:
        if end - offset < 8:
            raise JournalCorrupt(
                f"{path} ends in a torn record at byte {offset} (a write was cut short); "
                "the transactions before it are intact — see `prioreg serve --help` for recovery",
                offset=offset,
            )
        length, crc = struct.unpack_from(">II", data, offset)
        body = data[offset + 8 : offset + 8 + length]
        if len(body) != length or length < 8:
            raise JournalCorrupt(f"{path} ends in a torn record at byte {offset}", offset=offset)
        if zlib.crc32(body) != crc:
            raise JournalCorrupt(f"{path} has a corrupt record at byte {offset} (checksum mismatch)", offset=offset)
        (timestamp,) = struct.unpack_from(">Q", body)
        yield timestamp, bytes(body[8:])
        offset += 8 + length


def open_tester(state_dir: Path | None, *, now: int) -> tuple[Any, Journal | None]:
    """An EthereumTester on a deterministic backend; with ``state_dir``, replayed from its journal."""
    from eth_tester import EthereumTester

    if state_dir is None:
        return EthereumTester(backend=deterministic_backend(now)), None
    journal, records = Journal.open(state_dir, now=now)
    backend = deterministic_backend(journal.genesis_timestamp)
    tester = EthereumTester(backend=backend)
    for timestamp, raw in records:
        # The block that included this transaction had this timestamp; give the pending block
        # the same one so that time-dependent code (deadlines) and block hashes replay exactly.
        backend.chain.header = backend.chain.header.copy(timestamp=timestamp)
        backend.send_raw_transaction(raw)
        backend.mine_blocks()
    return tester, journal


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
