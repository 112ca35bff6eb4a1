"""The priority-document desk of a gateway: what DAS does, on the ledger (R26, docs/api.md#priority-documents).

- The office of first filing builds, signs and anchors a package of its own application
  (:func:`registry.service.packages.create_package`); this gateway keeps the package in its content-addressed
  :class:`~registry.service.files.FileStore` and maps (office, commitment, version) to its SHA-256.
- An office of second filing retrieves it with what the applicant gave it — office, number, filing date and access
  code. Number and code give the commitment; a wrong code, an unknown application and one without a document all get
  the same 404, byte for byte (docs/api.md#status-codes-on-office-endpoints); the right code with a wrong filing date
  is 422 ``filingDateMismatch``. When another office's gateway holds the package, it is fetched with a
  ``PriorityDocumentRequest`` signed by the caller office's key and carrying only
  :func:`~registry.domain.commitments.access_secret_hash` (docs/spec/between-gateways.md#signed-requests), and it is
  checked with :func:`~registry.service.packages.verify_package` before it is handed on
  (docs/spec/between-gateways.md#what-the-requester-checks).
- The holder logs every retrieval, here or through another gateway, and shows the log to the document's own office.

What a gateway keeps for this, beside the files, is one SQLite file of its state directory, :data:`PACKAGES_FILE`
(shared by all its workers, covered by backups like every file there, registry.ops.backup): ``held`` (office,
commitment, version → SHA-256), ``secrets`` (the access secret of each application with a package, which the office
issued itself, so that the holder can recompute a requester's ``accessSecretHash``) and ``accesses``.

A new version anchored by :meth:`PriorityDocuments.create` is where the ``priorityDocumentAmended`` notification of
docs/api.md#priority-documents comes from: every office in :meth:`PackageBook.accesses` of an earlier version is to
hear of it. The notification feed itself is not this module's (docs/api.md#notifications).
"""

from __future__ import annotations

import datetime as _dt
import hmac
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from registry import errors
from registry.domain.accesscodes import normalize as normalize_access_code
from registry.domain.commitments import access_secret_hash, to_hex
from registry.domain.commitments import commitment as commit
from registry.domain.numbers import NormalizedNumber
from registry.domain.numbers import normalize as normalize_number
from registry.domain.packages import MAX_TOTAL_BYTES
from registry.domain.types import Commitment, as_commitment
from registry.service import RegistryService
from registry.service.files import FileStore
from registry.service.gateway_requests import (
    GatewaySender,
    PriorityDocumentRequest,
    expiry_in,
    new_nonce,
    sign_request,
)
from registry.service.packages import CreatedPackage, create_package, verify_package
from registry.service.shared_sqlite import now_text, open_shared

__all__ = [
    "DOCUMENT_NOT_FOUND",
    "GATEWAY_PATH",
    "MAX_PACKAGE_BYTES",
    "PACKAGES_FILE",
    "PackageAccess",
    "PackageBook",
    "PriorityDocuments",
    "RetrievedPackage",
    "accesses_not_found",
]

#: The SQLite file of a state directory that maps held packages to their files and logs every access.
PACKAGES_FILE = "packages.sqlite"
#: The path of the holder's route (docs/spec/between-gateways.md#signed-requests).
GATEWAY_PATH = "/v1/gateway/priority-documents"
#: The most a gateway reads of another's package: the container's own limit and a little for the archive's
#: headers, within the 65 MB of the package routes (docs/spec/packages.md#upload-limits).
MAX_PACKAGE_BYTES = MAX_TOTAL_BYTES + 1024 * 1024


#: The one sentence of every 404 of a retrieval: unknown application, wrong code, no document read alike — it names
#: nothing the caller sent, so that no two refusals differ by a byte.
DOCUMENT_NOT_FOUND = "no priority document is available for this application number, filing date and access code"


def accesses_not_found(commitment: bytes) -> str:
    """The one sentence of every 404 about a document's access log: not the owner and no document read alike."""
    return f"no priority document is held for {to_hex(as_commitment(commitment))}"


@dataclass(frozen=True)
class PackageAccess:
    """One retrieval of a package: by ``office``, at ``at`` (RFC 3339 UTC), of ``version``."""

    office: str
    at: str
    version: int


@dataclass(frozen=True)
class RetrievedPackage:
    """A package handed to an office: the application it documents, its version and bytes."""

    office: str
    commitment: bytes
    version: int
    data: bytes


class PackageBook:
    """The packages this gateway holds, their applications' access secrets and every access: one SQLite file for all
    workers (:data:`PACKAGES_FILE`; ``":memory:"`` for an app without a state directory)."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = open_shared(path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS held (office TEXT NOT NULL, commitment BLOB NOT NULL, version INTEGER NOT NULL,"
            " sha256 TEXT NOT NULL, PRIMARY KEY (office, commitment, version)) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS secrets (office TEXT NOT NULL, commitment BLOB NOT NULL, secret TEXT NOT NULL,"
            " PRIMARY KEY (office, commitment)) WITHOUT ROWID"
        )
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS accesses (id INTEGER PRIMARY KEY, office TEXT NOT NULL, commitment BLOB NOT"
            " NULL, requester TEXT NOT NULL, at TEXT NOT NULL, version INTEGER NOT NULL)"
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS accesses_document ON accesses (office, commitment, id)")
        # What this gateway's own offices fetched from other gateways: whom to tell of a later version
        # (docs/api.md#notifications, priorityDocumentAmended). The holder's own accesses cover the rest.
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS retrieved (office TEXT NOT NULL, holder TEXT NOT NULL,"
            " commitment BLOB NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (office, holder, commitment, version))"
            " WITHOUT ROWID"
        )

    def hold(self, office: str, commitment: bytes, version: int, sha256: str, secret: str) -> None:
        """Record that this gateway keeps package ``sha256`` as ``version`` of ``office``'s ``commitment``."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO held (office, commitment, version, sha256) VALUES (?, ?, ?, ?)",
                    (office, commitment, version, sha256),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO secrets (office, commitment, secret) VALUES (?, ?, ?)",
                    (office, commitment, secret),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def held(self, office: str, commitment: bytes, version: int | None) -> tuple[int, str] | None:
        """(version, SHA-256) of the package kept for ``version`` (None: the latest), or None."""
        with self._lock:
            if version is None:
                row = self._db.execute(
                    "SELECT version, sha256 FROM held WHERE office = ? AND commitment = ? ORDER BY version DESC"
                    " LIMIT 1",
                    (office, commitment),
                ).fetchone()
            else:
                row = self._db.execute(
                    "SELECT version, sha256 FROM held WHERE office = ? AND commitment = ? AND version = ?",
                    (office, commitment, version),
                ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def secret_holders(self, commitment: bytes) -> list[tuple[str, str]]:
        """(office, access secret) of each office here with a package of ``commitment``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT office, secret FROM secrets WHERE commitment = ? ORDER BY office", (commitment,)
            ).fetchall()
        return [(str(o), str(s)) for o, s in rows]

    def log(self, office: str, commitment: bytes, access: PackageAccess) -> None:
        """Append one access to ``office``'s document ``commitment``."""
        with self._lock:
            self._db.execute(
                "INSERT INTO accesses (office, commitment, requester, at, version) VALUES (?, ?, ?, ?, ?)",
                (office, commitment, access.office, access.at, access.version),
            )

    def accesses(self, office: str, commitment: bytes) -> list[PackageAccess]:
        """Every access to ``office``'s document ``commitment``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT requester, at, version FROM accesses WHERE office = ? AND commitment = ? ORDER BY id",
                (office, commitment),
            ).fetchall()
        return [PackageAccess(str(r), str(at), int(v)) for r, at, v in rows]

    def note_retrieved(self, office: str, holder: str, commitment: bytes, version: int) -> None:
        """``office`` (one of this gateway's) retrieved ``version`` of ``holder``'s document ``commitment``."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO retrieved (office, holder, commitment, version) VALUES (?, ?, ?, ?)",
                (office, holder, commitment, version),
            )

    def retrieved_by(self, office: str) -> list[tuple[str, bytes, int]]:
        """(holder office, commitment, earliest version) of every document ``office`` retrieved, through this
        gateway from another or from this gateway itself."""
        with self._lock:
            rows = self._db.execute(
                "SELECT holder, commitment, min(version) FROM (SELECT holder, commitment, version FROM retrieved"
                " WHERE office = ? UNION ALL SELECT office, commitment, version FROM accesses WHERE requester = ?)"
                " GROUP BY holder, commitment ORDER BY holder, commitment",
                (office, office),
            ).fetchall()
        return [(str(h), bytes(c), int(v)) for h, c, v in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class PriorityDocuments:
    """Creating, retrieving and serving priority-document packages for the offices of one gateway (module
    docstring)."""

    def __init__(
        self,
        service: RegistryService,
        files: FileStore,
        book: PackageBook,
        sender: GatewaySender,
        *,
        clock: Callable[[], str] = now_text,
    ) -> None:
        self.service = service
        self.files = files
        self.book = book
        self.sender = sender
        self._clock = clock

    # ── the office of first filing ─────────────────────────────────────────────────────

    def create(
        self,
        office: str,
        commitment: Commitment,
        application_number: str,
        access_code: str | None,
        files: Sequence[tuple[str, str, bytes]],
        *,
        bibliographic: bytes | None = None,
    ) -> CreatedPackage:
        """Build, sign and anchor a package of ``office``'s own application, keep it and map it to its version
        (errors as :func:`~registry.service.packages.create_package`)."""
        if not self.service.index.contains(office, commitment):
            self.service.sync()
        self.service.own_record(office, commitment)  # 403 / 404 before anything is read
        created = create_package(
            self.service,
            office,
            commitment,
            application_number,
            access_code,
            files,
            bibliographic=bibliographic,
            store=self.files,
        )
        # create_package checked that number and code give the commitment: the secret is the application's.
        code = access_code
        if code is None:
            code = self.service.derived_access_code(office, normalize_number(office, application_number))
        assert code is not None
        secret = normalize_access_code(code).secret
        self.book.hold(office, commitment, created.version, created.package_sha256, secret)
        return created

    def accesses(self, office: str, commitment: Commitment) -> list[PackageAccess]:
        """Who retrieved which version, for the document's own office only (anyone else: the same 404 as no
        document)."""
        if not self.book.held(office, commitment, None):
            raise errors.NotFound(accesses_not_found(commitment))
        return self.book.accesses(office, commitment)

    # ── the office of second filing ────────────────────────────────────────────────────

    def retrieve(
        self,
        office: str,
        ip_office_code: str,
        application_number: str,
        filing_date: _dt.date,
        access_code: str,
        version: int | None = None,
    ) -> RetrievedPackage:
        """The package for ``office``, from this gateway's store or fetched from the holder's gateway and checked
        (module docstring)."""
        try:
            number = normalize_number(ip_office_code, application_number)
        except errors.InvalidInput as exc:
            raise exc.with_target(exc.target or "applicationNumber") from None
        try:
            secret = normalize_access_code(access_code).secret
        except errors.InvalidInput as exc:
            raise exc.with_target("accessCode") from None
        not_found = DOCUMENT_NOT_FOUND
        key = commit(number.office, number.canonical, secret)
        # The index as it stands: a guess must not make the gateway ask the node (nor take longer than a miss).
        record = self.service.index.record(key, number.office)
        if record is None:
            raise errors.NotFound(not_found)
        if record.filing_date != filing_date:
            raise errors.InvalidInput(
                f"{number.display} was not filed on {filing_date.isoformat()}",
                code="filingDateMismatch",
                target="filingDate",
            )
        local = self._local(number.office, key, version)
        if local is not None:
            self.book.log(number.office, key, PackageAccess(office, self._clock(), local.version))
            return local
        if number.office in self.service.writable_offices():
            raise errors.NotFound(not_found)
        return self._fetch(office, number, key, access_code, version, not_found)

    def _fetch(
        self,
        office: str,
        number: NormalizedNumber,
        key: Commitment,
        access_code: str,
        version: int | None,
        not_found: str,
    ) -> RetrievedPackage:
        signing_key = self.service.client_for(office).account.key
        secret = normalize_access_code(access_code).secret
        request = PriorityDocumentRequest(
            office, bytes(key), version or 0, access_secret_hash(office, key, secret), new_nonce(), expiry_in()
        )  # version 0: the latest package the holder keeps
        body = sign_request(request, signing_key, self.service.chain.chain_id, self.service.contract)
        answer = self.sender.post(
            number.office, GATEWAY_PATH, body, max_bytes=MAX_PACKAGE_BYTES, not_found=not_found
        )  # fmt: skip
        unusable = f"office {number.office}'s gateway sent a package that does not pass the checks of the ledger"
        try:
            checked = verify_package(self.service.chain, self.service.contract, answer.content, access_code)
        except errors.MalformedPackage:
            raise errors.HolderUnavailable(unusable) from None
        if (
            not checked.valid
            or checked.ip_office_code != number.office
            or checked.application_number != number.canonical
            or checked.version is None
            or (version is not None and checked.version != version)
        ):
            failed = ", ".join(c.name for c in checked.checks if not c.passed and c.name != "isCurrentVersion")
            raise errors.HolderUnavailable(f"{unusable} ({failed or 'another application or version'})")
        self.book.note_retrieved(office, number.office, bytes(key), checked.version)
        return RetrievedPackage(number.office, bytes(key), checked.version, answer.content)

    # ── the holder ─────────────────────────────────────────────────────────────────────

    def serve(self, request: PriorityDocumentRequest, not_found: str) -> RetrievedPackage:
        """The package for a checked request from another gateway
        (docs/spec/between-gateways.md#what-the-holder-refuses: ``accessSecretHash`` must be the requesting office's
        hash of this application's secret); every refusal the same 404."""

        def refuse(reason: str) -> errors.GatewayRequestRefused:
            return errors.GatewayRequestRefused(not_found, reason=reason)

        for owner, secret in self.book.secret_holders(request.commitment):
            expected = access_secret_hash(request.office, request.commitment, secret)
            if not hmac.compare_digest(expected, request.access_secret_hash):
                continue
            local = self._local(owner, as_commitment(request.commitment), request.version or None)
            if local is None:
                raise refuse("this gateway holds no such version")
            self.book.log(owner, request.commitment, PackageAccess(request.office, self._clock(), local.version))
            return local
        raise refuse("no package of this commitment here, or the access secret hash does not match")

    # ── helpers ────────────────────────────────────────────────────────────────────────

    def _local(self, office: str, commitment: bytes, version: int | None) -> RetrievedPackage | None:
        held = self.book.held(office, commitment, version)
        if held is None:
            return None
        stored = self.files.get(held[1])
        if stored is None:
            return None
        return RetrievedPackage(office, commitment, held[0], stored.data)
