"""py-evm's database in a SQLite file (registry.ledger.embedded.diskdb): it answers as py-evm's in-memory
database does, through py-evm's own interface and its buffers' edges, and a real embedded chain on it
anchors batches that the index reads back (issue 18: a 20 M-filing bench without the chain in memory)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB

from registry.domain.entries import Entry
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import deploy
from registry.ledger.embedded import DiskDB
from registry.ledger.transports.embedded import EmbeddedTransport


def _entry(i: int) -> Entry:
    return Entry(i.to_bytes(32, "big"), IpRightKind.PATENT, dt.date(2024, 1, 1) + dt.timedelta(days=i % 300))


@pytest.mark.parametrize("write_buffer_bytes", [1, 10**9], ids=["flushed-at-once", "buffered"])
def test_the_disk_database_stores_reads_and_deletes_like_pythons_memory_database(
    tmp_path: Path, write_buffer_bytes: int
) -> None:
    disk = DiskDB(tmp_path / "chain.sqlite", cache_bytes=4_000, write_buffer_bytes=write_buffer_bytes)
    memory = MemoryDB()
    for db in (disk, memory):
        for i in range(200):
            db.set(b"k%d" % i, b"v%d" % i * (i % 7 + 1))
        db[b"k5"] = b"replaced"
        db.delete(b"k6")
        db.delete(b"never there")  # py-evm's delete ignores a missing key
        del db[b"k7"]
        with pytest.raises(KeyError):
            del db[b"k7"]
    for i in range(220):
        key = b"k%d" % i
        assert disk.exists(key) == memory.exists(key) == (key in memory)
        if memory.exists(key):
            assert disk[key] == memory[key]
        else:
            with pytest.raises(KeyError):
                disk[key]
    disk.close()
    # What was written is in the file: a new DiskDB on it reads it back, deletes included.
    reopened = DiskDB(tmp_path / "chain.sqlite")
    assert reopened[b"k5"] == b"replaced" and reopened[b"k199"] == memory[b"k199"]
    assert not reopened.exists(b"k6") and not reopened.exists(b"k7")
    reopened.close()


def test_the_disk_database_commits_py_evms_atomic_batches_and_drops_the_failed_ones(tmp_path: Path) -> None:
    disk = DiskDB(tmp_path / "chain.sqlite", write_buffer_bytes=1)
    atomic = AtomicDB(disk)
    atomic[b"kept"] = b"1"
    with atomic.atomic_batch() as batch:
        batch[b"a"] = b"2"
        del batch[b"kept"]
    assert atomic[b"a"] == b"2" and not atomic.exists(b"kept")
    with pytest.raises(RuntimeError), atomic.atomic_batch() as batch:
        batch[b"b"] = b"3"
        raise RuntimeError("py-evm drops a batch that raises")
    assert not atomic.exists(b"b")
    disk.close()


def test_the_read_cache_stays_within_its_bound(tmp_path: Path) -> None:
    disk = DiskDB(tmp_path / "chain.sqlite", cache_bytes=10_000, write_buffer_bytes=1)
    for i in range(1_000):
        disk[b"%d" % i] = bytes(100)
    for i in range(1_000):
        assert disk[b"%d" % i] == bytes(100)
    assert disk._cache_used <= 10_000 and 0 < len(disk._cache) < 1_000
    assert disk.reads >= 1_000  # each came from SQLite once
    disk.close()


def test_an_embedded_chain_on_the_disk_database_anchors_batches_that_the_index_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "chain.sqlite"
    chain = Chain.embedded(chain_db=path)
    try:
        transport = chain.transport
        assert isinstance(transport, EmbeddedTransport) and transport.disk_db is not None
        registrar = deploy(chain, chain.new_account())
        office = chain.new_account()
        registrar.admit_office("EP", office.address)
        ep = registrar.for_account(office)
        batches = [ep.anchor_batch([_entry(i) for i in range(start, start + 300)]) for start in range(0, 1_200, 300)]
        ep.anchor_filing(_entry(5_000))
        # Nothing of the chain is in a py-evm MemoryDB: the chain object's database is the DiskDB.
        assert chain.transport.tester.backend.chain.chaindb.db.wrapped_db is transport.disk_db
        transport.disk_db.flush()
        assert path.stat().st_size > 1_200 * 38  # the batches' entries, at least
        with Index(str(tmp_path / "index.sqlite"), chain, registrar.address) as index:
            index.sync()
            stats = index.stats()
            assert stats.filings == 1_201 and stats.batches == 4 and stats.conflicts == 0
        first = batches[0][0]
        sent = transport.transaction_at(first.block_number, 0)
        assert sent is not None and sent.to == registrar.address
    finally:
        chain.close()


def test_a_durable_chain_refuses_the_disk_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chain_db"):
        Chain.embedded(tmp_path / "state", chain_db=tmp_path / "chain.sqlite")
