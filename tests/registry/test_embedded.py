"""The durable embedded chain (registry.embedded): same chain after a restart, torn journals refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from registry.chain import Chain
from registry.client import deploy
from registry.embedded import JournalCorrupt
from registry.entries import Entry
from registry.types import IpRightKind


def _entry(i: int) -> Entry:
    return Entry(i.to_bytes(32, "big"), IpRightKind.PATENT, dt.date(2024, 1, 1) + dt.timedelta(days=i))


def test_a_restarted_embedded_chain_holds_everything_it_acknowledged_with_the_same_block_hashes(
    tmp_path: Path,
) -> None:
    first = Chain.embedded(tmp_path)
    registrar = deploy(first, first.new_account())
    office = first.new_account()
    registrar.admit_office("EP", office.address)
    ep = registrar.for_account(office)
    ep.anchor_filing(_entry(1))
    (batch,) = ep.anchor_batch([_entry(i) for i in range(2, 50)])
    head = first.block_number()
    hashes = [bytes(first.w3.eth.get_block(n)["hash"]) for n in range(head + 1)]
    first.close()

    again = Chain.embedded(tmp_path)
    assert again.block_number() == head
    assert [bytes(again.w3.eth.get_block(n)["hash"]) for n in range(head + 1)] == hashes
    client = registrar.__class__(again, registrar.address, office)
    assert client.record_office(_entry(1).commitment) == "EP"
    assert client.batch_office(batch.root) == "EP"
    # The restarted chain keeps going: the office writes again with its local nonce re-read.
    client.anchor_filing(_entry(99))
    again.close()
    assert Chain.embedded(tmp_path).block_number() == head + 1


def test_a_torn_journal_tail_is_reported_not_used(tmp_path: Path) -> None:
    chain = Chain.embedded(tmp_path)
    deploy(chain, chain.new_account())
    chain.close()
    journal = tmp_path / "chain.journal"
    journal.write_bytes(journal.read_bytes()[:-5])
    with pytest.raises(JournalCorrupt, match="torn record"):
        Chain.embedded(tmp_path)


def test_a_flipped_byte_in_the_journal_is_reported_not_used(tmp_path: Path) -> None:
    chain = Chain.embedded(tmp_path)
    deploy(chain, chain.new_account())
    chain.close()
    journal = tmp_path / "chain.journal"
    data = bytearray(journal.read_bytes())
    data[-10] ^= 0xFF
    journal.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="checksum"):
        Chain.embedded(tmp_path)
