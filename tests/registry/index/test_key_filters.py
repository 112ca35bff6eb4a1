"""The key maps' Bloom filters (registry.index.key_filters): never a key dropped, first anchored still wins.

A filter that lost a key would let an office anchor a commitment it already holds as a second
record (docs/design.md#p4-first-write-wins-history-stays), or keep a claim out of a family. These
tests build the filters every way the writer does (empty at the start, in a thread over a reopened
file while steps go on, again at twice the size, never for a read-only command's copy) and then
anchor the same commitments again: each must be a conflict.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from registry.domain.entries import ClaimRef, Entry
from registry.index import Index, key_filters
from registry.index.key_filters import KeyFilter, KeyFilters
from registry.index.keys import CLAIM_KEYS, RECORD_KEYS
from tests.registry.index.support import DAY, Ledger, c, claimed_by, entry, rebuilt


def _filled(keys: list[bytes], log2: int = 20) -> KeyFilter:
    one = KeyFilter(RECORD_KEYS)
    one._use(bytearray(1 << (log2 - 3)), log2, 0)
    one.add(keys)
    return one


def test_a_filter_passes_every_key_it_was_given_and_few_others() -> None:
    keys = [os.urandom(32) for _ in range(65_536)]  # 16 bits a key at 2²⁰ bits
    one = _filled(keys)
    assert one.maybe(keys) == keys
    assert one.maybe([k[:8] for k in keys[:1000]]) == [k[:8] for k in keys[:1000]]  # a prefix is the same key
    others = [os.urandom(32) for _ in range(100_000)]
    passed = len(one.maybe(others))
    assert passed < 2_000  # ~0.5 % expected at 16 bits a key, three positions
    assert passed > 0  # it is a filter, not a set: some get through, and are looked up in SQLite


def test_without_a_filter_and_for_values_too_short_to_place_every_value_goes_to_sqlite() -> None:
    none = KeyFilter(CLAIM_KEYS)
    values = [os.urandom(32) for _ in range(10)]
    assert not none.ready and none.maybe(values) == values
    none.add(values)  # no filter in use and no build: nothing to remember, nothing lost
    assert none.maybe(values) == values
    short = [b"\x01\x02", b""]
    assert _filled([os.urandom(32)]).maybe(short) == short


def _entries(prefix: str, n: int, **kwargs: Any) -> list[Entry]:
    return [entry(f"{prefix}-{i}", **kwargs) for i in range(n)]


def _every_key_passes(index: Index) -> None:
    """The writer's filters pass every key its maps hold, in every level."""
    filters = index._filters
    assert filters is not None
    with index._reading() as db:
        for one, keys in ((filters.records, RECORD_KEYS), (filters.claims, CLAIM_KEYS)):
            held = [bytes(row[0]) for n in range(3) for row in db.execute(f"SELECT prefix FROM {keys.level(n)}")]
            assert one.maybe(held) == held


def _again_are_conflicts(ledger: Ledger, index: Index, office: str, again: list[Entry]) -> None:
    """``office`` anchors ``again`` a second time, with one new filing (a batch root is anchored only once)."""
    before = index.stats()
    ledger.batch(office, [*again, entry(f"new-after-{before.filings}-{before.conflicts}")])
    index.sync()
    after = index.stats()
    assert after.conflicts - before.conflicts == len(again)
    assert after.filings == before.filings + 1


@dataclass
class HeldScan:
    """Builds in a thread that read the levels, then wait for ``release`` before they hand in their filter."""

    scanned: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def held_scan(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldScan]:
    held = HeldScan()
    scan = key_filters._scan

    def waiting(*args: Any) -> Any:
        result = scan(*args)
        held.scanned.release()
        assert held.release.wait(30)
        return result

    monkeypatch.setattr(key_filters, "_scan", waiting)
    yield held
    held.release.set()


def test_a_reopened_file_builds_its_filters_in_a_thread_and_the_steps_meanwhile_lose_nothing(
    ledger: Ledger, tmp_path: Path, held_scan: HeldScan
) -> None:
    path = tmp_path / "index.sqlite"
    old = _entries("old", 40)
    claim = ClaimRef(c("early"), DAY, "EP")  # names a filing anchored later: the family must find it
    with Index(path, ledger.chain, ledger.address) as first:
        ledger.batch("EP", old)
        ledger.batch("US", [entry("later", claims=(claim,))])
        first.sync()
    with Index(path, ledger.chain, ledger.address) as index:
        filters = index._filters
        assert isinstance(filters, KeyFilters)
        _again_are_conflicts(ledger, index, "EP", old[:10])  # the build waits: no filter, all to SQLite
        assert not filters.records.ready and not filters.claims.ready
        assert held_scan.scanned.acquire(timeout=10) and held_scan.scanned.acquire(timeout=10)
        during = _entries("during", 30, claims=(ClaimRef(c("early-too"), DAY, "EP"),))
        ledger.batch("EP", during)  # keys the scans did not see: only in what the steps kept aside
        index.sync()
        held_scan.release.set()
        for one in (filters.records, filters.claims):
            build = one._build
            assert build is not None
            build.thread.join(10)
        ledger.batch("JP", [entry("jp")])
        index.sync()  # the build is taken in at this step's start
        assert filters.records.ready and filters.claims.ready
        _every_key_passes(index)
        _again_are_conflicts(ledger, index, "EP", old[10:] + during)
        ledger.batch("EP", [entry("early"), entry("early-too")])
        index.sync()
        assert [x.later for x in claimed_by(index, c("early"))] == [c("later")]
        assert len(claimed_by(index, c("early-too"))) == len(during)
        with index._reading() as db:
            label = dict(db.execute("SELECT commitment, family FROM records"))
        assert label[c("early")] is not None and label[c("early")] == label[c("later")]
        assert label[c("early-too")] is not None and label[c("early-too")] == label[c("during-0")]
        assert index.dump() == rebuilt(ledger)


@pytest.mark.parametrize("where", ["file", "memory"])
def test_a_filter_is_built_again_at_twice_the_size_and_still_passes_every_key(
    ledger: Ledger, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    monkeypatch.setattr(key_filters, "MIN_BITS_LOG2", 10)  # 1,024 bits: built again past 128 keys
    path = tmp_path / "index.sqlite" if where == "file" else ":memory:"
    with Index(path, ledger.chain, ledger.address) as index:
        filters = index._filters
        assert filters is not None
        first = _entries("a", 150, claims=(ClaimRef(c("x"), DAY, "US"),))
        ledger.batch("EP", first)
        index.sync()
        assert filters.records._mask + 1 == 1024  # full now: the next step builds it again
        second = _entries("b", 150)
        ledger.batch("EP", second)
        index.sync()
        if where == "file":
            for one in (filters.records, filters.claims):
                if one._build is not None:
                    one._build.thread.join(10)
            ledger.batch("JP", [entry("jp")])
            index.sync()
        assert filters.records._mask + 1 > 1024 and filters.claims._mask + 1 > 1024
        _every_key_passes(index)
        _again_are_conflicts(ledger, index, "EP", first + second)
        assert index.dump() == rebuilt(ledger)


def test_a_read_only_commands_copy_keeps_no_filter_and_still_finds_what_the_file_holds(
    ledger: Ledger, tmp_path: Path
) -> None:
    path = tmp_path / "index.sqlite"
    old = _entries("old", 20)
    with Index(path, ledger.chain, ledger.address) as writer:
        ledger.batch("EP", old)
        writer.sync()
    copy = Index.in_memory_copy(path, ledger.chain, ledger.address)
    try:
        _again_are_conflicts(ledger, copy, "EP", old)
        assert copy._filters is not None and not copy._filters.records.ready
    finally:
        copy.close()


def test_closing_an_index_stops_a_build_in_progress(ledger: Ledger, tmp_path: Path, held_scan: HeldScan) -> None:
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as first:
        ledger.batch("EP", _entries("old", 5))
        first.sync()
    index = Index(path, ledger.chain, ledger.address)
    ledger.batch("EP", [entry("new")])
    index.sync()
    filters = index._filters
    assert filters is not None and filters.records._build is not None
    thread = filters.records._build.thread
    held_scan.release.set()
    index.close()
    assert not thread.is_alive()


def test_a_second_writer_on_the_same_file_turns_the_first_ones_filters_off(ledger: Ledger, tmp_path: Path) -> None:
    # One writer per state directory is the rule (docs/api.md#one-writer-per-state-directory); two Index
    # objects writing one file break it, and must cost speed, not a record anchored twice.
    path = tmp_path / "index.sqlite"
    with Index(path, ledger.chain, ledger.address) as first, Index(path, ledger.chain, ledger.address) as second:
        ledger.batch("JP", [entry("start")])
        first.sync()  # filters of an empty map: in use at once
        assert first._filters is not None and first._filters.records.ready
        old = _entries("old", 20)
        ledger.batch("EP", old)
        second.sync()  # keys the first writer's filters never saw
        _again_are_conflicts(ledger, first, "EP", old)
        assert not first._filters.records.ready and not first._filters.claims.ready
        assert first.dump() == rebuilt(ledger)
