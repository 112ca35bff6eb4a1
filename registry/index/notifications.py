"""Who is told of what: the notifications of docs/api.md#notifications, decided as a block is projected.

**Who gets what.** An event reaches office X when, at the event's block, once the block is applied,
the application it concerns is in the extended family (the connected component of the active claim
graph, docs/domain.md#families) of a record of X — X's own applications included. So the audience
of an event is fixed when its block is projected and never changes afterwards: what X could not see
before two families merged stays unseen, and every event after the merger reaches both sides. The
audience is judged once the whole block is applied, so a filing stored with its claims (a
``FilingAnchored`` followed by its ``PriorityClaimAdded`` of version 1, in one transaction) reaches
the offices of the applications it claims, exactly as the same filing in a batch does.

**What is told** (:class:`NotificationKind`), one notification per event and office, and one per
entry for a batch:

- ``familyMemberAdded``: an application was anchored (``FilingAnchored``, each winning entry of a
  ``BatchAnchored``); its claims of version 1 are part of it and give no ``priorityClaimAdded``;
- ``filingAmended``, ``priorityClaimAdded`` (version > 1), ``priorityClaimWithdrawn``,
  ``filingPublished``: the index accepted that version, claim or number of the application;
- ``priorityClaimConfirmed``: the earlier office confirmed a claim; it concerns the claiming (later)
  application, or the earlier one when the later is not anchored;
- ``reportAdded``: ``ReportAnchored`` for the application;
- ``officeSuspended``: reaches every office (stored once, for office :data:`EVERY_OFFICE`), with no
  application;
- ``priorityDocumentAmended``: a new version of a priority-document package (issue 20). Its audience
  is the family's offices **and** every office that retrieved an earlier version: the projector of
  the package event calls :meth:`Notifier.add` with ``sub=1`` (the same event also gives
  ``filingAmended``) and the retrieving offices as ``also``.

Events the index refuses (docs/spec/entries.md#chain-data-is-input) and anchors that lose to an
earlier one of the same office tell nobody anything.
"""

from __future__ import annotations

import enum
import sqlite3
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "EVERY_OFFICE",
    "MAX_FAMILY",
    "NotificationKind",
    "Notifier",
    "delete_from",
    "family_offices",
    "record_offices",
]

#: The office of a notification that reaches every office (``officeSuspended``).
EVERY_OFFICE: Final = "*"
#: A family stops growing here when its offices are looked up (as ``Queries.family_graph`` does).
MAX_FAMILY: Final = 100_000
_CHUNK = 500  # host parameters of one bulk lookup (SQLite allows 32,766)


class NotificationKind(enum.IntEnum):
    """What a notification says happened (docs/api.md#notifications); the number is what the index stores."""

    FAMILY_MEMBER_ADDED = 1
    FILING_AMENDED = 2
    PRIORITY_CLAIM_ADDED = 3
    PRIORITY_CLAIM_WITHDRAWN = 4
    PRIORITY_CLAIM_CONFIRMED = 5
    FILING_PUBLISHED = 6
    REPORT_ADDED = 7
    OFFICE_SUSPENDED = 8
    PRIORITY_DOCUMENT_AMENDED = 9

    @property
    def label(self) -> str:
        """The kind as the API writes it: ``familyMemberAdded``, …"""
        head, *rest = self.name.lower().split("_")
        return head + "".join(word.capitalize() for word in rest)


_OUT = "SELECT earlier_office, earlier FROM claims WHERE later_seq = ? AND withdrawn_version IS NULL"
_IN = (
    "SELECT r.office, r.commitment, r.seq FROM claims c JOIN records r ON r.seq = c.later_seq"
    " WHERE c.earlier = ? AND c.earlier_office = ? AND c.withdrawn_version IS NULL"
)
_SEQ = "SELECT seq FROM records WHERE commitment = ? AND office = ?"


def record_offices(db: sqlite3.Connection) -> frozenset[str]:
    """Every office holding a record: a few reads of the ``records`` key, however many records."""
    found: list[str] = []
    office = db.execute("SELECT min(office) FROM records").fetchone()[0]
    while office is not None:
        found.append(office)
        office = db.execute("SELECT min(office) FROM records WHERE office > ?", (office,)).fetchone()[0]
    return frozenset(found)


def family_offices(
    db: sqlite3.Connection, office: str, commitment: bytes, seq: int | None, every: frozenset[str] = frozenset()
) -> dict[tuple[str, bytes], None]:
    """Nodes of the extended family of (``office``, ``commitment``) that are records, in the order found.

    ``seq`` is the node's record when the caller knows it (None: looked up). Nodes are (office,
    commitment) as in docs/spec/entries.md#claim-tokens-and-confirmed-links; a node known only from
    a claim joins the family but holds no record. The walk stops once the records found hold every
    office of ``every`` (:func:`record_offices`): no more office can be found, and a family merged
    into one of hundreds of thousands of members (a synthetic load, or a wrong link) is not walked
    whole for each block.
    """
    offices: set[str] = set()
    start = (office, commitment)
    seen = {start}
    records: dict[tuple[str, bytes], None] = {}
    frontier: deque[tuple[str, bytes, int | None]] = deque([(office, commitment, seq)])
    while frontier and len(seen) < MAX_FAMILY:
        node_office, node, node_seq = frontier.popleft()
        if node_seq is None:
            row = db.execute(_SEQ, (node, node_office)).fetchone()
            node_seq = None if row is None else int(row[0])
        if node_seq is not None:
            records[(node_office, node)] = None
            offices.add(node_office)
            if every and offices >= every:
                break
            for earlier_office, earlier in db.execute(_OUT, (node_seq,)):
                key = (earlier_office, bytes(earlier))
                if key not in seen:
                    seen.add(key)
                    frontier.append((earlier_office, key[1], None))
        for later_office, later, later_seq in db.execute(_IN, (node, node_office)):
            key = (later_office, bytes(later))
            if key not in seen:
                seen.add(key)
                frontier.append((later_office, key[1], int(later_seq)))
    return records


# One notification to write: (position, item, kind, office | None, commitment | None, seq | None, also).
# Plain tuples: a batch adds one per entry, and a dataclass each cost more than the rest of its row.
_Pending = tuple[int, int, int, str | None, bytes | None, int | None, tuple[str, ...]]


@dataclass
class Notifier:
    """The notifications of one block: collected while its events are applied, written at its end."""

    _pending: list[_Pending] = field(default_factory=list)
    _transactions: dict[int, bytes] = field(default_factory=dict)
    _ranges: list[tuple[int, int]] = field(default_factory=list)  # the seqs of each batch's entries

    def add(
        self,
        position: int,
        tx: bytes,
        kind: NotificationKind,
        office: str | None,
        commitment: bytes | None = None,
        seq: int | None = None,
        *,
        entry: int = 0,
        sub: int = 0,
        also: Iterable[str] = (),
    ) -> None:
        """Tell of ``kind`` about (``office``, ``commitment``), record ``seq``, at chain ``position``.

        ``entry`` is the entry of a batch, ``sub`` tells a second notification of the same event apart
        (``item = 2 × entry + sub``, docs/api.md#notifications: the cursor stays strictly increasing);
        ``also`` are offices told besides the family's. ``office`` None: every office is told.
        """
        self._transactions[position] = tx
        self._pending.append((position, 2 * entry + sub, int(kind), office, commitment, seq, tuple(also)))

    def add_entries(self, position: int, tx: bytes, office: str, entries: Iterable[tuple[int, bytes, int]]) -> None:
        """``familyMemberAdded`` for each (entry index, commitment, seq) a batch anchored."""
        self._transactions[position] = tx
        kind = int(NotificationKind.FAMILY_MEMBER_ADDED)
        before = len(self._pending)
        self._pending.extend((position, 2 * i, kind, office, c, seq, ()) for i, c, seq in entries)
        if len(self._pending) > before:
            self._ranges.append((self._pending[before][5] or 0, self._pending[-1][5] or 0))

    def _alone(self, db: sqlite3.Connection) -> set[int]:
        """The records among the pending ones that no active claim touches, either way.

        In bulk: a range read of the claims a batch's records make (their seqs are consecutive),
        and a read per :data:`_CHUNK` commitments of the claims made on them (nearly always none).
        """
        alone = {p[5] for p in self._pending if p[5] is not None}
        if not alone:
            return alone
        for first, last in self._ranges:
            claiming = db.execute(
                "SELECT later_seq FROM claims WHERE later_seq BETWEEN ? AND ? AND withdrawn_version IS NULL",
                (first, last),
            )
            alone.difference_update(r[0] for r in claiming)
        others = sorted(
            seq
            for seq in {p[5] for p in self._pending if p[5] is not None}
            if not any(first <= seq <= last for first, last in self._ranges)
        )
        for start in range(0, len(others), _CHUNK):
            chunk = others[start : start + _CHUNK]
            claiming = db.execute(
                f"SELECT later_seq FROM claims WHERE later_seq IN ({','.join('?' * len(chunk))})"  # noqa: S608
                " AND withdrawn_version IS NULL",
                chunk,
            )
            alone.difference_update(r[0] for r in claiming)
        commitments = sorted({p[4] for p in self._pending if p[4] is not None})
        touched: set[tuple[str, bytes]] = set()
        for start in range(0, len(commitments), _CHUNK):
            some = commitments[start : start + _CHUNK]
            claimed = db.execute(
                f"SELECT earlier_office, earlier FROM claims WHERE earlier IN ({','.join('?' * len(some))})"  # noqa: S608
                " AND withdrawn_version IS NULL",
                some,
            )
            touched.update((o, bytes(e)) for o, e in claimed)
        if touched:
            alone.difference_update(p[5] for p in self._pending if (p[3], p[4]) in touched)
        return alone

    def flush(self, db: sqlite3.Connection, time: int) -> None:
        """Write the block's notifications, its events all applied; ``time`` is the block's Unix time."""
        if not self._pending:
            return
        # Within one block the families no longer change: each is walked once, and an application
        # no active claim touches (most of a batch) is its own family, found in bulk.
        alone = self._alone(db)
        every: frozenset[str] | None = None
        offices_of: dict[tuple[str, bytes], tuple[str, ...]] = {}
        rows: list[tuple[str, int, int, int, int | None]] = []
        for position, item, kind, office, commitment, seq, also in self._pending:
            if office is None or commitment is None:
                rows.append((EVERY_OFFICE, position, item, kind, None))
                continue
            if not also and seq in alone:
                rows.append((office, position, item, kind, seq))
                continue
            node = (office, commitment)
            told = offices_of.get(node)
            if told is None:
                every = record_offices(db) if every is None else every
                members = family_offices(db, office, commitment, seq, every)
                told = tuple(dict.fromkeys(o for o, _c in members))
                for member in members:
                    offices_of[member] = told
                offices_of[node] = told
            rows.extend((o, position, item, kind, seq) for o in dict.fromkeys((*told, *also)))
        db.executemany(
            "INSERT OR IGNORE INTO notifications (office, position, item, kind, seq) VALUES (?, ?, ?, ?, ?)", rows
        )
        db.executemany(
            "INSERT OR IGNORE INTO notices (position, tx_hash, time) VALUES (?, ?, ?)",
            [(position, tx, time) for position, tx in self._transactions.items()],
        )
        self._pending.clear()
        self._transactions.clear()
        self._ranges.clear()


def delete_from(db: sqlite3.Connection, cut: int) -> None:
    """Delete every notification at chain position ``cut`` or later (a reorganisation, docs/design.md#p3)."""
    db.execute("DELETE FROM notices WHERE position >= ?", (cut,))
    # The key starts with the office: one range per office, found without scanning the table.
    office = db.execute("SELECT min(office) FROM notifications").fetchone()[0]
    while office is not None:
        db.execute("DELETE FROM notifications WHERE office = ? AND position >= ?", (office, cut))
        office = db.execute("SELECT min(office) FROM notifications WHERE office > ?", (office,)).fetchone()[0]
