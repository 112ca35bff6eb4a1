"""The extended families of the index, kept as they change: a label per linked record, labels joined as a forest.

An extended family (docs/domain.md#families, :mod:`registry.domain.families`) is a connected
component of the active claim graph, whose nodes are (office, commitment)
(docs/spec/entries.md#claim-tokens-and-confirmed-links); a node known only from a claim holds no
record. Who is told of an event (docs/api.md#notifications) is the set of offices holding a record
in the family of the event's application, so the index keeps, instead of walking the family for
every event (a family merged into hundreds of thousands of members by a synthetic load or by an
office on purpose):

- ``records.family``: the label the record was given; NULL when no active claim touches the
  record (it is its own family, its office the only one told);
- ``family_parents (label, parent)``: a label merged into another (a union–find forest, Tarjan
  1975): the record's family is the **root** of its label, the label with no row here;
- ``family_offices (family, office, count)``: how many records of each office the family holds,
  kept for roots only.

**A merger** (a claim joining two families) points the smaller family's root at the larger's
(union by size, so a chain is at most log₂ n long) and moves its office counts: one row and a few
counts, however large either family is. The records keep their labels. Finding a root compresses
the path it walked (the writer rewrites those parents to the root), so a chain read twice is read
in one step the second time.

**A withdrawal** may split a family: both ends are walked over the active links at the end of the
block; when they no longer meet, each part but the largest gets a new label written on its
records. O(family), and rare.

**A reorganisation** that undoes claims, withdrawals or linked records rebuilds the three tables
from the remaining records and claims (:func:`rebuild`, O(index)), once per rollback: undoing
mergers block by block would need a log of them. Labels depend on that history, so two indexes of
the same chain compare equal through :func:`canonical_labels` (each label read as the first
record of its family); ``family_parents`` is left out of such comparisons
(:data:`registry.index.schema.TABLES`).

Measured (``prioreg bench --filings 3700000``, py-spy at b45d425): the merger that relabelled the
smaller family record by record took 25 % of the main process's samples in the max-size batches.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from registry.index.keys import RECORD_SEQ, prefix_in, prefixes

if TYPE_CHECKING:
    from registry.index.key_filters import KeyFilter

__all__ = ["Components", "Link", "canonical_labels", "rebuild"]

_T = TypeVar("_T")
_CHUNK = 500  # host parameters of one bulk lookup (SQLite allows 32,766)

# A link: (claiming record's seq, earlier office, earlier commitment).
Link = tuple[int, str, bytes]
Node = tuple[str, bytes]

_OUT = (
    "SELECT c.earlier_office, c.earlier, r.seq, r.family FROM claims c LEFT JOIN records r"
    " ON r.seq = (SELECT seq FROM record_keys k WHERE k.prefix = substr(c.earlier, 1, 8)"
    " AND k.commitment = c.earlier AND k.office = c.earlier_office)"
    " WHERE c.later_seq = ? AND c.withdrawn_version IS NULL"
)
_IN = (
    "SELECT later_seq FROM claims WHERE id IN (SELECT id FROM claim_keys"
    " WHERE prefix = substr(?1, 1, 8) AND earlier = ?1) AND earlier_office = ?2 AND withdrawn_version IS NULL"
)
_IN_RECORDS = (
    "SELECT r.seq, r.office, r.commitment, r.family FROM claims c JOIN records r ON r.seq = c.later_seq"
    " WHERE c.id IN (SELECT id FROM claim_keys WHERE prefix = substr(?1, 1, 8) AND earlier = ?1)"
    " AND c.earlier_office = ?2 AND c.withdrawn_version IS NULL"
)


# Bulk lookups: the claims naming any of some commitments, the records under any of them.
def _claims_naming(count: int) -> str:
    return (
        "SELECT later_seq, earlier_office, earlier FROM claims WHERE id IN"  # noqa: S608 - values are parameters
        f" (SELECT id FROM claim_keys WHERE {prefix_in(count)}) AND withdrawn_version IS NULL"
    )


def _records_under(count: int) -> str:
    return (
        "SELECT office, commitment, seq, family FROM records WHERE seq IN"  # noqa: S608 - values are parameters
        f" (SELECT seq FROM record_keys WHERE {prefix_in(count)})"
    )


def _chunks(values: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def roots(db: sqlite3.Connection, labels: Iterable[int], *, compress: bool = False) -> dict[int, int]:
    """The root of each of ``labels``: the label its family is known by now (see the module docstring).

    The parents are read a level at a time for all labels together. ``compress`` (the writer only):
    every label walked is pointed at its root.
    """
    parent: dict[int, int] = {}
    looked: set[int] = set()
    frontier = sorted(set(labels))
    wanted = list(frontier)
    while frontier:
        looked.update(frontier)
        found: list[int] = []
        for some in _chunks(frontier):
            for label, up in db.execute(
                f"SELECT label, parent FROM family_parents WHERE label IN ({_marks(len(some))})",  # noqa: S608
                some,
            ):
                parent[int(label)] = int(up)
                found.append(int(up))
        frontier = sorted({up for up in found if up not in looked})
    out: dict[int, int] = {}
    for label in wanted:
        root = label
        while root in parent:
            root = parent[root]
        out[label] = root
    if compress and parent:
        shortened = []
        for label, up in parent.items():
            root = up
            while root in parent:
                root = parent[root]
            if root != up:
                shortened.append((root, label))
        db.executemany("UPDATE family_parents SET parent = ? WHERE label = ?", shortened)
    return out


class _Union:
    """A union–find over hashable keys, in memory, for one block."""

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}

    def find(self, key: object) -> object:
        parent = self.parent
        root = parent.setdefault(key, key)
        while root != parent[root]:
            root = parent[root]
        while key != root:
            key, parent[key] = parent[key], root
        return root

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb

    def groups(self) -> dict[object, list[object]]:
        out: dict[object, list[object]] = {}
        for key in list(self.parent):
            out.setdefault(self.find(key), []).append(key)
        return out


def _walk(db: sqlite3.Connection, starts: Iterable[int]) -> tuple[set[int], bool]:
    """The records connected to ``starts`` by active links, and whether any link was found.

    Nodes without a record are passed through. Two reads a record: its links either way.
    """
    seen = set(starts)
    frontier: deque[tuple[int, str | None, bytes | None]] = deque((seq, None, None) for seq in seen)
    nodes: set[Node] = set()
    linked = False

    def enter(seq: int, office: str | None, commitment: bytes | None) -> None:
        if seq not in seen:
            seen.add(seq)
            frontier.append((seq, office, commitment))

    while frontier:
        seq, office, commitment = frontier.popleft()
        for earlier_office, earlier, target, _family in db.execute(_OUT, (seq,)):
            linked = True
            if target is not None:
                enter(target, earlier_office, bytes(earlier))
            else:
                node = (earlier_office, bytes(earlier))
                if node not in nodes:
                    nodes.add(node)
                    for other, o, c, _f in db.execute(_IN_RECORDS, (node[1], node[0])):
                        enter(other, o, bytes(c))
        if office is None or commitment is None:
            office, commitment = db.execute("SELECT office, commitment FROM records WHERE seq = ?", (seq,)).fetchone()
        for other, o, c, _f in db.execute(_IN_RECORDS, (commitment, office)):
            linked = True
            enter(other, o, bytes(c))
    return seen, linked


class Components:
    """The family state of the index, changed a block at a time (see the module docstring)."""

    def __init__(self, db: sqlite3.Connection, claims_filter: KeyFilter | None = None) -> None:
        self._db = db
        self._next: int | None = None
        # The writer's filter of the claims map: the lookups of claims naming new nodes, which
        # nearly always find none, skip the commitments it certainly does not hold.
        self._maybe_claimed = list if claims_filter is None else claims_filter.maybe

    def _new_label(self) -> int:
        if self._next is None:
            # Above every root and every label merged away (records may still carry those).
            self._next = int(
                self._db.execute(
                    "SELECT max((SELECT coalesce(max(family), 0) FROM family_offices),"
                    " (SELECT coalesce(max(label), 0) FROM family_parents))"
                ).fetchone()[0]
            )
        self._next += 1
        return self._next

    def offices(self, label: int) -> dict[str, int]:
        """The offices of family ``label`` and how many records each holds there."""
        return {
            o: int(n)
            for o, n in self._db.execute("SELECT office, count FROM family_offices WHERE family = ?", (label,))
        }

    def label(self, seq: int) -> int | None:
        """The family of record ``seq`` (its label's root); None when it is alone."""
        row = self._db.execute("SELECT family FROM records WHERE seq = ?", (seq,)).fetchone()
        return None if row is None or row[0] is None else roots(self._db, [int(row[0])], compress=True)[int(row[0])]

    def join(
        self, new: dict[int, Node], links: Sequence[Link], *, stored: bool = True
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Apply new records (seq → node) and new active links; the labels they give.

        Returns the label of every record linked (a new record absent: it is alone) and the labels
        merged into another (old → new). ``stored`` False: the new records and the links are not
        written yet (a batch about to be inserted with its labels); their labels are left to the
        caller to write.
        """
        db = self._db
        links = list(links)
        node_seq = {node: seq for seq, node in new.items()}
        # Claims already made on the new records (anchored after the filings that claim them).
        for some in _chunks(self._maybe_claimed(sorted({commitment for _o, commitment in node_seq}))):
            rows = db.execute(_claims_naming(len(some)), prefixes(some))
            links.extend((s, o, bytes(e)) for s, o, e in rows if (o, bytes(e)) in node_seq)
        if not links:
            return {}, {}
        # Where each link leads: a record (new, or looked up), or a node of no record (its claimers).
        offices: dict[int, str] = {seq: office for seq, (office, _c) in new.items()}
        labels: dict[int, int] = {}  # old records already in a family
        found = node_seq
        targets = {(o, e) for _s, o, e in links if (o, e) not in found}
        for some in _chunks(sorted({e for _o, e in targets})):
            rows = db.execute(_records_under(len(some)), prefixes(some))
            for office, commitment, seq, family in rows:
                node = (office, bytes(commitment))
                if node in targets:
                    found[node] = seq
                    offices[seq] = office
                    if family is not None:
                        labels[seq] = family
        bare = {node for node in targets if node not in found}
        claimers: dict[Node, list[int]] = {}
        for some in _chunks(self._maybe_claimed(sorted({e for _o, e in bare}))):
            rows = db.execute(_claims_naming(len(some)), prefixes(some))
            for s, o, e in rows:
                if (o, bytes(e)) in bare:
                    claimers.setdefault((o, bytes(e)), []).append(s)
        for s, o, e in links:  # the links not written yet join at their node as well
            if (o, e) in bare:
                claimers.setdefault((o, e), []).append(s)
        unknown = sorted(
            ({s for s, _o, _e in links} | {s for seqs in claimers.values() for s in seqs}) - offices.keys()
        )
        for seqs in _chunks(unknown):
            rows = db.execute(f"SELECT seq, office, family FROM records WHERE seq IN ({_marks(len(seqs))})", seqs)  # noqa: S608
            for seq, office, family in rows:
                offices[seq] = office
                if family is not None:
                    labels[seq] = family

        # The families those labels belong to now.
        if labels:
            root_of = roots(db, set(labels.values()), compress=True)
            labels = {seq: root_of[label] for seq, label in labels.items()}
        # The union, over old families (as -root) and records alone so far (as their seq).
        parent: dict[int, int] = {}

        def find(k: int) -> int:
            root = parent.setdefault(k, k)
            while root != parent[root]:
                root = parent[root]
            while k != root:
                k, parent[k] = parent[k], root
            return root

        get = labels.get
        for seq, office, earlier in links:
            node = (office, earlier)
            family = get(seq)
            ra = find(seq if family is None else -family)
            other = found.get(node)
            for target in (other,) if other is not None else claimers.get(node, ()):
                family = get(target)
                rb = find(target if family is None else -family)
                if ra != rb:
                    parent[rb] = ra
        groups: dict[int, list[int]] = {}
        for k in parent:
            groups.setdefault(find(k), []).append(k)
        changed: list[tuple[int, int]] = []  # (label, seq)
        added: list[tuple[int, str, int]] = []  # (label, office, records)
        out: dict[int, int] = {}
        renamed: dict[int, int] = {}
        for group in groups.values():
            olds = [-k for k in group if k < 0]
            if len(olds) > 1:  # a merger: the largest family keeps its label
                sizes = {
                    label: int(
                        db.execute("SELECT sum(count) FROM family_offices WHERE family = ?", (label,)).fetchone()[0]
                    )
                    for label in olds
                }
                winner = max(olds, key=lambda label: (sizes[label], -label))
            else:
                winner = olds[0] if olds else self._new_label()
            for k in group:
                if k > 0:
                    if stored or k not in new:
                        changed.append((winner, k))
                    added.append((winner, offices[k], 1))
                    out[k] = winner
                elif -k != winner:
                    # A merger: the smaller root points at the larger, its counts move; its records stay.
                    label = -k
                    for office, n in self.offices(label).items():
                        added.append((winner, office, n))
                    renamed[label] = winner
                    # Written at once: a new label of this block is drawn above it (_new_label).
                    db.execute("INSERT INTO family_parents (label, parent) VALUES (?, ?)", (label, winner))
                    db.execute("DELETE FROM family_offices WHERE family = ?", (label,))
        for seq, label in labels.items():
            out.setdefault(seq, renamed.get(label, label))
        db.executemany("UPDATE records SET family = ? WHERE seq = ?", changed)
        totals: dict[tuple[int, str], int] = {}
        for label, office, n in added:
            totals[(label, office)] = totals.get((label, office), 0) + n
        db.executemany(
            "INSERT INTO family_offices (family, office, count) VALUES (?, ?, ?)"
            " ON CONFLICT (family, office) DO UPDATE SET count = count + excluded.count",
            [(label, office, n) for (label, office), n in totals.items()],
        )
        return out, renamed

    def split(self, withdrawn: Iterable[Link]) -> dict[int, int | None]:
        """After the block's withdrawals: relabel what the ``withdrawn`` links cut off.

        Both ends of each link are walked over the active links; each part of a former family but
        its largest gets a new label (a lone record, none). Returns the records whose label changed.
        """
        db = self._db
        seeds: list[int] = []
        for later, office, earlier in withdrawn:
            seeds.append(later)
            row = db.execute(RECORD_SEQ, (earlier, office)).fetchone()
            if row is not None:
                seeds.append(int(row[0]))
            else:
                seeds.extend(int(r[0]) for r in db.execute(_IN, (earlier, office)))
        done: set[int] = set()
        parts: dict[int, list[tuple[set[int], bool]]] = {}
        for seed in seeds:
            if seed in done:
                continue
            label = self.label(seed)
            members, linked = _walk(db, [seed])
            done |= members
            if label is not None:
                parts.setdefault(label, []).append((members, linked))
        changed: dict[int, int | None] = {}
        for label, found in parts.items():
            if len(found) == 1 and found[0][1]:
                continue  # still one family
            found.sort(key=lambda part: (-len(part[0]), not part[1], min(part[0])))
            keep = 0 if found[0][1] else None
            total = self.offices(label)
            for i, (members, linked) in enumerate(found):
                if i == keep:
                    continue
                new = self._new_label() if linked else None
                for office, n in self._offices_of(members):
                    total[office] -= int(n)
                    if new is not None:
                        db.execute(
                            "INSERT INTO family_offices (family, office, count) VALUES (?, ?, ?)", (new, office, int(n))
                        )
                db.executemany("UPDATE records SET family = ? WHERE seq = ?", [(new, s) for s in members])
                changed.update(dict.fromkeys(members, new))
            db.execute("DELETE FROM family_offices WHERE family = ?", (label,))
            if keep is not None:
                db.executemany(
                    "INSERT INTO family_offices (family, office, count) VALUES (?, ?, ?)",
                    [(label, office, n) for office, n in total.items() if n > 0],
                )
        return changed

    def _offices_of(self, members: set[int]) -> list[tuple[str, int]]:
        counted: dict[str, int] = {}
        for some in _chunks(sorted(members)):
            for office, n in self._db.execute(
                f"SELECT office, count(*) FROM records WHERE seq IN ({_marks(len(some))}) GROUP BY office",  # noqa: S608
                some,
            ):
                counted[office] = counted.get(office, 0) + int(n)
        return list(counted.items())


def rebuild(db: sqlite3.Connection) -> None:
    """Both tables anew from the records and active claims (after a reorganisation, O(index))."""
    db.execute("UPDATE records SET family = NULL WHERE family IS NOT NULL")
    db.execute("DELETE FROM family_offices")
    db.execute("DELETE FROM family_parents")
    union = _Union()
    rows = db.execute(
        "SELECT c.later_seq, c.earlier_office, c.earlier, (SELECT seq FROM record_keys k"
        " WHERE k.prefix = substr(c.earlier, 1, 8) AND k.commitment = c.earlier AND k.office = c.earlier_office)"
        " FROM claims c"
        " WHERE c.withdrawn_version IS NULL"
    )
    for later, office, earlier, target in rows:
        union.union(int(later), int(target) if target is not None else (office, bytes(earlier)))
    groups = [sorted(k for k in keys if isinstance(k, int)) for keys in union.groups().values()]
    groups.sort()
    changed = [(label, seq) for label, seqs in enumerate(groups, start=1) for seq in seqs]
    db.executemany("UPDATE records SET family = ? WHERE seq = ?", changed)
    db.execute(
        "INSERT INTO family_offices (family, office, count)"
        " SELECT family, office, count(*) FROM records WHERE family IS NOT NULL GROUP BY family, office"
    )


def canonical_labels(db: sqlite3.Connection) -> dict[int, int]:
    """Each family label (a record's, a root's) read as the first record (seq) of its family.

    The same on every index of a chain, whatever order its mergers came in.
    """
    firsts = {
        int(label): int(first)
        for label, first in db.execute("SELECT family, min(seq) FROM records WHERE family IS NOT NULL GROUP BY family")
    }
    root_of = roots(db, firsts)
    first_of_root: dict[int, int] = {}
    for label, first in firsts.items():
        root = root_of[label]
        first_of_root[root] = min(first, first_of_root.get(root, first))
    out = {label: first_of_root[root_of[label]] for label in firsts}
    out.update(first_of_root)
    return out
