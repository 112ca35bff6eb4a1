"""Following the chain: rebuilt equals live, checks in a pool, reorganisations, confirmations (registry.index.sync)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import pytest

from registry.domain.entries import ClaimRef
from registry.domain.merkle import verify_entry
from registry.index import Index
from tests.registry.index.support import (
    DAY,
    Ledger,
    anchored,
    c,
    claimed_by,
    entry,
    rebuilt,
    story,
)


def test_the_index_rebuilt_from_scratch_equals_the_live_one_row_for_row(ledger: Ledger, index: Index) -> None:
    story(ledger, after=index.sync)
    live = index.dump()
    assert live == rebuilt(ledger)
    assert all(live[table] for table in ("records", "versions", "claims", "conflicts", "publications", "anchors"))


def test_batches_checked_in_a_process_pool_give_the_same_index(ledger: Ledger) -> None:
    # A refused batch, conflicts, claims, digests and more batches than the pool checks ahead.
    story(ledger)
    for n in range(6):
        ledger.batch("US", [entry(f"pool-{n}-{i}", claims=(ClaimRef(c("us-1"), DAY, "EP"),)) for i in range(n + 1)])
    # A duplicate within US (a conflict); the same bytes from JP would be JP's own record.
    ledger.batch("US", [entry("pool-0-0"), entry("pool-last")])
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        with Index(":memory:", ledger.chain, ledger.address) as idx:
            report = idx.sync(executor=pool)
            assert report.refused_batches == 1 and report.conflicts >= 2
            assert idx.dump() == rebuilt(ledger)
            record = idx.record(c("pool-5-3"))
            assert record is not None and record.inclusion is not None
            assert verify_entry(record.inclusion.root, record.inclusion.entry, record.inclusion.proof)
    finally:
        pool.shutdown()


def test_an_executor_that_is_shut_down_leaves_the_checks_to_the_index(ledger: Ledger) -> None:
    story(ledger)
    pool = ThreadPoolExecutor(1)
    pool.shutdown()  # submit now raises: the index checks the batches itself
    with Index(":memory:", ledger.chain, ledger.address) as idx:
        assert idx.sync(executor=pool).refused_batches == 1
        assert idx.dump() == rebuilt(ledger)


def test_a_reorganisation_is_rolled_back_and_the_new_branch_indexed(ledger: Ledger, index: Index) -> None:
    ledger.batch("EP", [entry("kept")])
    index.sync()
    fork = ledger.chain.snapshot()
    ledger.batch("US", [entry("orphaned", claims=(ClaimRef(c("kept"), DAY, "EP"),))])
    ledger.store("JP", entry("orphaned-too", claims=(ClaimRef(c("kept"), DAY, "EP"),)))
    index.sync()
    assert anchored(index, c("orphaned")) and len(claimed_by(index, c("kept"))) == 2
    ledger.chain.revert(fork)
    ledger.mine(1)
    ledger.batch("JP", [entry("new-branch"), entry("orphaned-too")])
    ledger.mine(2)
    report = index.sync()
    assert report.rolled_back >= 2
    assert not anchored(index, c("orphaned"))
    assert anchored(index, c("kept")) and anchored(index, c("new-branch"))
    orphan = index.record(c("orphaned-too"))
    assert orphan is not None and orphan.office == "JP" and orphan.batch_root is not None
    assert claimed_by(index, c("kept")) == () and orphan.priority_claims == ()
    assert index.dump() == rebuilt(ledger)


def test_confirmations_keep_the_index_behind_the_head(ledger: Ledger) -> None:
    with Index(":memory:", ledger.chain, ledger.address, confirmations=2) as idx:
        ledger.batch("EP", [entry("young")])
        idx.sync()
        assert not anchored(idx, c("young"))
        assert idx.last_block() == ledger.chain.block_number() - 2
        ledger.mine(2)
        idx.sync()
        assert anchored(idx, c("young"))


def test_a_reorganisation_while_a_sync_step_reads_the_chain_is_noticed_and_the_step_read_again(
    ledger: Ledger, index: Index, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.batch("EP", [entry("kept")])
    index.sync()
    fork = ledger.chain.snapshot()
    ledger.batch("US", [entry("seen-then-gone")])
    read_logs = ledger.chain.logs
    forked = False

    def logs_then_the_chain_moves(address: str, start: int, end: int) -> list[Any]:
        nonlocal forked
        logs = read_logs(address, start, end)
        if not forked:  # the node switches branches right after answering
            forked = True
            ledger.chain.revert(fork)
            ledger.mine(1)
            ledger.batch("JP", [entry("other-branch")])
        return logs

    monkeypatch.setattr(ledger.chain, "logs", logs_then_the_chain_moves)
    report = index.sync()
    assert forked
    assert (report.batches, report.filings) == (1, 1)  # the abandoned read is not counted
    assert not anchored(index, c("seen-then-gone")) and anchored(index, c("other-branch"))
    assert index.dump() == rebuilt(ledger)
