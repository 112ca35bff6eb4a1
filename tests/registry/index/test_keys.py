"""The key maps in three levels: every key in one level, levels bounded, lookups by key (registry.index.keys)."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator

import pytest

from registry.domain.entries import ClaimRef, Entry
from registry.domain.types import IpRightKind
from registry.index import Index, keys, queries
from registry.index import components as components_module
from registry.index.keys import CLAIM_KEYS, RECORD_KEYS, add_claim_keys, add_record_keys, delete_keys_from, merge_keys
from registry.index.schema import connect, open_tables
from tests.registry.index.support import DAY, Ledger, c, claimed_by, entry, facts_of, rebuilt, story


@pytest.fixture
def small_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Levels of a few keys, so that a test's few filings go through all three."""
    monkeypatch.setattr(keys, "LEVEL0_ROWS", 5)
    monkeypatch.setattr(keys, "LEVEL1_ROWS", 40)


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = connect(":memory:", readonly=False)
    open_tables(connection, ":memory:", "0x" + "11" * 20, 1, 0)
    yield connection
    connection.close()


def _levels(db: sqlite3.Connection, table: str) -> list[set[tuple[object, ...]]]:
    return [set(db.execute(f"SELECT * FROM {table}_{n}")) for n in range(3)]


def _add_records(db: sqlite3.Connection, rows: list[tuple[bytes, str, int]]) -> None:
    """The records the keys point to (the view joins them for the whole commitment), and their keys."""
    db.executemany(
        "INSERT INTO records (seq, office, commitment, kind, filing_date, anchor) VALUES (?, ?, ?, 1, 0, 0)",
        [(seq, office, commitment) for commitment, office, seq in rows],
    )
    add_record_keys(db, rows)


@pytest.mark.usefixtures("small_levels")
def test_keys_move_down_the_levels_and_each_is_in_exactly_one(db: sqlite3.Connection) -> None:
    rnd = random.Random(7)
    added: set[tuple[object, ...]] = set()
    seq = 0
    for step in range(60):
        rows = []
        for _ in range(rnd.randint(1, 9)):
            seq += 1
            rows.append((rnd.randbytes(32), rnd.choice(["EP", "US"]), seq))
        _add_records(db, rows)
        merge_keys(db)
        added.update(rows)
        levels = _levels(db, "record_keys")
        assert levels[0].isdisjoint(levels[1]) and levels[1].isdisjoint(levels[2]) and levels[0].isdisjoint(levels[2])
        assert levels[0] | levels[1] | levels[2] == {(c[:8], o, s) for c, o, s in added}, step
        assert set(db.execute("SELECT commitment, office, seq FROM record_keys")) == added
        assert len(levels[0]) < keys.LEVEL0_ROWS  # moved to level 1 as soon as it is full
    levels = _levels(db, "record_keys")
    assert all(levels), "every level took keys"
    # Level 1 stays near its size (the slices leave at the pace keys arrive), level 2 takes the rest.
    assert len(levels[1]) < 3 * keys.LEVEL1_ROWS < len(added)
    for commitment, office, want in rnd.sample(sorted(added, key=repr), 20):
        got = db.execute(keys.RECORD_SEQ, (commitment, office))
        assert got.fetchall() == [(want,)]


def test_keys_sharing_a_prefix_are_told_apart_by_the_rows_they_lead_to(db: sqlite3.Connection) -> None:
    # Commitments are any 32 bytes an office writes: two may share the 8 bytes the levels keep, in one
    # office or in two, and each lookup still finds exactly its own record, in every level.
    rnd = random.Random(11)
    shared = rnd.randbytes(8)
    rows = [(shared + rnd.randbytes(24), office, seq) for seq, office in enumerate(["EP", "EP", "US", "EP"], start=1)]
    rows.append((shared[:7] + bytes([shared[7] ^ 1]) + rows[0][0][8:], "EP", 5))  # all but one bit the same
    for level, (commitment, office, seq) in zip([0, 0, 1, 2, 2], rows, strict=True):
        _add_records(db, [(commitment, office, seq)])
        if level:
            for n in range(1, level + 1):
                db.execute(f"INSERT INTO record_keys_{n} SELECT * FROM record_keys_{n - 1}")
                db.execute(f"DELETE FROM record_keys_{n - 1}")
    for commitment, office, seq in rows:
        assert db.execute(keys.RECORD_SEQ, (commitment, office)).fetchall() == [(seq,)]
        assert db.execute(keys.RECORD_SEQ, (commitment, "JP")).fetchall() == []
        assert [o for (o,) in db.execute(queries._HOLDERS, (commitment,))] == [office]
    assert db.execute(keys.RECORD_SEQ, (shared + bytes(24), "EP")).fetchall() == []
    wanted = [rows[1][0], rows[3][0], rnd.randbytes(32)]
    # A bulk lookup finds every row of each prefix, with its whole key: the caller keeps its own.
    got = db.execute(f"SELECT commitment, seq FROM record_keys WHERE {keys.prefix_in(3)}", keys.prefixes(wanted))
    found = {bytes(commitment): seq for commitment, seq in got}
    assert set(found) == {commitment for commitment, _o, _s in rows[:4]}  # not the one a bit away
    assert {k: v for k, v in found.items() if k in wanted} == {rows[1][0]: 2, rows[3][0]: 4}


@pytest.mark.usefixtures("small_levels")
def test_a_rollback_deletes_the_keys_of_the_undone_rows_from_every_level(db: sqlite3.Connection) -> None:
    rnd = random.Random(3)
    records, claims = [], []
    for seq in range(1, 124):  # the last three stay in level 0, not merged yet
        commitment = rnd.randbytes(32)
        records.append((seq, "EP", commitment))
        claims.append((seq, rnd.randbytes(32)))
        db.execute(
            "INSERT INTO records (seq, office, commitment, kind, filing_date, anchor) VALUES (?, ?, ?, 1, 0, 0)",
            (seq, "EP", commitment),
        )
        db.execute(
            "INSERT INTO claims (id, later_seq, earlier_office, earlier, claimed_date, token, version, block_number)"
            " VALUES (?, ?, 'US', ?, 0, x'00', 1, 0)",
            (seq, seq, claims[-1][1]),
        )
        add_record_keys(db, [(commitment, "EP", seq)])
        add_claim_keys(db, [(claims[-1][1], seq)])
        if seq % 4 == 0:
            merge_keys(db)
    merge_keys(db)
    assert all(_levels(db, "record_keys")) and all(_levels(db, "claim_keys"))
    delete_keys_from(db, 71, 90)
    assert set(db.execute("SELECT commitment, office, seq FROM record_keys")) == {
        (x, o, s) for s, o, x in records if s < 71
    }
    assert set(db.execute("SELECT earlier, id FROM claim_keys")) == {(e, i) for i, e in claims if i < 90}
    # The count of level 0 follows what is left in it: the next merge starts from the truth.
    level0 = db.execute("SELECT level0 FROM key_levels WHERE map = 'record_keys'").fetchone()[0]
    assert level0 == len(_levels(db, "record_keys")[0])


def test_every_lookup_by_key_searches_the_levels_by_their_primary_keys(db: sqlite3.Connection) -> None:
    # At 20 M filings a scan of a level, or a view materialized for a join, would take seconds.
    statements = [
        queries._FACTS,
        queries._CLAIMS_BY_EARLIER,
        queries._FAMILY_LINKS,
        components_module._OUT,
        components_module._IN,
        components_module._IN_RECORDS,
        components_module._claims_naming(2),
        components_module._records_under(2),
        keys.RECORD_SEQ,
        queries._HOLDERS,
        "SELECT r.seq, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
        " WHERE r.seq IN (SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1"
        " AND office = ?2)",
    ]
    for statement in statements:
        count = max([int(n) for n in re.findall(r"\?(\d+)", statement)], default=statement.count("?"))
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + statement, [b"x"] * count)]
        levels = [step for step in plan if "_keys_" in step]
        assert levels, (statement, plan)
        assert all(step.startswith("SEARCH") and "PRIMARY KEY (prefix=" in step for step in levels), (statement, plan)
        # A scan of a few rows already found (the view's for ORDER BY, a subquery's) is fine; of a table, never.
        scans = [s for s in plan if s.startswith("SCAN")]
        assert all(s in ("SCAN record_keys", "SCAN claim_keys") or s.startswith("SCAN (subquery") for s in scans), (
            statement,
            plan,
        )
    for table in (RECORD_KEYS, CLAIM_KEYS):
        assert db.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", (table.view,)).fetchone()[0] == 1


@pytest.mark.usefixtures("small_levels")
def test_an_index_with_small_levels_equals_a_rebuilt_one_and_answers_the_same(ledger: Ledger, index: Index) -> None:
    # Synced after every transaction: the keys go through all three levels, moved at other times
    # than in the index rebuilt in one step, and the two still compare equal row for row.
    story(ledger, after=index.sync)
    ledger.batch("EP", [entry("ep-1")])
    for n in range(12):
        ledger.batch("US", [entry(f"lv-{n}-{i}", claims=(ClaimRef(c("ep-1"), DAY, "EP"),)) for i in range(4)])
        index.sync()
    ledger.batch("US", [entry("lv-0-0"), entry("lv-new")])  # a conflict found in a lower level
    index.sync()
    with index._reading() as db:
        assert all(_levels(db, "record_keys")[1:]) and all(_levels(db, "claim_keys")[1:])
    assert index.dump() == rebuilt(ledger)
    assert len(claimed_by(index, c("ep-1"))) >= 48
    assert facts_of(index, c("lv-0-0")) is not None
    with index._reading() as db:
        # One family: ep-1 and every filing claiming it, however their keys were merged.
        labels = {
            db.execute(
                "SELECT family FROM records WHERE seq = (SELECT seq FROM record_keys"
                " WHERE prefix = substr(?1, 1, 8) AND commitment = ?1)",
                (x,),
            ).fetchone()[0]
            for x in [c("ep-1")] + [c(f"lv-{n}-{i}") for n in range(12) for i in range(4)]
        }
    assert len(labels) == 1 and None not in labels


@pytest.mark.usefixtures("small_levels")
def test_a_reorganisation_undoes_keys_that_reached_the_lowest_level(ledger: Ledger, index: Index) -> None:
    ledger.batch("EP", [entry("root")])
    index.sync()
    fork = ledger.chain.snapshot()
    for n in range(10):
        ledger.batch("US", [entry(f"gone-{n}-{i}", claims=(ClaimRef(c("root"), DAY, "EP"),)) for i in range(5)])
        index.sync()
    with index._reading() as db:
        assert db.execute("SELECT count(*) FROM record_keys_2").fetchone()[0] > 0
    ledger.chain.revert(fork)
    ledger.mine(1)
    ledger.batch("JP", [entry("gone-3-1"), entry("stays")])
    ledger.mine(2)
    assert index.sync().rolled_back >= 2
    assert index.holders(c("gone-0-0")) == ()
    assert index.holders(c("gone-3-1")) == ("JP",)
    assert claimed_by(index, c("root")) == ()
    assert index.dump() == rebuilt(ledger)


def test_filings_sharing_a_prefix_on_the_chain_are_each_indexed_and_claimed_alone(ledger: Ledger, index: Index) -> None:
    # An office may anchor any 32 bytes: a second commitment with the first one's 8-byte prefix is a new
    # filing, not a repeat; a claim on either one reaches that one; the family is only what the claims say.
    first = c("shared-prefix")
    second = first[:8] + c("other")[8:]
    third = first[:8] + c("third")[8:]
    ledger.batch("EP", [Entry(first, IpRightKind.PATENT, DAY, None), Entry(second, IpRightKind.PATENT, DAY, None)])
    index.sync()
    ledger.batch("EP", [Entry(third, IpRightKind.PATENT, DAY, None)])  # checked against the two held: new
    ledger.batch("US", [entry("claims-second", claims=(ClaimRef(second, DAY, "EP"),))])
    index.sync()
    assert [index.holders(x) for x in (first, second, third)] == [("EP",), ("EP",), ("EP",)]
    assert [claim.later for claim in claimed_by(index, second)] == [c("claims-second")]
    assert claimed_by(index, first) == () and claimed_by(index, third) == ()
    with index._reading() as db:
        label = dict(db.execute("SELECT commitment, family FROM records"))
    assert label[second] is not None and label[second] == label[c("claims-second")]
    assert label[first] is None and label[third] is None
    assert index.dump() == rebuilt(ledger)
