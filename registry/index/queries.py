"""The read side of the index: every question the service and the API ask of it.

Each read runs in one read transaction (a consistent snapshot while a sync writes, see
:mod:`registry.index.store`) and returns :mod:`registry.index.results` values, never rows. What
the reads answer follows docs/spec/entries.md: a record is (office, commitment) and a query keyed by a
commitment alone gives the first anchored in chain order with the others in ``also_anchored_by``;
claims are seen from both sides and count once confirmed by the earlier office; a family is the
connected component of the active claim graph (:mod:`registry.domain.families`); a verification
(:meth:`Queries.facts`) reads one statement and no Merkle tree (docs/spec/commitments.md).
"""

from __future__ import annotations

import abc
import heapq
import itertools
import sqlite3
from collections import deque
from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import Any

from registry import errors
from registry.domain.families import ClaimGraph
from registry.domain.types import IpRightKind, date_from_days
from registry.index.components import canonical_labels
from registry.index.keys import RECORD_SEQ
from registry.index.notifications import EVERY_OFFICE, NotificationKind
from registry.index.proofs import BatchTree
from registry.index.results import (
    IndexedClaim,
    IndexedConflict,
    IndexedInclusion,
    IndexedNotification,
    IndexedOffice,
    IndexedRecord,
    IndexedReport,
    IndexedSummary,
    IndexedVersion,
    IndexedWriting,
    IndexStats,
    OfficeChange,
    Refusal,
    RefusedBatch,
    RegisteredFacts,
    node_id,
)
from registry.index.schema import TABLES, last_indexed, split_position

__all__ = ["Queries"]

_ZERO32 = bytes(32)

# A claim with its claiming record's (office, commitment) and whether the earlier office confirmed it.
_CLAIM_COLUMNS = (
    "SELECT r.commitment, c.earlier, c.claimed_date, c.version, c.withdrawn_version, r.office, c.earlier_office,"
    " c.token, EXISTS (SELECT 1 FROM confirmations f WHERE f.later = r.commitment AND f.later_office = r.office"
    " AND f.earlier = c.earlier AND f.office = c.earlier_office) FROM claims c JOIN records r ON r.seq = c.later_seq"
)
_CLAIMS_BY_LATER = _CLAIM_COLUMNS + " WHERE c.later_seq = ? ORDER BY c.id"
_CLAIMS_BY_EARLIER = (
    _CLAIM_COLUMNS  # noqa: S608 - constant text; values are parameters
    + " WHERE c.id IN (SELECT id FROM claim_keys WHERE prefix = substr(?1, 1, 8) AND earlier = ?1)"
    " AND c.earlier_office = ?2 ORDER BY c.id"
)

# The active links touching one node of a family, with their claim ids (chain order).
_FAMILY_LINKS = (
    _CLAIM_COLUMNS.replace("SELECT ", "SELECT c.id, ", 1)  # noqa: S608 - constant text; values are parameters
    + " WHERE c.withdrawn_version IS NULL AND (c.later_seq IN"
    " (SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)"
    " OR (c.id IN (SELECT id FROM claim_keys WHERE prefix = substr(?3, 1, 8) AND earlier = ?3)"
    " AND c.earlier_office = ?4))"
)

# Where a record was written (Queries.written): version 1's values, its anchor and the batch root.
_WRITTEN = (
    "SELECT r.seq, r.filing_date, r.document_digest, r.anchor, r.entry_index, a.block_number, a.tx_hash, a.root"
    " FROM records r JOIN anchors a ON a.position = r.anchor WHERE r.seq IN (SELECT seq FROM record_keys"
    " WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)"
)

# The offices holding a record under one commitment, first anchored first; the seq of one office's record.
# Every lookup in a key map names the prefix its levels are searched by and the whole key (registry.index.keys).
_HOLDERS = "SELECT office FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 ORDER BY seq"

# One audience's notifications after a point (position, item), in chain order: one range of the key.
_NOTIFICATIONS = (
    "SELECT position, item, kind, seq FROM notifications"
    " WHERE audience = ? AND (position, item) > (?, ?) ORDER BY position, item LIMIT ?"
)
# What a notification tells of: its application (or, for a suspension, the office), its transaction.
_NOTIFIED = (
    "SELECT coalesce((SELECT office FROM records WHERE seq = ?),"
    " (SELECT office FROM office_events WHERE position = ?)),"
    " (SELECT commitment FROM records WHERE seq = ?), tx_hash, time FROM notices WHERE position = ?"
)

# Verification's read (Index.facts): the record, its newest later version if any, and the dates of
# its active claims in chain order (the inner ORDER BY feeds group_concat in that order).
_FACTS = """
SELECT r.office, r.kind, r.filing_date, r.document_digest, v.version, v.filing_date, v.document_digest,
       (SELECT group_concat(claimed_date) FROM (SELECT claimed_date FROM claims
         WHERE later_seq = r.seq AND withdrawn_version IS NULL ORDER BY id))
FROM records r
LEFT JOIN versions v ON v.seq = r.seq AND v.version = (SELECT max(version) FROM versions WHERE seq = r.seq)
WHERE r.seq IN (SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)
"""


_REPORT_COLUMNS = (
    "SELECT position, office, commitment, report_digest, kind, issued, block_number, tx_hash, report_id FROM reports"
)


def _report(row: tuple[Any, ...]) -> IndexedReport:
    _position, office, commitment, digest, kind, issued, block, tx, rid = row
    return IndexedReport(rid, office, commitment, digest, kind, date_from_days(issued), block, tx)


class Queries(abc.ABC):
    """The queries of :class:`~registry.index.Index`, over the connections it provides.

    A subclass gives :meth:`_reading` (a connection inside a read transaction) and
    :meth:`_batch_tree` (the Merkle tree of a stored batch, for inclusion proofs).
    """

    @abc.abstractmethod
    def _reading(self, *, snapshot: bool = True) -> AbstractContextManager[sqlite3.Connection]:
        """A connection inside a read transaction (``snapshot``: one consistent view for several reads)."""

    @abc.abstractmethod
    def _batch_tree(self, db: sqlite3.Connection, root: bytes, position: int) -> BatchTree:
        """The Merkle tree of the batch with ``root`` anchored at ``position``."""

    def contains(self, office: str, commitment: bytes) -> bool:
        """Whether ``office`` holds a record of ``commitment``: the API's 409 check
        (docs/spec/entries.md#uniqueness-is-per-office)."""
        with self._reading() as db:
            row = db.execute(
                "SELECT 1 FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2",
                (commitment, office),
            )
            return row.fetchone() is not None

    def holders(self, commitment: bytes) -> tuple[str, ...]:
        """The offices holding a record under ``commitment``, in chain order (first anchored first)."""
        with self._reading() as db:
            rows = db.execute(_HOLDERS, (commitment,))
            return tuple(r[0] for r in rows)

    def claimed_offices(self, commitment: bytes) -> tuple[str, ...]:
        """The offices claims name for ``commitment`` (a member known only from claims), first first."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT earlier_office FROM claims WHERE id IN"
                " (SELECT id FROM claim_keys WHERE prefix = substr(?1, 1, 8) AND earlier = ?1)"
                " GROUP BY earlier_office ORDER BY min(id)",
                (commitment,),
            )
            return tuple(r[0] for r in rows)

    def record(self, commitment: bytes, office: str | None = None) -> IndexedRecord | None:
        """The record ``office`` anchored for ``commitment`` with its versions, claims both ways and proof.

        Without ``office``: the record anchored first in chain order under those 32 bytes, the others
        listed in ``also_anchored_by`` (docs/spec/entries.md#paths-keyed-by-a-commitment).
        """
        with self._reading() as db:
            holders = [r[0] for r in db.execute(_HOLDERS, (commitment,))]
            if not holders or (office is not None and office not in holders):
                return None
            office = holders[0] if office is None else office
            row = db.execute(
                "SELECT r.seq, r.office, r.kind, r.filing_date, r.document_digest, r.anchor, r.entry_index,"
                " a.block_number, a.tx_hash, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
                " WHERE r.seq IN (SELECT seq FROM record_keys"
                " WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)",
                (commitment, office),
            ).fetchone()
            seq, office, kind, days, digest, anchor, entry_index, block, tx_hash, root = row
            versions = self._versions(
                db, seq, IndexedVersion(1, date_from_days(days), digest, block, tx_hash, "anchored")
            )
            claims = self._claims(db, _CLAIMS_BY_LATER, (seq,))
            incoming = [c for c in self._claims(db, _CLAIMS_BY_EARLIER, (commitment, office)) if not c.withdrawn]
            claimed_by_nodes = tuple(dict.fromkeys((c.later_office, c.later) for c in incoming))
            published = db.execute("SELECT number_office, number FROM publications WHERE seq = ?", (seq,)).fetchone()
            inclusion = self._inclusion(db, root, anchor, entry_index)
        current = versions[-1]
        return IndexedRecord(
            commitment=commitment,
            office=office,
            kind=IpRightKind(kind),
            filing_date=current.filing_date,
            document_digest=current.document_digest,
            version=current.version,
            versions=tuple(versions),
            priority_claims=claims,
            claimed_by=tuple(dict.fromkeys(later for _o, later in claimed_by_nodes)),
            inclusion=inclusion,
            published_number=published[1] if published else None,
            number_office=published[0] if published else None,
            block_number=block,
            transaction_hash=tx_hash,
            also_anchored_by=tuple(h for h in holders if h != office),
            claimed_by_nodes=claimed_by_nodes,
        )

    def written(self, commitment: bytes, office: str, version: int) -> IndexedWriting | None:
        """Where version ``version`` of ``office``'s record of ``commitment`` was written (the newest when the
        record has no such version), with its block's hash, the record's inclusion proof and the last indexed
        block: what a verdict's evidence needs (docs/api.md#evidence), and none of :meth:`record`'s claims,
        holders or publication. ``None`` when ``office`` holds no such record."""
        with self._reading() as db:
            row = db.execute(_WRITTEN, (commitment, office)).fetchone()
            if row is None:
                return None
            seq, days, digest, anchor, entry_index, block, tx_hash, root = row
            versions = self._versions(
                db, seq, IndexedVersion(1, date_from_days(days), digest, block, tx_hash, "anchored")
            )
            chosen = next((v for v in versions if v.version == version), versions[-1])
            found = db.execute("SELECT hash FROM blocks WHERE number = ?", (chosen.block_number,)).fetchone()
            return IndexedWriting(
                version=chosen,
                block_hash=None if found is None else bytes(found[0]),
                inclusion=self._inclusion(db, root, anchor, entry_index),
                head=last_indexed(db)[0],
            )

    @staticmethod
    def _versions(db: sqlite3.Connection, seq: int, first: IndexedVersion) -> list[IndexedVersion]:
        """Every version of the record ``seq``, version 1 (``first``, as anchored) first."""
        rows = db.execute(
            "SELECT version, filing_date, document_digest, block_number, tx_hash, change FROM versions"
            " WHERE seq = ? ORDER BY version",
            (seq,),
        )
        return [first, *(IndexedVersion(v, date_from_days(d), dg, b, tx, change) for v, d, dg, b, tx, change in rows)]

    def _inclusion(
        self, db: sqlite3.Connection, root: bytes | None, anchor: int, entry_index: int | None
    ) -> IndexedInclusion | None:
        """The inclusion proof of entry ``entry_index`` of the batch ``root`` anchored at ``anchor`` (none: stored)."""
        if root is None or entry_index is None:
            return None
        tree = self._batch_tree(db, root, anchor)
        return IndexedInclusion(root, tree.entries[entry_index], tuple(tree.tree.proof(entry_index)), entry_index)

    def facts(self, office: str, commitment: bytes) -> RegisteredFacts | None:
        """The current version of ``office``'s record of ``commitment`` and its active claim dates.

        Only that office's record (docs/spec/commitments.md#whose-record-counts: a verification looks up the claimed
        office only). One statement (a statement reads one snapshot, so no read transaction is opened around it)
        and no Merkle tree: :meth:`record` also rebuilds the batch tree to attach an inclusion
        proof, which costs milliseconds and a verification never reads.
        """
        with self._reading(snapshot=False) as db:
            row = db.execute(_FACTS, (commitment, office)).fetchone()
        if row is None:
            return None
        office, kind, days, digest, version, amended_days, amended_digest, claimed = row
        if version is not None:
            days, digest = amended_days, amended_digest
        dates = tuple(date_from_days(int(d)) for d in claimed.split(",")) if claimed else ()
        return RegisteredFacts(commitment, office, IpRightKind(kind), date_from_days(days), digest, version or 1, dates)

    @staticmethod
    def _claims(db: sqlite3.Connection, sql: str, key: tuple[Any, ...]) -> tuple[IndexedClaim, ...]:
        return tuple(
            IndexedClaim(a, b, date_from_days(d), v, w, lo, eo, tok, bool(conf))
            for a, b, d, v, w, lo, eo, tok, conf in db.execute(sql, key)
        )

    def claims_of(self, office: str, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The priority claims ``office``'s record of ``commitment`` made, withdrawn ones included."""
        with self._reading() as db:
            row = db.execute(RECORD_SEQ, (commitment, office)).fetchone()
            return () if row is None else self._claims(db, _CLAIMS_BY_LATER, (row[0],))

    def claimed_by(self, office: str, commitment: bytes) -> tuple[IndexedClaim, ...]:
        """The active claims of other records to (``office``, ``commitment``)."""
        with self._reading() as db:
            return tuple(c for c in self._claims(db, _CLAIMS_BY_EARLIER, (commitment, office)) if not c.withdrawn)

    def claims_on(self, office: str, *, after: int = 0) -> list[tuple[int, IndexedClaim]]:
        """Active claims naming ``office`` as the earlier office, with claim ids above ``after``.

        What that office's gateway checks and confirms (docs/spec/entries.md#claim-tokens-and-confirmed-links), in chain
        order.
        """
        sql = (
            _CLAIM_COLUMNS.replace("SELECT ", "SELECT c.id, ", 1)
            + " WHERE c.earlier_office = ? AND c.id > ? AND c.withdrawn_version IS NULL ORDER BY c.id"
        )
        with self._reading() as db:
            rows = db.execute(sql, (office, after)).fetchall()
        return [
            (claim_id, IndexedClaim(a, b, date_from_days(d), v, w, lo, eo, tok, bool(conf)))
            for claim_id, a, b, d, v, w, lo, eo, tok, conf in rows
        ]

    def summaries(self, nodes: Iterable[tuple[str, bytes]]) -> dict[tuple[str, bytes], IndexedSummary]:
        """Kind, current filing date and published number of each anchored (office, commitment)."""
        wanted = list(dict.fromkeys(nodes))
        out: dict[tuple[str, bytes], IndexedSummary] = {}
        with self._reading() as db:
            for office, c in wanted:
                row = db.execute(
                    "SELECT r.office, r.kind, coalesce((SELECT filing_date FROM versions v WHERE"
                    " v.seq = r.seq ORDER BY version DESC LIMIT 1), r.filing_date),"
                    " (SELECT number FROM publications p WHERE p.seq = r.seq)"
                    " FROM records r WHERE r.seq IN (SELECT seq FROM record_keys"
                    " WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)",
                    (c, office),
                ).fetchone()
                if row is not None:
                    out[(office, c)] = IndexedSummary(c, row[0], IpRightKind(row[1]), date_from_days(row[2]), row[3])
        return out

    def family_graph(
        self, office: str, commitment: bytes, *, max_nodes: int = 100_000
    ) -> tuple[ClaimGraph, dict[tuple[str, str], bool]]:
        """The connected component of (``office``, ``commitment``) in the active claim graph.

        Nodes are (office, commitment) (docs/spec/entries.md#claim-tokens-and-confirmed-links), written :func:`node_id`
        for :mod:`registry.domain.families`. Returns the graph and, per link (later node, earlier node),
        whether the earlier office confirmed it. Links the graph refuses (a second active claim of
        the same pair, a claim closing a cycle: the contract does not forbid them) are left out in
        chain order. Stops growing at ``max_nodes`` members.
        """
        graph = ClaimGraph()
        start = (office, commitment)
        seen = {start}
        frontier = deque([start])
        links: dict[int, tuple[tuple[str, bytes], tuple[str, bytes], int, bool]] = {}
        with self._reading() as db:
            while frontier and len(seen) < max_nodes:
                node_office, node = frontier.popleft()
                rows = db.execute(_FAMILY_LINKS, (node, node_office, node, node_office))
                for claim_id, later, earlier, days, _v, _w, later_office, earlier_office, _tok, conf in rows:
                    a, b = (later_office, later), (earlier_office, earlier)
                    links[claim_id] = (a, b, days, bool(conf))
                    for n in (a, b):
                        if n not in seen and len(seen) < max_nodes:
                            seen.add(n)
                            frontier.append(n)
        confirmed: dict[tuple[str, str], bool] = {}
        for claim_id in sorted(links):
            a, b, days, conf = links[claim_id]
            if a in seen and b in seen:
                try:
                    graph.add_claim(node_id(*a), node_id(*b), date_from_days(days))
                except errors.InvalidClaim:
                    continue
                confirmed[(node_id(*a), node_id(*b))] = conf
        return graph, confirmed

    def notifications(self, office: str, after: tuple[int, int] | None, limit: int) -> list[IndexedNotification]:
        """``office``'s first ``limit`` notifications after (position, item) ``after`` (None: from the start).

        Each notification is stored once, for its audience (a set of offices): the ranges of the
        audiences ``office`` is in (and of :data:`~registry.index.notifications.EVERY_OFFICE`) are
        read and merged in chain order, each one range of the key however large the index: a page
        reads at most ``limit`` keys per audience, then what its notifications tell of.
        """
        position, item = after if after is not None else (-1, -1)
        with self._reading() as db:
            audiences = [
                int(r[0])
                for r in db.execute(
                    "SELECT audience FROM audience_offices WHERE office IN (?, ?)", (office, EVERY_OFFICE)
                )
            ]
            # Keys first, each range read whole and at once (a statement per audience, reused), then
            # what the page's ``limit`` notifications tell of.
            ranges = [db.execute(_NOTIFICATIONS, (a, position, item, limit)).fetchall() for a in audiences]
            rows = list(itertools.islice(heapq.merge(*ranges), limit))
            out = []
            for p, i, k, seq in rows:
                o, c, tx, t = db.execute(_NOTIFIED, (seq, p, seq, p)).fetchone()
                out.append(
                    IndexedNotification(p, i, k, o, None if c is None else bytes(c), bytes(tx), split_position(p)[0], t)
                )
        return out

    def document_versions_after(self, office: str, commitment: bytes, version: int) -> list[IndexedNotification]:
        """``priorityDocumentAmended`` for each later version of ``office``'s record of ``commitment`` that changed its
        document digest (a new package: docs/spec/packages.md#on-chain), after ``version``; item 1 at the amendment's
        position, beside its ``filingAmended`` (docs/api.md#notifications)."""
        with self._reading() as db:
            row = db.execute(
                "SELECT seq, document_digest FROM records WHERE seq IN"
                " (SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1 AND office = ?2)",
                (commitment, office),
            ).fetchone()
            if row is None:
                return []
            seq, digest = row
            out = []
            for number, changed, position in db.execute(
                "SELECT version, document_digest, position FROM versions WHERE seq = ? ORDER BY version", (seq,)
            ).fetchall():
                if changed is not None and changed != digest and number > version:
                    notice = db.execute("SELECT tx_hash, time FROM notices WHERE position = ?", (position,)).fetchone()
                    if notice is not None:
                        tx, time = notice
                        out.append(
                            IndexedNotification(
                                position,
                                1,
                                int(NotificationKind.PRIORITY_DOCUMENT_AMENDED),
                                office,
                                bytes(commitment),
                                bytes(tx),
                                split_position(position)[0],
                                time,
                            )
                        )
                digest = changed if changed is not None else digest
        return out

    def conflicts(self, commitment: bytes) -> tuple[IndexedConflict, ...]:
        """Later anchors of ``commitment`` by an office that already held it, in chain order."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT c.office, a.root, c.entry_index, c.block_number, a.tx_hash FROM conflicts c"
                " JOIN anchors a ON a.position = c.anchor WHERE c.commitment = ? ORDER BY c.id",
                (commitment,),
            ).fetchall()
        return tuple(IndexedConflict(commitment, o, r, i, b, tx) for o, r, i, b, tx in rows)

    def refused_batches(self) -> tuple[RefusedBatch, ...]:
        """Batches the index refused, in chain order, with the reason."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT root, office, block_number, tx_hash, refused FROM anchors WHERE refused IS NOT NULL"
                " ORDER BY position"
            ).fetchall()
        return tuple(RefusedBatch(root or _ZERO32, *rest) for root, *rest in rows)

    def refusals(self) -> tuple[Refusal, ...]:
        """Claims, amendments, reports and publications refused for their sender, in chain order."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, commitment, event, block_number, tx_hash, reason FROM refusals ORDER BY position"
            ).fetchall()
        return tuple(Refusal(*row) for row in rows)

    def reports(self, office: str, commitment: bytes) -> tuple[IndexedReport, ...]:
        """The reports ``office`` anchored for its application ``commitment``, in chain order."""
        return self.reports_of([(office, commitment)])

    def reports_of(self, nodes: Iterable[tuple[str, bytes]]) -> tuple[IndexedReport, ...]:
        """The reports anchored for any of the records ``nodes`` (office, commitment), in chain order
        (docs/api.md#work-sharing-in-the-family: the reports of a family)."""
        wanted = list(dict.fromkeys(nodes))
        rows: list[tuple[Any, ...]] = []
        with self._reading() as db:
            for office, commitment in wanted:
                rows.extend(db.execute(_REPORT_COLUMNS + " WHERE commitment = ? AND office = ?", (commitment, office)))
        rows.sort(key=lambda row: row[0])
        return tuple(_report(row) for row in rows)

    def report(self, report_id_: bytes) -> IndexedReport | None:
        """The report whose id is ``report_id_`` (docs/spec/entries.md#document-digests-and-reports), or None."""
        with self._reading() as db:
            row = db.execute(_REPORT_COLUMNS + " WHERE report_id = ?", (report_id_,)).fetchone()
        return None if row is None else _report(row)

    def offices(self) -> list[IndexedOffice]:
        """The office directory as the events built it, sorted by code."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT office, block_number, tx_hash, event, signer, endpoint FROM office_events ORDER BY position"
            ).fetchall()
        state: dict[str, tuple[str, bool, list[OfficeChange]]] = {}
        endpoints: dict[str, str | None] = {}
        for code, block, tx_hash, event, signer, endpoint in rows:
            if event == "endpointSet":
                endpoints[code] = endpoint or None
                continue
            current_signer, active, history = state.get(code, ("", False, []))
            history.append(OfficeChange(block, tx_hash, event, signer))
            if event == "admitted":
                current_signer, active = signer, True
            elif event == "suspended":
                active = False
            elif event == "reinstated":
                active = True
            elif event == "keyRotated":
                current_signer = signer
            state[code] = (current_signer, active, history)
        return [IndexedOffice(code, s, a, tuple(h), endpoints.get(code)) for code, (s, a, h) in sorted(state.items())]

    def block_hash(self, number: int) -> bytes | None:
        """The hash of block ``number`` when it carried registry events (kept for good, registry.index.sync),
        or when it is one of the newest indexed; ``None`` otherwise."""
        with self._reading(snapshot=False) as db:
            row = db.execute("SELECT hash FROM blocks WHERE number = ?", (number,)).fetchone()
        return None if row is None else bytes(row[0])

    def stats(self) -> IndexStats:
        """Totals: filings (records), batches, conflicts, refused batches, last block."""
        with self._reading() as db:
            # seq is dense (rows only ever leave from the top), so max(seq) counts without a scan.
            filings = db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]
            batches, stored, refused = db.execute(
                "SELECT count(*) FILTER (WHERE root IS NOT NULL AND refused IS NULL),"
                " count(*) FILTER (WHERE root IS NULL AND refused IS NULL),"
                " count(*) FILTER (WHERE refused IS NOT NULL) FROM anchors"
            ).fetchone()
            claims = db.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]
            conflicts = db.execute("SELECT count(*) FROM conflicts").fetchone()[0]
            last = last_indexed(db)[0]
        return IndexStats(filings, batches, stored, claims, conflicts, refused, last)

    def size_bytes(self) -> int:
        """Bytes of the database in use (pages holding data; free pages and the WAL not counted)."""
        with self._reading() as db:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            free = db.execute("PRAGMA freelist_count").fetchone()[0]
            size = db.execute("PRAGMA page_size").fetchone()[0]
        return int((pages - free) * size)

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, in key order: two indexes of the same chain compare equal."""
        with self._reading() as db:
            out: dict[str, list[tuple[Any, ...]]] = {}
            # Family labels depend on the index's history (registry.index.components): read canonically.
            labels = canonical_labels(db)
            for table in TABLES:
                columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
                order = ", ".join(columns)
                rows = [tuple(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY {order}")]  # noqa: S608
                if "family" in columns:
                    at = columns.index("family")
                    rows = sorted((*r[:at], labels.get(r[at], r[at]), *r[at + 1 :]) for r in rows)
                out[table] = rows
            return out
