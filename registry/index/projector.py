"""The projector: what each event of the contract changes in the index's tables (docs/spec/entries.md).

One :class:`Projector` applies the events of one sync step inside its transaction, in chain order
(block, position in the block). The handlers are registered explicitly in :data:`HANDLERS`, keyed
by event name; :data:`IGNORED_EVENTS` lists, with the reason, every other event of the ABI, and a
test checks that the two cover the ABI. The rules applied:

- **Per office** (docs/design.md#p9-no-office-can-hurt-another, docs/spec/entries.md#uniqueness-is-per-office): a record
  is identified by (office, commitment), a batch by (office, root). What another office anchors under
  the same 32 bytes never shadows, blocks or replaces a record.
- **First anchored wins** per (office, commitment) (docs/design.md#p4-first-write-wins-history-stays), in chain order:
  block number, then position of the event in the block, then entry order within a batch. A later anchor
  of what the office already holds is a *conflict* of that office (table ``conflicts``).
- **Batches are checked, not trusted** and **chain data is input** (docs/spec/entries.md#chain-data-is-input): the
  checks are :mod:`registry.index.checks`; what fails is refused for the office that sent it
  (``anchors.refused`` or ``refusals``) and never becomes a record, claim or version.
- **Claims prove themselves** (docs/spec/entries.md#claim-tokens-and-confirmed-links): a claim counts as *confirmed*
  once the earlier office emitted ``PriorityClaimConfirmed`` for that link (only that office can: the event carries its
  code).
- **Versions** (property 4): version 1 is the anchored filing; ``FilingAmended``,
  ``PriorityClaimAdded`` and ``PriorityClaimWithdrawn`` after anchoring name the location
  ``(batchRoot, commitment)`` they apply to and are applied only to the winning record's location
  (the contract counts versions per location, so a losing duplicate can still be "amended" there).

With an executor (a process pool), batches are checked there a few ahead of the one being written.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any, Final

from eth_utils.address import to_checksum_address

from registry import errors
from registry.domain.entries import is_office_code
from registry.index import schema
from registry.index.checks import (
    MAX_COUNT,
    CheckedBatch,
    check_batch,
    is_canonical_number,
    is_kind,
    is_plausible_day,
    is_report_kind,
    is_usable_endpoint,
)
from registry.index.decode import EventSpec, decode_event, digest_or_none, event_specs, office_code
from registry.index.key_filters import KeyFilters
from registry.index.keys import RECORD_SEQ, prefix_in, prefixes
from registry.index.notifications import NotificationKind, Notifier
from registry.index.proofs import TREE_CACHE, BatchTree
from registry.index.results import report_id
from registry.ledger.chain import Chain, TransactionRef
from registry.ledger.compile import load_artifact

__all__ = ["EVENTS", "HANDLERS", "IGNORED_EVENTS", "ChainMoved", "Counts", "Projector", "is_batch"]

_ZERO32 = bytes(32)
_CHECK_AHEAD = 4  # batches checked in the executor ahead of the one being written


class ChainMoved(Exception):
    """The chain reorganised while a sync step read it: roll the step back and start again.

    Control flow between the projector and :mod:`registry.index.sync`, never seen outside the index.
    """


@dataclass
class Counts:
    """What a sync (or one step of it) applied; a step's counts are added once it has committed."""

    events: int = 0
    filings: int = 0
    batches: int = 0
    conflicts: int = 0
    refused: int = 0
    rolled_back: int = 0
    first_block: int | None = None

    def add(self, other: Counts) -> None:
        """Add the counts of a committed step (blocks rolled back and the first block are the sync's)."""
        self.events += other.events
        self.filings += other.filings
        self.batches += other.batches
        self.conflicts += other.conflicts
        self.refused += other.refused


class Projector:
    """Applies the events of one sync step inside its transaction (first anchored wins, per office)."""

    def __init__(
        self,
        chain: Chain,
        address: str,
        executor: Executor | None = None,
        batch_logs: Sequence[Any] = (),
        days: dict[int, _dt.date] | None = None,
        *,
        filters: KeyFilters,
    ) -> None:
        self._chain = chain
        # The maps' filters (registry.index.key_filters): every key this step adds goes through them.
        self._filters = filters
        self._address = address
        # Batches checked in ``executor`` ahead of their turn, in chain order (None: checked here).
        self._executor = executor
        self._batch_logs: Iterator[Any] = iter(batch_logs) if executor is not None else iter(())
        self._ahead: deque[tuple[bytes, bytes, Future[CheckedBatch]]] = deque()
        # The UTC day of each block with events: what a date in it may be at most
        # (docs/spec/entries.md#chain-data-is-input).
        self._days = days or {}
        # Counted apart and added to the sync's totals only once the step has committed.
        self.counts = Counts()
        # Only what the index's tree cache can keep: a step catching up on a long chain covers
        # thousands of batches, and holding every tree (and every 120 KB input) grew the process
        # by hundreds of megabytes that Python's allocator never returned.
        self.trees: deque[tuple[bytes, BatchTree]] = deque(maxlen=TREE_CACHE)
        self._transaction: tuple[bytes, TransactionRef | None] | None = None
        # Who is told of what (registry.index.notifications), written once each block is applied.
        self.notes = Notifier(claims_filter=filters.claims)

    def end_block(self, db: sqlite3.Connection, time: int) -> None:
        """The block's events are all applied: write its notifications (``time``: the block's Unix time)."""
        self.notes.flush(db, time)

    def apply(self, db: sqlite3.Connection, block: int, n: int, log: Any) -> None:
        """Apply ``log``, the ``n``-th event of the contract in ``block``; one the index ignores is only counted."""
        topics = log["topics"]
        spec = EVENTS.get(bytes(topics[0])) if topics else None
        self.counts.events += 1
        if spec is None:
            return
        try:
            args = decode_event(spec, topics, bytes(log["data"]))
        except Exception:
            return  # not the registry's event after all (same topic, other shape): nothing to keep
        handler = HANDLERS[spec.name]
        handler(self, db, block, schema.position(block, n), bytes(log["transactionHash"]), log, args)

    # Checks of chain data (docs/spec/entries.md#chain-data-is-input) ──────────────────────────────

    def _plausible(self, block: int, days: int) -> bool:
        """Whether a uint32 day count read in ``block`` is a plausible date for it."""
        return is_plausible_day(days, self._days.get(block))

    def _refuse(
        self,
        db: sqlite3.Connection,
        block: int,
        position: int,
        tx: bytes,
        office: str,
        commitment: bytes,
        event: str,
        reason: str,
    ) -> None:
        db.execute(
            "INSERT INTO refusals (position, block_number, tx_hash, office, commitment, event, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (position, block, tx, office, commitment, event, reason),
        )
        self.counts.refused += 1

    # Offices ──────────────────────────────────────────────────────────────────────────────

    def _office_event(
        self,
        db: sqlite3.Connection,
        block: int,
        position: int,
        tx: bytes,
        office: bytes,
        event: str,
        signer: Any,
        endpoint: str | None = None,
    ) -> None:
        db.execute(
            "INSERT INTO office_events (position, block_number, tx_hash, office, event, signer, endpoint)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                position,
                block,
                tx,
                office_code(office),
                event,
                to_checksum_address(signer) if signer else None,
                endpoint,
            ),
        )

    def _on_office_admitted(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "admitted", args["signer"])

    def _on_office_suspended(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "suspended", None)
        self.notes.add(position, tx, NotificationKind.OFFICE_SUSPENDED, None)

    def _on_office_reinstated(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "reinstated", None)

    def _on_office_key_rotated(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        self._office_event(db, block, position, tx, args["office"], "keyRotated", args["newSigner"])

    def _on_office_endpoint_set(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        endpoint = str(args["endpoint"])
        # Only a URL the gateways may call (docs/spec/between-gateways.md#outbound-calls) is kept; anything else reads
        # as "none".
        usable = is_usable_endpoint(endpoint)
        self._office_event(db, block, position, tx, args["office"], "endpointSet", None, endpoint if usable else "")

    # Anchoring ────────────────────────────────────────────────────────────────────────────

    @staticmethod
    def _next_seq(db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT coalesce(max(seq), 0) FROM records").fetchone()[0]) + 1

    @staticmethod
    def _next_claim(db: sqlite3.Connection) -> int:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM claims").fetchone()[0]) + 1

    def _on_filing_anchored(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office = office_code(args["office"])
        commitment = bytes(args["commitment"])
        kind, days = int(args["ipRightKind"]), int(args["filingDate"])
        refused: str | None = None
        if not is_kind(kind):
            refused = f"kind {kind} is not 1 (patent) … 4 (trademark)"
        elif not self._plausible(block, days):
            refused = f"filing day {days} is not a plausible date for block {block}"
        if refused is not None:
            db.execute(
                "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq,"
                " refused) VALUES (?, ?, ?, ?, ?, NULL, 1, NULL, ?)",
                (position, block, tx, int(log["transactionIndex"]), office, refused),
            )
            self.counts.refused += 1
            return
        seq = self._next_seq(db)
        # First anchored wins (docs/design.md#p4-first-write-wins-history-stays): a second anchor of
        # the same commitment by the same office is a conflict, not a record.
        inserted = self._all_new(db, office, [commitment])
        if inserted:
            db.execute(
                "INSERT INTO records (seq, office, commitment, kind, filing_date, document_digest, anchor,"
                " entry_index) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (seq, office, commitment, kind, days, digest_or_none(args["documentDigest"]), position),
            )
            self._filters.add_record_keys(db, [(commitment, office, seq)])
        db.execute(
            "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq, refused)"
            " VALUES (?, ?, ?, ?, ?, NULL, 1, ?, NULL)",
            (position, block, tx, int(log["transactionIndex"]), office, seq if inserted else None),
        )
        if inserted:
            self.counts.filings += 1
            self.notes.add(position, tx, NotificationKind.FAMILY_MEMBER_ADDED, office, commitment, seq)
        else:
            self._conflicts(db, [(office, commitment, position, None, block)])

    def _conflicts(self, db: sqlite3.Connection, rows: list[tuple[str, bytes, int, int | None, int]]) -> None:
        db.executemany(
            "INSERT INTO conflicts (office, commitment, anchor, entry_index, block_number) VALUES (?, ?, ?, ?, ?)",
            rows,
        )
        self.counts.conflicts += len(rows)

    def _transaction_input(self, tx_hash: bytes, log: Any) -> bytes | None:
        block_hash = bytes(log["blockHash"])
        # A transaction's logs are consecutive: remembering the last one read is enough.
        if self._transaction is None or self._transaction[0] != tx_hash:
            self._transaction = (
                tx_hash,
                self._chain.transaction_at(int(log["blockNumber"]), int(log["transactionIndex"])),
            )
        tx = self._transaction[1]
        if tx is None or tx.transaction_hash != tx_hash or tx.block_hash != block_hash:
            raise ChainMoved  # the log's transaction is no longer where the log said
        if (tx.to or "").lower() != self._address.lower():
            return None
        return tx.input

    def _on_batch_anchored(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        root, code, count = bytes(args["root"]), args["office"], int(args["count"])
        office = office_code(code)
        checked = self._checked(tx, log, root, code, count, self._days.get(block))
        if checked.reason is not None:
            db.execute(
                "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq,"
                " refused) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
                (
                    position,
                    block,
                    tx,
                    int(log["transactionIndex"]),
                    office,
                    root,
                    count if 0 <= count < MAX_COUNT else -1,
                    checked.reason,
                ),
            )
            self.counts.refused += 1
            return
        entries = checked.rows
        before = self._next_seq(db) - 1
        # When every entry will win (nearly always), the records are joined to their families first
        # and written once with their labels (registry.index.components); else after, at the block's end.
        labels: dict[int, int] | None = None
        # seqs: entry index → its record, when some entries lose (None: every entry won, entry i
        # is record before + 1 + i). An entry loses to the office's earlier anchor of the same
        # commitment, or to the same commitment earlier in this batch: first anchored wins.
        seqs: dict[int, int] | None = None
        if self._all_new(db, office, [e[0] for e in entries]):
            labels = self.notes.join_batch(
                db,
                {before + 1 + i: (office, e[0]) for i, e in enumerate(entries)},
                [(before + 1 + i, eo, earlier) for i, e in enumerate(entries) for eo, earlier, _d, _t in e[4] or ()],
            )
        else:
            seen = self._held(db, office, [e[0] for e in entries])
            seqs = {}
            for i, e in enumerate(entries):
                if e[0] not in seen:
                    seen.add(e[0])
                    seqs[i] = before + 1 + len(seqs)
            self._conflicts(
                db,
                [(office, e[0], position, i, block) for i, e in enumerate(entries) if i not in seqs],
            )
        get = (labels or {}).get
        winners = list(enumerate(entries)) if seqs is None else [(i, entries[i]) for i in seqs]
        db.executemany(
            "INSERT INTO records (seq, office, commitment, kind, filing_date, document_digest, anchor,"
            " entry_index, family) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (before + 1 + j, office, commitment, kind, days, digest, position, i, get(before + 1 + j))
                for j, (i, (commitment, kind, days, digest, _claims)) in enumerate(winners)
            ],
        )
        self._filters.add_record_keys(db, [(e[0], office, before + 1 + j) for j, (_i, e) in enumerate(winners)])
        claims = [
            (before + 1 + i if seqs is None else seqs[i], earlier_office, earlier, days, token, block)
            for i, e in enumerate(entries)
            if e[4] and (seqs is None or i in seqs)
            for earlier_office, earlier, days, token in e[4]
        ]
        if claims:
            first = self._next_claim(db)
            db.executemany(
                "INSERT INTO claims (id, later_seq, earlier_office, earlier, claimed_date, token, version,"
                " block_number) VALUES (?, ?, ?, ?, ?, ?, 1, ?)",
                [(first + k, *claim) for k, claim in enumerate(claims)],
            )
            self._filters.add_claim_keys(db, [(claim[2], first + k) for k, claim in enumerate(claims)])
            if labels is None:
                self.notes.linked((later, earlier_office, earlier) for later, earlier_office, earlier, *_ in claims)
        won = len(entries) if seqs is None else len(seqs)
        self.notes.add_entries(
            position,
            tx,
            office,
            (
                (i, e[0], before + 1 + i if seqs is None else seqs[i])
                for i, e in enumerate(entries)
                if seqs is None or i in seqs
            ),
        )
        db.execute(
            "INSERT INTO anchors (position, block_number, tx_hash, tx_index, office, root, count, first_seq, refused)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (position, block, tx, int(log["transactionIndex"]), office, root, count, before + 1 if won else None),
        )
        self.counts.filings += won
        self.counts.batches += 1
        if checked.tree is not None:
            self.trees.append((root, checked.tree))

    def _all_new(self, db: sqlite3.Connection, office: str, commitments: list[bytes]) -> bool:
        """Whether ``office`` holds none of ``commitments`` and none repeats: every entry will win."""
        return len(set(commitments)) == len(commitments) and not self._held(db, office, commitments)

    def _held(self, db: sqlite3.Connection, office: str, commitments: list[bytes]) -> set[bytes]:
        """Which of ``commitments`` ``office`` already holds (only those the records' filter may hold are looked up)."""
        held: set[bytes] = set()
        wanted = set(commitments)
        looked = self._filters.records.maybe(commitments)
        for start in range(0, len(looked), 500):
            some = looked[start : start + 500]
            sql = f"SELECT commitment FROM record_keys WHERE office = ? AND {prefix_in(len(some))}"  # noqa: S608
            rows = db.execute(sql, [office, *prefixes(some)])
            held.update(c for c in (bytes(row[0]) for row in rows) if c in wanted)  # a prefix is not the key
        return held

    def _checked(
        self, tx: bytes, log: Any, root: bytes, code: bytes, count: int, block_day: _dt.date | None
    ) -> CheckedBatch:
        """The batch of ``log`` checked: by the executor when it was sent there ahead, else here.

        check_batch reports a bad batch as a reason, never by raising: a failure here is the
        executor's (a pool shut down or broken), and the step goes on checking in this process.
        """
        if self._executor is not None:
            try:
                self._send_ahead(self._executor)
                if self._ahead and self._ahead[0][:2] == (tx, root):
                    return self._ahead.popleft()[2].result()
            except (ChainMoved, errors.RegistryError):
                raise  # the chain's answers, not the executor's: as without one
            except Exception:  # whatever broke the executor, the check itself can run here
                self._executor = None
                self._ahead.clear()
        return check_batch(self._transaction_input(tx, log), root, code, count, block_day=block_day)

    def _send_ahead(self, executor: Executor) -> None:
        while len(self._ahead) < _CHECK_AHEAD:
            ahead = next(self._batch_logs, None)
            if ahead is None:
                return
            args = decode_event(EVENTS[bytes(ahead["topics"][0])], ahead["topics"], bytes(ahead["data"]))
            ahead_tx = bytes(ahead["transactionHash"])
            data = self._transaction_input(ahead_tx, ahead)
            future = executor.submit(
                check_batch,
                data,
                bytes(args["root"]),
                args["office"],
                int(args["count"]),
                keep_tree=False,
                block_day=self._days.get(int(ahead["blockNumber"])),
            )
            self._ahead.append((ahead_tx, bytes(args["root"]), future))

    # After anchoring ───────────────────────────────────────────────────────────────────────

    @staticmethod
    def _at_winner(db: sqlite3.Connection, office: str, commitment: bytes, batch_root: bytes) -> int | None:
        """``office``'s record seq when (``batch_root``, ``commitment``) is where it anchored it."""
        row = db.execute(
            "SELECT r.seq, a.root FROM records r JOIN anchors a ON a.position = r.anchor"
            " WHERE r.seq IN (SELECT seq FROM record_keys WHERE prefix = substr(?1, 1, 8) AND commitment = ?1"
            " AND office = ?2)",
            (commitment, office),
        ).fetchone()
        return int(row[0]) if row is not None and (row[1] or _ZERO32) == batch_root else None

    @staticmethod
    def _current(db: sqlite3.Connection, seq: int) -> tuple[int, bytes | None]:
        row = db.execute(
            "SELECT filing_date, document_digest FROM versions WHERE seq = ? ORDER BY version DESC LIMIT 1", (seq,)
        ).fetchone()
        if row is None:
            row = db.execute("SELECT filing_date, document_digest FROM records WHERE seq = ?", (seq,)).fetchone()
        return int(row[0]), row[1]

    @staticmethod
    def _version(
        db: sqlite3.Connection,
        seq: int,
        version: int,
        change: str,
        filing_date: int,
        digest: bytes | None,
        block: int,
        position: int,
        tx: bytes,
    ) -> bool:
        """Insert a version; False when the ledger already gave one that number (then it is refused)."""
        inserted = db.execute(
            "INSERT OR IGNORE INTO versions (seq, version, change, filing_date, document_digest, block_number,"
            " position, tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, version, change, filing_date, digest, block, position, tx),
        ).rowcount
        return bool(inserted)

    def _on_filing_amended(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = office_code(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        days = int(args["filingDate"])
        if not self._plausible(block, days):
            reason = f"amended filing day {days} is not a plausible date for block {block}"
            self._refuse(db, block, position, tx, office, commitment, "FilingAmended", reason)
            return
        digest = digest_or_none(args["documentDigest"])
        if not self._version(db, seq, int(args["version"]), "amended", days, digest, block, position, tx):
            self._refuse(db, block, position, tx, office, commitment, "FilingAmended", "repeats a version number")
            return
        self.notes.add(position, tx, NotificationKind.FILING_AMENDED, office, commitment, seq)

    def _on_priority_claim_added(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = office_code(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version, days = int(args["version"]), int(args["claimedFilingDate"])
        earlier_office = bytes(args["earlierOffice"])
        reason: str | None = None
        if not is_office_code(earlier_office):
            reason = f"the claim names no office ({earlier_office.hex()})"
        elif not self._plausible(block, days):
            reason = f"claimed day {days} is not a plausible date for block {block}"
        elif version > 1 and not self._version(
            db, seq, version, "claimAdded", *self._current(db, seq), block, position, tx
        ):
            reason = "repeats a version number"
        if reason is not None:
            self._refuse(db, block, position, tx, office, commitment, "PriorityClaimAdded", reason)
            return
        claim = self._next_claim(db)
        db.execute(
            "INSERT INTO claims (id, later_seq, earlier_office, earlier, claimed_date, token, version, block_number)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                claim,
                seq,
                earlier_office.decode("ascii"),
                bytes(args["earlierCommitment"]),
                days,
                bytes(args["claimToken"]),
                version,
                block,
            ),
        )
        self._filters.add_claim_keys(db, [(bytes(args["earlierCommitment"]), claim)])
        self.notes.linked([(seq, earlier_office.decode("ascii"), bytes(args["earlierCommitment"]))])
        if version > 1:  # version 1: the claims of a filing as anchored, told as its familyMemberAdded
            self.notes.add(position, tx, NotificationKind.PRIORITY_CLAIM_ADDED, office, commitment, seq)

    def _on_priority_claim_withdrawn(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = office_code(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        version = int(args["version"])
        if not self._version(db, seq, version, "claimWithdrawn", *self._current(db, seq), block, position, tx):
            self._refuse(db, block, position, tx, office, commitment, "PriorityClaimWithdrawn", "repeats a version")
            return
        # The newest active claim of that pair: a claim may be added again after a withdrawal.
        earlier, earlier_office = bytes(args["earlierCommitment"]), office_code(args["earlierOffice"])
        withdrawn = db.execute(
            "UPDATE claims SET withdrawn_version = ?, withdrawn_block = ? WHERE id = (SELECT id FROM claims"
            " WHERE later_seq = ? AND earlier = ? AND earlier_office = ? AND withdrawn_version IS NULL"
            " ORDER BY id DESC LIMIT 1)",
            (version, block, seq, earlier, earlier_office),
        ).rowcount
        if withdrawn:
            self.notes.unlinked((seq, earlier_office, earlier))
        self.notes.add(position, tx, NotificationKind.PRIORITY_CLAIM_WITHDRAWN, office, commitment, seq)

    def _on_priority_claim_confirmed(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        # Only the earlier office can emit its own code here (the contract takes it from the
        # sender's key), so a row speaks for that office alone: nothing else to check.
        office, earlier = office_code(args["office"]), bytes(args["earlierCommitment"])
        later_office, later = office_code(args["laterOffice"]), bytes(args["laterCommitment"])
        inserted = db.execute(
            "INSERT OR IGNORE INTO confirmations (office, earlier, later_office, later, block_number, position,"
            " tx_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (office, earlier, later_office, later, block, position, tx),
        ).rowcount
        if not inserted:
            return
        # It concerns the claiming application; the confirmed one when the claiming one is not anchored.
        for node_office, node in ((later_office, later), (office, earlier)):
            row = db.execute(RECORD_SEQ, (node, node_office))
            found = row.fetchone()
            if found is not None:
                kind = NotificationKind.PRIORITY_CLAIM_CONFIRMED
                self.notes.add(position, tx, kind, node_office, node, int(found[0]))
                return

    def _on_report_anchored(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = office_code(args["office"]), bytes(args["commitment"])
        kind, issued = int(args["kind"]), int(args["issued"])
        if not is_report_kind(kind) or not self._plausible(block, issued):
            reason = f"report kind {kind} or issue day {issued} out of range"
            self._refuse(db, block, position, tx, office, commitment, "ReportAnchored", reason)
            return
        digest = bytes(args["reportDigest"])
        inserted = db.execute(
            "INSERT OR IGNORE INTO reports (office, report_digest, commitment, kind, issued, block_number, position,"
            " tx_hash, report_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (office, digest, commitment, kind, issued, block, position, tx, report_id(office, digest)),
        ).rowcount
        if not inserted:
            self._refuse(db, block, position, tx, office, commitment, "ReportAnchored", "repeats a report digest")
            return
        row = db.execute(RECORD_SEQ, (commitment, office)).fetchone()
        if row is not None:
            self.notes.add(position, tx, NotificationKind.REPORT_ADDED, office, commitment, int(row[0]))

    def _on_filing_published(
        self, db: sqlite3.Connection, block: int, position: int, tx: bytes, log: Any, args: dict[str, Any]
    ) -> None:
        office, commitment = office_code(args["office"]), bytes(args["commitment"])
        seq = self._at_winner(db, office, commitment, bytes(args["batchRoot"]))
        if seq is None:
            return
        number = str(args["canonicalNumber"])
        if not is_canonical_number(number):
            self._refuse(db, block, position, tx, office, commitment, "FilingPublished", "the number is not canonical")
            return
        # The access secret is public once revealed, but the index has no use for it.
        inserted = db.execute(
            "INSERT OR IGNORE INTO publications (seq, number_office, number, block_number, position, tx_hash)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (seq, office_code(args["numberOffice"]), number, block, position, tx),
        ).rowcount
        if inserted:
            self.notes.add(position, tx, NotificationKind.FILING_PUBLISHED, office, commitment, seq)


#: A handler: (projector, db, block, chain position, transaction hash, log, decoded arguments).
Handler = Callable[[Projector, sqlite3.Connection, int, int, bytes, Any, dict[str, Any]], None]

#: Every event the index keeps, and the handler that keeps it. An event of the ABI that is
#: neither here nor in IGNORED_EVENTS fails tests/registry/index/test_projector.py.
HANDLERS: Final[dict[str, Handler]] = {
    "OfficeAdmitted": Projector._on_office_admitted,
    "OfficeSuspended": Projector._on_office_suspended,
    "OfficeReinstated": Projector._on_office_reinstated,
    "OfficeKeyRotated": Projector._on_office_key_rotated,
    "OfficeEndpointSet": Projector._on_office_endpoint_set,
    "FilingAnchored": Projector._on_filing_anchored,
    "BatchAnchored": Projector._on_batch_anchored,
    "FilingAmended": Projector._on_filing_amended,
    "PriorityClaimAdded": Projector._on_priority_claim_added,
    "PriorityClaimWithdrawn": Projector._on_priority_claim_withdrawn,
    "PriorityClaimConfirmed": Projector._on_priority_claim_confirmed,
    "ReportAnchored": Projector._on_report_anchored,
    "FilingPublished": Projector._on_filing_published,
}

#: Events of the contract the index deliberately does not read (they are only counted).
IGNORED_EVENTS: Final = frozenset(
    {
        # AccessControl's role bookkeeping: who may call what. The office directory the index
        # keeps comes from the Office* events, which name the office and its key.
        "RoleAdminChanged",
        "RoleGranted",
        "RoleRevoked",
        # EIP-5267: the EIP-712 domain changed. The domain (name, version, chain id, contract)
        # is fixed at deployment and known to the signing code (registry.ledger.signing).
        "EIP712DomainChanged",
        # Governance (ledger v2): a proposal's life. Its outcome reaches the index as the Office*
        # event it executes; a proposal itself is read from the contract (getProposal).
        "ProposalCreated",
        "ProposalVoted",
        "ProposalConsented",
        "ProposalCancelled",
        "ProposalExecuted",
    }
)

#: The events the projector reads, by topic.
EVENTS: Final[dict[bytes, EventSpec]] = event_specs(load_artifact()["abi"], HANDLERS)


def is_batch(log: Any) -> bool:
    """Whether ``log`` is the contract's ``BatchAnchored`` (its calldata may be checked ahead)."""
    topics = log["topics"]
    spec = EVENTS.get(bytes(topics[0])) if topics else None
    return spec is not None and spec.name == "BatchAnchored"
