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

**How it is stored.** The family of each record is kept as the claims change
(:mod:`registry.index.components`), with the offices holding records in it; so the audience of an
event is read, once per family and block, from the family's label — never by walking the family,
however large it grew. An audience (a set of offices) is stored once (``audiences``,
``audience_offices``), and each notification is one row keyed (audience, position, item): an
office's page merges the ranges of the audiences it belongs to, in chain order.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from registry.index.components import Components, Link
from registry.index.key_filters import KeyFilter

__all__ = [
    "EVERY_OFFICE",
    "NotificationKind",
    "Notifier",
    "delete_from",
]

#: The audience of a notification that reaches every office (``officeSuspended``).
EVERY_OFFICE: Final = "*"


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


# One notification to write: (position, item, kind, office | None, commitment | None, seq | None, also).
# Plain tuples: a batch adds one per entry, and a dataclass each cost more than the rest of its row.
_Pending = tuple[int, int, int, str | None, bytes | None, int | None, tuple[str, ...]]
_ADDED = int(NotificationKind.FAMILY_MEMBER_ADDED)


@dataclass
class Notifier:
    """The notifications of one block: collected while its events are applied, written at its end."""

    _pending: list[_Pending] = field(default_factory=list)
    _transactions: dict[int, bytes] = field(default_factory=dict)
    _links: list[Link] = field(default_factory=list)
    _withdrawn: list[Link] = field(default_factory=list)
    _audiences: dict[str, int] = field(default_factory=dict)  # offices (sorted, comma-joined) → id
    _labels: dict[int, int] = field(default_factory=dict)  # family labels of the records the block linked
    _joined: set[int] = field(default_factory=set)  # records joined as their batch was inserted
    claims_filter: KeyFilter | None = None  # the claims map's filter, for the families' lookups

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
        self._pending.extend((position, 2 * i, _ADDED, office, c, seq, ()) for i, c, seq in entries)

    def join_batch(
        self, db: sqlite3.Connection, new: dict[int, tuple[str, bytes]], links: list[Link]
    ) -> dict[int, int]:
        """Join a batch's records to their families before they are inserted: their labels.

        A record is written once with its label (an update after the insert would grow every
        linked row of the table, and split its pages).
        """
        labels, renamed = Components(db, self.claims_filter).join(new, links, stored=False)
        self._relabel(renamed)
        self._labels.update(labels)
        self._joined.update(new)
        return labels

    def _relabel(self, renamed: dict[int, int]) -> None:
        if renamed:
            for seq, label in self._labels.items():
                if label in renamed:
                    self._labels[seq] = renamed[label]

    def linked(self, links: Iterable[Link]) -> None:
        """Active claims the block added: (claiming seq, earlier office, earlier commitment)."""
        self._links.extend(links)

    def unlinked(self, link: Link) -> None:
        """A claim the block withdrew."""
        self._withdrawn.append(link)

    def _audience(self, db: sqlite3.Connection, offices: Iterable[str]) -> int:
        """The id of the audience ``offices``, stored the first time it is told anything."""
        text = ",".join(sorted(set(offices)))
        found = self._audiences.get(text)
        if found is None:
            row = db.execute("SELECT id FROM audiences WHERE offices = ?", (text,)).fetchone()
            if row is None:
                found = int(db.execute("INSERT INTO audiences (offices) VALUES (?)", (text,)).lastrowid or 0)
                db.executemany(
                    "INSERT INTO audience_offices (office, audience) VALUES (?, ?)",
                    [(office, found) for office in text.split(",")],
                )
            else:
                found = int(row[0])
            self._audiences[text] = found
        return found

    def flush(self, db: sqlite3.Connection, time: int) -> None:
        """Write the block's notifications, its events all applied; ``time`` is the block's Unix time."""
        families = Components(db, self.claims_filter)
        joined = self._joined
        new = {
            p[5]: (p[3], p[4])
            for p in self._pending
            if p[2] == _ADDED and p[5] is not None and p[3] and p[4] and p[5] not in joined
        }
        labels = self._labels
        if new or self._links:
            found, renamed = families.join(new, self._links)
            self._relabel(renamed)
            labels.update(found)
        if self._withdrawn:
            for record, split in families.split(self._withdrawn).items():
                if split is None:
                    labels.pop(record, None)
                else:
                    labels[record] = split
        # Judged once per family: all events of the block share the block's final families.
        told: dict[int, int] = {}  # label → audience
        rows: list[tuple[int, int, int, int, int | None]] = []
        for position, item, kind, office, commitment, seq, also in self._pending:
            if office is None or commitment is None or seq is None:
                rows.append((self._audience(db, (EVERY_OFFICE,)), position, item, kind, None))
                continue
            label = labels.get(seq) if seq in labels or seq in new or seq in joined else families.label(seq)
            if label is None:
                audience = self._audience(db, (office, *also))
            elif also:
                audience = self._audience(db, (*families.offices(label), *also))
            else:
                audience = told.get(label, 0)
                if not audience:
                    audience = told[label] = self._audience(db, families.offices(label))
            rows.append((audience, position, item, kind, seq))
        db.executemany(
            "INSERT OR IGNORE INTO notifications (audience, position, item, kind, seq) VALUES (?, ?, ?, ?, ?)", rows
        )
        db.executemany(
            "INSERT OR IGNORE INTO notices (position, tx_hash, time) VALUES (?, ?, ?)",
            [(position, tx, time) for position, tx in self._transactions.items()],
        )
        self._pending.clear()
        self._transactions.clear()
        self._links.clear()
        self._withdrawn.clear()
        self._labels.clear()
        self._joined.clear()


def delete_from(db: sqlite3.Connection, cut: int) -> None:
    """Delete every notification at chain position ``cut`` or later (a reorganisation, docs/design.md#p3).

    Audiences are numbered in the order they are first told something, so those first told at or
    after ``cut`` are the ones above every audience left: they go too, and the index is again
    what a rebuild of the remaining chain makes.
    """
    db.execute("DELETE FROM notices WHERE position >= ?", (cut,))
    audiences = [int(r[0]) for r in db.execute("SELECT id FROM audiences")]
    for audience in audiences:
        db.execute("DELETE FROM notifications WHERE audience = ? AND position >= ?", (audience, cut))
    kept = db.execute("SELECT coalesce(max(audience), 0) FROM notifications").fetchone()[0]
    db.execute("DELETE FROM audiences WHERE id > ?", (kept,))
    db.execute("DELETE FROM audience_offices WHERE audience > ?", (kept,))
