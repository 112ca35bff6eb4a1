"""Search and examination reports shared inside the family before publication (R15,
docs/api.md#work-sharing-in-the-family).

An office anchors a report of its own application: the file's SHA-256, bound to the commitment
(docs/spec/entries.md#document-digests-and-reports), goes on chain; the file stays with the writing office's gateway,
in its content-addressed :class:`~registry.service.files.FileStore`. An office with a record joined to the report's
application by **confirmed** links (docs/spec/entries.md#claim-tokens-and-confirmed-links) lists and retrieves it
through its own gateway, which fetches it from the holder with a request signed by the caller office's key
(docs/spec/between-gateways.md) and checks the bytes against the ledger's binding before it answers. Anyone else gets
the same 404 as for an unknown commitment or report id. The holder logs every access and shows the log to the report's
own office only.

What a gateway keeps for this, beside the files, is one SQLite file of its state directory, :data:`REPORTS_FILE`
(shared by all its workers, covered by backups like every file there, registry.ops.backup):

- ``held``: report id → SHA-256 and media type of each report this gateway holds (the ledger has only the bound
  digest, which cannot be turned back into the file's name);
- ``accesses``: every retrieval, local or through another gateway — office, time, and the record of that office
  through which it had the right.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from registry import errors
from registry.domain.commitments import REPORT_KINDS, bound_report_digest, to_hex
from registry.domain.filings import check_plausible_date, check_report_issued
from registry.domain.types import Commitment, as_commitment, parse_date
from registry.index import Index, IndexedReport, node_id, parse_node, report_id
from registry.service import LedgerAck, RegistryService
from registry.service.family_view import start_office
from registry.service.files import FileStore, media_type_or_default
from registry.service.gateway_requests import GatewaySender, ReportRequest, expiry_in, new_nonce, sign_request
from registry.service.shared_sqlite import now_text, open_shared

__all__ = [
    "MAX_REPORT_BYTES",
    "REPORTS_FILE",
    "REPORT_KINDS",
    "AnchoredReport",
    "FamilyReport",
    "ReportAccess",
    "ReportBook",
    "ReportFile",
    "Reports",
    "confirmed_members",
    "parse_issued",
    "parse_kind",
    "report_not_found",
]

#: The SQLite file of a state directory that maps held reports to their files and logs every access.
REPORTS_FILE = "reports.sqlite"
#: The largest report file: what a request body may be (docs/design.md#p10-no-request-can-take-the-gateway-down), and
#: so also what a gateway reads from another (docs/spec/between-gateways.md#outbound-calls).
MAX_REPORT_BYTES = 16 * 1024 * 1024
#: The path of the holder's route (docs/spec/between-gateways.md#signed-requests).
GATEWAY_PATH = "/v1/gateway/reports/{reportId}"


def report_not_found(report_id: bytes) -> str:
    """The one sentence of every 404 about a report: unknown and not-yours read alike."""
    return f"no report {to_hex(report_id)} is anchored"


def family_not_found(commitment: Commitment) -> str:
    """The one sentence of every 404 about a family's reports (the family route's own for an unknown commitment)."""
    return f"no application is anchored or claimed under commitment {to_hex(commitment)}"


def parse_kind(value: str | None) -> int:
    """The on-chain value of a report kind name, or 422 ``notAllowedValue`` at ``kind``."""
    if value is None or value == "":
        raise errors.InvalidInput("give the report's kind as the form field 'kind'", code="required", target="kind")
    if value not in REPORT_KINDS:
        raise errors.InvalidInput(
            f"{value[:40]!r} is not a kind of report: use one of {', '.join(REPORT_KINDS)}",
            code="notAllowedValue",
            target="kind",
        )
    return REPORT_KINDS[value]


def parse_issued(value: str | None, latest_block_day: _dt.date) -> _dt.date:
    """The report's issue date: a calendar date, plausible as anchoring takes dates
    (docs/spec/priority-rules.md#plausible-dates), else 422 at ``issued``."""
    if value is None or value == "":
        raise errors.InvalidInput(
            "give the day the report was issued as the form field 'issued' (YYYY-MM-DD)",
            code="required",
            target="issued",
        )
    try:
        day = parse_date(value[:40])
    except errors.InvalidInput as exc:
        raise exc.with_target("issued") from None
    return check_plausible_date(day, latest_block_day, target="issued")


def confirmed_members(index: Index, office: str, commitment: bytes) -> frozenset[tuple[str, bytes]]:
    """The records joined to (``office``, ``commitment``) by **confirmed** links, itself included
    (docs/spec/entries.md#claim-tokens-and-confirmed-links: every link is shown; only a confirmed one grants
    anything)."""
    _graph, confirmed = index.family_graph(office, commitment)
    neighbours: dict[str, set[str]] = defaultdict(set)
    for (later, earlier), is_confirmed in confirmed.items():
        if is_confirmed:
            neighbours[later].add(earlier)
            neighbours[earlier].add(later)
    start = node_id(office, commitment)
    seen = {start}
    frontier = deque([start])
    while frontier:
        for other in neighbours[frontier.popleft()]:
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return frozenset(parse_node(n) for n in seen)


@dataclass(frozen=True)
class AnchoredReport:
    """A report just anchored: as the index holds it, and the transaction."""

    report: IndexedReport
    sha256: str
    ledger: LedgerAck


@dataclass(frozen=True)
class FamilyReport:
    """A report of a family, and its SHA-256 when this gateway holds the file."""

    report: IndexedReport
    sha256: str | None


@dataclass(frozen=True)
class ReportFile:
    """A report's file, checked against the ledger's binding."""

    report: IndexedReport
    sha256: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class ReportAccess:
    """One retrieval of a report: by ``office``, at ``at`` (RFC 3339 UTC), through its record ``through``."""

    office: str
    at: str
    through: bytes


class ReportBook:
    """The reports this gateway holds and every access to them: one SQLite file for all workers
    (:data:`REPORTS_FILE`; ``":memory:"`` for an app without a state directory)."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = open_shared(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS held (report_id BLOB PRIMARY KEY, sha256 TEXT NOT NULL,"
            " media_type TEXT NOT NULL) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS accesses (id INTEGER PRIMARY KEY, report_id BLOB NOT NULL,"
            " office TEXT NOT NULL, at TEXT NOT NULL, through BLOB NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS accesses_report ON accesses (report_id, id)")

    def hold(self, report_id: bytes, sha256: str, media_type: str) -> None:
        """Record that this gateway keeps the file ``sha256`` for ``report_id`` (idempotent)."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO held (report_id, sha256, media_type) VALUES (?, ?, ?)",
                (report_id, sha256, media_type),
            )

    def held(self, report_id: bytes) -> tuple[str, str] | None:
        """(SHA-256, media type) of the file kept for ``report_id``, or None."""
        with self._lock:
            row = self._db.execute("SELECT sha256, media_type FROM held WHERE report_id = ?", (report_id,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def log(self, report_id: bytes, access: ReportAccess) -> None:
        """Append one access."""
        with self._lock:
            self._db.execute(
                "INSERT INTO accesses (report_id, office, at, through) VALUES (?, ?, ?, ?)",
                (report_id, access.office, access.at, access.through),
            )

    def accesses(self, report_id: bytes) -> list[ReportAccess]:
        """Every access to ``report_id``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT office, at, through FROM accesses WHERE report_id = ? ORDER BY id", (report_id,)
            ).fetchall()
        return [ReportAccess(str(o), str(at), bytes(t)) for o, at, t in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class Reports:
    """Anchoring, listing, retrieving and serving reports for the offices of one gateway (module docstring)."""

    def __init__(
        self,
        service: RegistryService,
        files: FileStore,
        book: ReportBook,
        sender: GatewaySender,
        *,
        clock: Callable[[], str] = now_text,
    ) -> None:
        self.service = service
        self.files = files
        self.book = book
        self.sender = sender
        self._clock = clock

    @property
    def index(self) -> Index:
        """The gateway's index."""
        return self.service.index

    # ── the writing office ─────────────────────────────────────────────────────────────

    def anchor(
        self, office: str, commitment: Commitment, data: bytes, media_type: str | None, kind: int, issued: _dt.date
    ) -> AnchoredReport:
        """Keep the file, then bind its SHA-256 to ``office``'s application on chain.

        The file is kept first (atomically, content-addressed) and mapped to its report id: a report
        the ledger holds is never without its file here; a file whose anchoring failed is harmless and
        taken again by a retry. Before that, every refusal: a file empty or over 16 MB, another office's or an unknown
        application (403/404), a report ``issued`` before the application's filing date
        (:class:`~registry.errors.ReportBeforeFiling`).
        """
        if len(data) > MAX_REPORT_BYTES:
            raise errors.InvalidInput("the report is larger than 16 MB", code="tooLarge", target="file")
        if not data:
            raise errors.InvalidInput("the report file is empty", code="required", target="file")
        if not self.index.contains(office, commitment):
            self.service.sync()
        record = self.service.own_record(office, commitment)  # 403 / 404 before the file is kept
        check_report_issued(issued, record.filing_date)  # and a report dated before the filing (422)
        kept = media_type_or_default(media_type)
        sha256 = self.files.put(data, media_type=kept)
        digest = bound_report_digest(commitment, bytes.fromhex(sha256))
        self.book.hold(report_id(office, digest), sha256, kept)
        report, ack = self.service.anchor_report(office, commitment, bytes.fromhex(sha256), kind, issued)
        return AnchoredReport(report, sha256, ack)

    def accesses(self, office: str, report_id: bytes) -> list[ReportAccess]:
        """Who retrieved the report, for its own office only (any other: the same 404 as an unknown id)."""
        report = self.index.report(report_id)
        if report is None or report.office != office:
            raise errors.NotFound(report_not_found(report_id))
        return self.book.accesses(report_id)

    # ── offices of the family ──────────────────────────────────────────────────────────

    def family_reports(
        self, office: str, commitment: Commitment, ip_office_code: str | None = None
    ) -> list[FamilyReport]:
        """The reports of every record joined by confirmed links to the record the path names, for an
        office with a record among them; anyone else gets the same 404 as an unknown commitment."""
        start = start_office(self.index, commitment, ip_office_code)
        if start is None:
            raise errors.NotFound(family_not_found(commitment))
        members = confirmed_members(self.index, start, commitment)
        if _through(self.index, office, members) is None:
            raise errors.NotFound(family_not_found(commitment))
        return [FamilyReport(r, self._held_sha256(r.report_id)) for r in self.index.reports_of(sorted(members))]

    def retrieve(self, office: str, report_id: bytes) -> ReportFile:
        """The report's file for ``office``: from this gateway's store, or fetched from the holder's gateway
        (signed with ``office``'s key) and checked against the ledger's binding."""
        not_found = report_not_found(report_id)
        report = self.index.report(report_id)
        if report is None:
            raise errors.NotFound(not_found)
        through = _through(
            self.index, office, confirmed_members(self.index, report.office, report.commitment), prefer=report
        )
        if through is None:
            raise errors.NotFound(not_found)
        local = self._local(report)
        if local is not None:
            self.book.log(report_id, ReportAccess(office, self._clock(), through))
            return local
        if report.office in self.service.writable_offices():
            raise errors.HolderUnavailable(
                f"this gateway holds office {report.office}'s key but not the file of report {to_hex(report_id)}"
            )
        return self._fetch(office, report, through, not_found)

    def _fetch(self, office: str, report: IndexedReport, through: bytes, not_found: str) -> ReportFile:
        key = self.service.client_for(office).account.key
        request = ReportRequest(office, report.report_id, through, new_nonce(), expiry_in())
        body = sign_request(request, key, self.service.chain.chain_id, self.service.contract)
        path = GATEWAY_PATH.replace("{reportId}", to_hex(report.report_id))
        answer = self.sender.post(report.office, path, body, max_bytes=MAX_REPORT_BYTES, not_found=not_found)
        sha256 = hashlib.sha256(answer.content).digest()
        # docs/spec/between-gateways.md#what-the-requester-checks: the bytes must be the ones the ledger bound.
        if bound_report_digest(as_commitment(report.commitment), sha256) != report.report_digest:
            raise errors.HolderUnavailable(
                f"office {report.office}'s gateway sent a file that does not match the report anchored on the ledger"
            )
        return ReportFile(report, sha256.hex(), media_type_or_default(answer.content_type), answer.content)

    # ── the holder ─────────────────────────────────────────────────────────────────────

    def serve(self, request: ReportRequest, not_found: str) -> ReportFile:
        """The file for a checked request from another gateway
        (docs/spec/between-gateways.md#what-the-holder-refuses: ``throughCommitment`` a record of the requesting office
        joined to the report's application by confirmed links); every refusal the same 404."""

        def refuse(reason: str) -> errors.GatewayRequestRefused:
            return errors.GatewayRequestRefused(not_found, reason=reason)

        report = self.index.report(request.report_id)
        if report is None:
            raise refuse("unknown report")
        if not self.index.contains(request.office, request.through_commitment):
            raise refuse("throughCommitment is not a record of the requesting office")
        members = confirmed_members(self.index, report.office, report.commitment)
        if (request.office, request.through_commitment) not in members:
            raise refuse("throughCommitment is not joined to the report's application by confirmed links")
        local = self._local(report)
        if local is None:
            raise refuse("this gateway does not hold the file")
        self.book.log(report.report_id, ReportAccess(request.office, self._clock(), request.through_commitment))
        return local

    # ── helpers ────────────────────────────────────────────────────────────────────────

    def _held_sha256(self, report_id: bytes) -> str | None:
        held = self.book.held(report_id)
        return held[0] if held is not None and self.files.has(held[0]) else None

    def _local(self, report: IndexedReport) -> ReportFile | None:
        held = self.book.held(report.report_id)
        if held is None:
            return None
        stored = self.files.get(held[0])
        if (
            stored is None
            or bound_report_digest(as_commitment(report.commitment), bytes.fromhex(stored.sha256))
            != report.report_digest
        ):
            return None
        return ReportFile(report, stored.sha256, held[1], stored.data)


def _through(
    index: Index, office: str, members: Iterable[tuple[str, bytes]], *, prefer: IndexedReport | None = None
) -> bytes | None:
    """The record of ``office`` among ``members`` through which it may see the reports: the report's own
    application for its own office, else the smallest commitment (one answer for the same state)."""
    own = sorted(c for o, c in members if o == office and index.contains(o, c))
    if prefer is not None and prefer.office == office and prefer.commitment in own:
        return prefer.commitment
    return own[0] if own else None
