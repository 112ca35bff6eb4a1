"""The family forest of the index (registry.index.components) against random mergers and splits.

Random filings and claims (to records, and to applications anchored only later), claims added
after anchoring and claims withdrawn, a block at a time through the real contract on eth-tester.
After every block the index kept incrementally must equal one rebuilt from the chain (families
compared canonically), and the forest must be a forest: every label's chain ends at a root, roots
alone hold office counts, and those counts are the family's records office by office.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from dataclasses import dataclass

import pytest

from registry.domain.entries import ClaimRef
from registry.domain.types import date_to_days
from registry.index import Index
from registry.index.components import roots
from tests.registry.index.support import DAY, Ledger, c, entry, inclusion, rebuilt

OFFICES = ("EP", "US", "JP")


@dataclass(frozen=True)
class App:
    """An application of the story: who files it, its name (its commitment is ``c(name)``), its day."""

    office: str
    name: str
    days: int

    def ref(self) -> ClaimRef:
        return ClaimRef(c(self.name), DAY + dt.timedelta(days=self.days), self.office)


def families_of(db: sqlite3.Connection) -> dict[int, set[int]]:
    """The families as the forest gives them (root → records), after checking the forest's invariants."""
    parents = {int(k): int(v) for k, v in db.execute("SELECT label, parent FROM family_parents")}
    for label in parents:
        seen = {label}
        up = parents[label]
        while up in parents:
            assert up not in seen, f"a cycle through {label}"
            seen.add(up)
            up = parents[up]
    records = db.execute("SELECT seq, office, family FROM records WHERE family IS NOT NULL").fetchall()
    root_of = roots(db, {int(label) for _s, _o, label in records})
    families: dict[int, set[int]] = {}
    counted: dict[tuple[int, str], int] = {}
    for seq, office, label in records:
        root = root_of[int(label)]
        assert root not in parents
        families.setdefault(root, set()).add(int(seq))
        counted[(root, office)] = counted.get((root, office), 0) + 1
    stored = {(int(f), str(o)): int(n) for f, o, n in db.execute("SELECT family, office, count FROM family_offices")}
    assert stored == counted
    return families


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mergers_and_splits_leave_what_a_rebuild_makes(ledger: Ledger, index: Index, seed: int) -> None:
    rng = random.Random(seed)
    anchored: list[App] = []
    ghosts: list[App] = []  # claimed before they are anchored: two families may meet there later
    days = 400
    mergers = withdrawals = 0
    for block in range(12):
        office = rng.choice(OFFICES)
        batch = []
        for i in range(rng.randint(3, 8)):
            app = App(office, f"{seed}-{block}-{i}", days)
            days += 1
            named = rng.sample(anchored + ghosts, k=min(len(anchored + ghosts), rng.choice((0, 1, 1, 2))))
            batch.append((app, tuple(e.ref() for e in named)))
        if rng.random() < 0.5:
            ghost = App(rng.choice(OFFICES), f"{seed}-ghost-{block}", block)
            ghosts.append(ghost)
            batch.append((App(office, f"{seed}-{block}-g", days), (ghost.ref(),)))
            days += 1
        ledger.batch(office, [entry(app.name, days=app.days, claims=refs) for app, refs in batch])
        anchored += [app for app, _refs in batch]
        if ghosts and rng.random() < 0.5:
            ghost = ghosts.pop(0)
            ledger.store(ghost.office, entry(ghost.name, days=ghost.days))
            anchored.append(ghost)
        index.sync()
        if rng.random() < 0.7:  # a claim added after anchoring: a merger when it joins two families
            later = rng.choice(anchored[len(anchored) // 2 :])
            earlier = rng.choice(anchored[: len(anchored) // 2])
            record = index.record(c(later.name), later.office)
            assert record is not None
            ledger.tx(
                ledger.offices[later.office],
                "addPriorityClaim",
                c(later.name),
                (earlier.office.encode(), c(earlier.name), date_to_days(earlier.ref().claimed_filing_date), bytes(16)),
                inclusion(record.inclusion),
            )
        if rng.random() < 0.5:  # a withdrawal: a split when it was the only path
            active = [
                (app, claim)
                for app in anchored
                for claim in index.claims_of(app.office, c(app.name))
                if not claim.withdrawn
            ]
            if active:
                app, claim = rng.choice(active)
                withdrawals += 1
                record = index.record(c(app.name), app.office)
                assert record is not None
                ledger.tx(
                    ledger.offices[app.office],
                    "withdrawPriorityClaim",
                    c(app.name),
                    claim.earlier_office.encode(),
                    claim.earlier,
                    inclusion(record.inclusion),
                )
        index.sync()
        with index._reading() as db:
            families = families_of(db)
            mergers = max(mergers, db.execute("SELECT count(*) FROM family_parents").fetchone()[0])
        assert index.dump() == rebuilt(ledger), f"seed {seed}, block {block}"
    # The story did what it is for: large families, mergers through the forest, withdrawals.
    assert max(len(seqs) for seqs in families.values()) >= 10
    assert mergers and withdrawals, (mergers, withdrawals)


def test_a_root_is_found_a_level_at_a_time_and_the_writer_shortens_the_path() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE family_parents (label INTEGER PRIMARY KEY, parent INTEGER NOT NULL)")
    # 1 → 2 → 3 → 4 and 5 → 3: two chains meeting; 6 is a root of its own.
    db.executemany("INSERT INTO family_parents VALUES (?, ?)", [(1, 2), (2, 3), (3, 4), (5, 3)])
    assert roots(db, [1, 5, 6, 4]) == {1: 4, 5: 4, 6: 6, 4: 4}
    assert dict(db.execute("SELECT label, parent FROM family_parents").fetchall()) == {1: 2, 2: 3, 3: 4, 5: 3}
    assert roots(db, [1], compress=True) == {1: 4}
    # Every label walked now points at the root; 5 was not walked and keeps its parent.
    assert dict(db.execute("SELECT label, parent FROM family_parents").fetchall()) == {1: 4, 2: 4, 3: 4, 5: 3}
    assert roots(db, [5, 2], compress=True) == {5: 4, 2: 4}
    assert dict(db.execute("SELECT label, parent FROM family_parents").fetchall()) == {1: 4, 2: 4, 3: 4, 5: 4}
