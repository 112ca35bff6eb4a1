"""Inclusion proofs of batched records, rebuilt from the index or read again from the chain (registry.index.proofs)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from eth_utils.crypto import keccak

from registry.domain.entries import ClaimRef, Entry
from registry.domain.merkle import verify_entry
from registry.domain.types import IpRightKind, date_to_days
from registry.index import Index
from tests.registry.index.support import (
    DAY,
    ZERO,
    Ledger,
    c,
    entry,
    inclusion,
)


def test_proofs_of_a_batch_whose_entries_all_won_are_rebuilt_from_the_index_alone(
    ledger: Ledger, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The index keeps no copy of the calldata: entries with claims and digests are re-encoded from
    # records and claims, and must hash to the anchored root without asking the node.
    ledger.store("JP", entry("earlier"))
    entries = [
        entry("x", days=40, claims=(ClaimRef(c("earlier"), DAY, "EP"), ClaimRef(c("elsewhere"), DAY, "EP"))),
        entry("y", days=41, digest=keccak(b"y")),
        entry("z", days=42, digest=keccak(b"z"), claims=(ClaimRef(c("earlier"), DAY, "EP"),)),
    ]
    tree, encoded = ledger.batch("US", entries)
    index.sync()

    def no_node(*_args: object) -> None:
        raise AssertionError("the proof of a batch without lost entries needs no transaction")

    monkeypatch.setattr(ledger.chain, "transaction_at", no_node)
    for i, e in enumerate(entries):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert (record.inclusion.entry, list(record.inclusion.proof)) == (encoded[i], tree.proof(i))
        assert verify_entry(tree.root, record.inclusion.entry, record.inclusion.proof)


def test_proofs_of_a_batch_that_lost_entries_are_read_again_from_its_transaction(ledger: Ledger, index: Index) -> None:
    ledger.store("EP", entry("held"))
    entries = [entry("held", days=5), entry("new", claims=(ClaimRef(c("held"), DAY, "EP"),)), entry("new", days=9)]
    tree, encoded = ledger.batch("JP", entries)
    index.sync()
    record = index.record(c("new"))
    assert record is not None and record.inclusion is not None and record.inclusion.entry_index == 1
    assert (record.inclusion.entry, list(record.inclusion.proof)) == (encoded[1], tree.proof(1))
    assert ledger.view(
        "verifyInclusion", record.office.encode(), tree.root, record.inclusion.entry, list(record.inclusion.proof)
    )


def test_proofs_from_the_index_verify_on_chain_and_let_the_office_amend(ledger: Ledger, index: Index) -> None:
    entries = [entry(f"p{i}", claims=(ClaimRef(c("x"), DAY, "EP"),) if i % 3 == 0 else ()) for i in range(37)]
    ledger.batch("EP", entries)
    index.sync()
    for e in (entries[0], entries[18], entries[36]):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert ledger.view(
            "verifyInclusion",
            record.office.encode(),
            record.inclusion.root,
            record.inclusion.entry,
            list(record.inclusion.proof),
        )
    record = index.record(entries[5].commitment)
    assert record is not None
    ledger.tx(
        ledger.offices["EP"],
        "amendFiling",
        entries[5].commitment,
        date_to_days(DAY) + 2,
        ZERO,
        inclusion(record.inclusion),
    )
    index.sync()
    amended = index.record(entries[5].commitment)
    assert amended is not None and amended.version == 2


def test_ten_thousand_batched_filings_are_all_found_with_valid_proofs(ledger: Ledger, index: Index) -> None:
    entries = [
        Entry(keccak(b"bulk" + i.to_bytes(4, "big")), IpRightKind.PATENT, DAY + dt.timedelta(days=i % 200))
        for i in range(10_000)
    ]
    roots = [ledger.batch("EP", entries[:5000])[0].root, ledger.batch("EP", entries[5000:])[0].root]
    started = time.perf_counter()
    report = index.sync()
    elapsed = time.perf_counter() - started
    assert report.filings == 10_000 and report.batches == 2
    for i, e in enumerate(entries):
        record = index.record(e.commitment)
        assert record is not None and record.inclusion is not None
        assert record.inclusion.root == roots[i // 5000]
        assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)
    last = index.record(entries[-1].commitment)
    assert last is not None and last.inclusion is not None
    assert ledger.view(
        "verifyInclusion", last.office.encode(), last.inclusion.root, last.inclusion.entry, list(last.inclusion.proof)
    )
    assert elapsed < 5.0, f"indexing 10,000 filings took {elapsed:.2f} s"
    assert index.size_bytes() / 10_000 < 250
