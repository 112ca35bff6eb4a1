"""The answers of the registry as JSON shows them: one pydantic model per answer shape (docs/api.md#conventions).

One shape per answer (docs/design.md#how-the-code-is-written): these models are the serializer. Domain and service
objects stay plain data; each model has one constructor, ``of(…)``, that reads them, and the JSON is the
model's own dump (:meth:`Answer.body`, or FastAPI's serialization of the returned model). So the
OpenAPI document, which FastAPI writes from these same models, cannot drift from the bodies: a
test validates every endpoint's real body against it (``tests/api/test_answers_match_openapi.py``).

Why here, in ``registry/service``, and not in ``api/schemas.py``: the CLI prints the same answers
(``prioreg verify --json``, ``prioreg family --json``) and ``registry`` never imports ``api``
(docs/design.md, the layers). The answers are what the service *says*, so they live beside it; the API
re-exports them from :mod:`api.schemas` next to its request bodies and error envelope, which are
the gateway's own business. The import rule holds: ``api`` → ``service`` → ``index``/``ledger`` →
``domain``, never back.

Wire habits, fixed here once: keys are lowerCamelCase (WIPO ST.90); commitments, digests and
transaction hashes are ``0x`` + lowercase hex; dates are ``YYYY-MM-DD``; an absent value is
``null``, never a missing key; the order of keys is the order of the fields below (clients and the
CLI's tests read the bytes).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from registry.domain.commitments import REPORT_KINDS, to_hex
from registry.domain.law import Criterion
from registry.domain.rules import (
    Check,
    ParentRelation,
    RegisteredApplication,
    Restoration,
    Severity,
    Verdict,
    Verification,
)
from registry.domain.types import IpRightKind
from registry.index import IndexedNotification, IndexedOffice, IndexedRecord, IndexedVersion
from registry.index.notifications import NotificationKind
from registry.ledger.client import AnchoredBatch
from registry.service import FilingOutcome, LedgerAck
from registry.service.all_claims import AllClaims
from registry.service.evidence import Evidence, EvidenceInput
from registry.service.notifications import NotificationPage, cursor_of
from registry.service.packages import CreatedPackage, PackageVerification
from registry.service.priority_documents import PackageAccess

if TYPE_CHECKING:  # the answers read them; reports.py imports family_view, which imports these answers
    from registry.service.reports import AnchoredReport, FamilyReport, ReportAccess

__all__ = [
    "Answer",
    "ApplicationClaimOut",
    "ApplicationClaimsOut",
    "ApplicationOut",
    "ApplicationVersionOut",
    "BatchOut",
    "BatchRefOut",
    "BatchTxOut",
    "CheckOut",
    "ClaimOut",
    "Commitment",
    "CriterionName",
    "DocumentVerifyOut",
    "EvidenceInputOut",
    "EvidenceLaterOut",
    "EvidenceOut",
    "EvidencePriorityOut",
    "FamilyOut",
    "FamilyReportOut",
    "FamilyReportsOut",
    "FilingOut",
    "HealthOut",
    "KindName",
    "LedgerOut",
    "LinkOut",
    "MemberOut",
    "NotificationKindName",
    "NotificationOut",
    "NotificationsOut",
    "OfficeOut",
    "PackageCheckOut",
    "PackageEvidenceOut",
    "PackageVerificationOut",
    "PriorityDocumentAccessOut",
    "PriorityDocumentAccessesOut",
    "PriorityDocumentOut",
    "PublicationOut",
    "RecordClaimOut",
    "RegisteredOut",
    "ReportAccessOut",
    "ReportAccessesOut",
    "ReportKindName",
    "ReportOut",
    "RestorationOut",
    "SeverityName",
    "VerdictName",
    "VerificationOut",
    "VersionOut",
]

#: ``0x`` + 64 lowercase hex digits (docs/spec/commitments.md#commitments), as every answer writes a commitment.
Commitment = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", examples=["0x" + "ab" * 32])]


class _Named:
    """Hold a domain enum member, write its API name (a closed set, documented inline like a Literal).

    A field so typed takes the domain's value (``IpRightKind.UTILITY_MODEL``) or its name
    (``"utilityModel"``) and writes the name; the schema lists the names, with no component per enum.
    """

    def __init__(self, names: Mapping[Any, str]) -> None:
        self.names = dict(names)
        # A member reads as itself (an IntEnum's plain int too, as the member), a name as its member.
        self.members = {**{member: member for member in self.names}, **{n: m for m, n in self.names.items()}}

    def _read(self, value: Any) -> Any:
        try:
            return self.members[value]
        except (KeyError, TypeError):  # TypeError: an unhashable value (a list, say)
            raise ValueError(f"not one of {', '.join(self.names.values())}") from None

    def __get_pydantic_core_schema__(self, _source: Any, _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self._read, serialization=core_schema.plain_serializer_function_ser_schema(self.names.__getitem__)
        )

    def __get_pydantic_json_schema__(
        self, _schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(core_schema.literal_schema(list(self.names.values())))


#: An IP-right kind: held as the domain's :class:`IpRightKind`, written as its API name
#: (``patent``, ``utilityModel``, ``design``, ``trademark``), so no answer spells the names itself.
KindName = Annotated[IpRightKind, _Named({kind: kind.api_name for kind in IpRightKind})]
#: The domain's string enums, written as their values.
VerdictName = Annotated[Verdict, _Named({v: v.value for v in Verdict})]
SeverityName = Annotated[Severity, _Named({s: s.value for s in Severity})]
CriterionName = Annotated[Criterion, _Named({c: c.value for c in Criterion})]
#: What a notification tells (docs/api.md#notifications), written ``familyMemberAdded``, …
NotificationKindName = Annotated[NotificationKind, _Named({k: k.label for k in NotificationKind})]
#: A report kind: held as its on-chain value (docs/spec/entries.md#document-digests-and-reports), written as its name.
ReportKindName = Annotated[int, _Named({value: name for name, value in REPORT_KINDS.items()})]


def _hex(value: bytes | None) -> str | None:
    """``0x``-hex of a digest or hash, or None."""
    return None if value is None else "0x" + value.hex()


class Answer(BaseModel):
    """An answer: lowerCamelCase on the wire, built by field name in Python, immutable once built."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def body(self) -> dict[str, Any]:
        """The answer as JSON-ready data, exactly the API's body (what the CLI's ``--json`` prints)."""
        return self.model_dump(mode="json", by_alias=True)


# ---------------------------------------------------------------------------------------------
# Verification (POST /v1/priority-claims/verify, prioreg verify)


class CheckOut(Answer):
    """One named check of a verification."""

    name: str
    passed: bool
    severity: SeverityName
    message: str

    @classmethod
    def of(cls, check: Check) -> CheckOut:
        """The check as the verdict engine made it."""
        return cls(name=check.name, passed=check.passed, severity=check.severity, message=check.message)


class RegisteredOut(Answer):
    """What the ledger holds for the claimed application."""

    commitment: Commitment
    ip_office_code: str
    filing_date: _dt.date
    ip_right_kind: KindName
    version: int

    @classmethod
    def of(cls, registered: RegisteredApplication) -> RegisteredOut:
        """The record the verdict was reached on (its own claimed dates are not shown)."""
        return cls(
            commitment=registered.commitment,
            ip_office_code=registered.ip_office_code,
            filing_date=registered.filing_date,
            ip_right_kind=registered.ip_right_kind,
            version=registered.version,
        )


class RestorationOut(Answer):
    """How the applying office restores a late claim (docs/spec/priority-rules.md#restoration); ``available`` null: not
    known here."""

    available: bool | None
    criterion: CriterionName | None
    request_deadline: _dt.date | None
    rule: str

    @classmethod
    def of(cls, restoration: Restoration) -> RestorationOut:
        """The restoration route of the office that judges the claim."""
        return cls(
            available=restoration.available,
            criterion=None if restoration.criterion is None else Criterion(restoration.criterion),
            request_deadline=restoration.request_deadline,
            rule=restoration.rule,
        )


class EvidencePriorityOut(Answer):
    """The earlier application as the request named it, without its access code (docs/api.md#evidence)."""

    ip_office_code: str
    application_number: str
    filing_date: _dt.date


class EvidenceLaterOut(Answer):
    """The later application as the request gave it (docs/api.md#verifying-a-claim ``later``)."""

    ip_office_code: str
    filing_date: _dt.date
    ip_right_kind: KindName
    parent_filing_date: _dt.date | None
    application_number: str | None
    parent_relation: Literal["divisional", "continuation", "continuationInPart"] | None


class EvidenceInputOut(Answer):
    """The verify request the verdict answers, without the access code (docs/api.md#evidence ``input``)."""

    priority: EvidencePriorityOut = Field(
        description="The earlier application named by the claim (its access code is never kept)."
    )
    later: EvidenceLaterOut

    @classmethod
    def of(cls, given: EvidenceInput) -> EvidenceInputOut:
        """The input as the service kept it."""
        return cls(
            priority=EvidencePriorityOut(
                ip_office_code=given.priority_office,
                application_number=given.priority_number,
                filing_date=given.priority_filing_date,
            ),
            later=EvidenceLaterOut(
                ip_office_code=given.later_office,
                filing_date=given.later_filing_date,
                ip_right_kind=given.later_kind,
                parent_filing_date=given.later_parent_filing_date,
                application_number=given.later_application_number,
                parent_relation=None if given.later_parent_relation is None else given.later_parent_relation.value,
            ),
        )

    def evidence_input(self) -> EvidenceInput:
        """The service's value back (what ``prioreg check-evidence`` judges again)."""
        later = self.later
        return EvidenceInput(
            self.priority.ip_office_code,
            self.priority.application_number,
            self.priority.filing_date,
            later.ip_office_code,
            later.filing_date,
            later.ip_right_kind,
            later.parent_filing_date,
            later.application_number,
            None if later.parent_relation is None else ParentRelation(later.parent_relation),
        )


class EvidenceOut(Answer):
    """Where on the ledger a registered verification stands, to re-check it on any node (docs/api.md#evidence)."""

    chain_id: int
    contract: str
    block_number: int
    block_hash: str
    transaction_hash: str
    head_block: int
    batch_root: Commitment | None
    proof: list[str] | None
    entry: str | None
    rules_version: str
    input: EvidenceInputOut

    @classmethod
    def of(cls, evidence: Evidence) -> EvidenceOut:
        """The evidence as the service built it (:mod:`registry.service.evidence`)."""
        return cls(
            chain_id=evidence.chain_id,
            contract=evidence.contract,
            block_number=evidence.block_number,
            block_hash="0x" + evidence.block_hash.hex(),
            transaction_hash="0x" + evidence.transaction_hash.hex(),
            head_block=evidence.head_block,
            batch_root=_hex(evidence.batch_root),
            proof=None if evidence.proof is None else ["0x" + p.hex() for p in evidence.proof],
            entry=_hex(evidence.entry),
            rules_version=evidence.rules_version,
            input=EvidenceInputOut.of(evidence.input),
        )


class VerificationOut(Answer):
    """The verdict on one priority claim, with its checks (docs/spec/priority-rules.md#verdicts) and, when the
    claimed application is registered, the evidence to check it again on any node (docs/api.md#evidence)."""

    verdict: VerdictName
    checks: list[CheckOut]
    priority_period_end: _dt.date | None
    restoration_period_end: _dt.date | None
    registered: RegisteredOut | None
    restoration: RestorationOut | None
    evidence: EvidenceOut | None

    @classmethod
    def of(cls, verification: Verification, evidence: Evidence | None = None) -> VerificationOut:
        """The verdict engine's answer, as docs/api.md#verifying-a-claim shows it, with its evidence."""
        return cls(
            verdict=verification.verdict,
            checks=[CheckOut.of(c) for c in verification.checks],
            priority_period_end=verification.priority_period_end,
            restoration_period_end=verification.restoration_period_end,
            registered=None if verification.registered is None else RegisteredOut.of(verification.registered),
            restoration=None if verification.restoration is None else RestorationOut.of(verification.restoration),
            evidence=None if evidence is None or verification.registered is None else EvidenceOut.of(evidence),
        )


# ---------------------------------------------------------------------------------------------
# Writes (POST /v1/filings, /v1/filing-batches, /v1/publications)


class LedgerOut(Answer):
    """The transaction that carried a write."""

    transaction_hash: str
    block_number: int

    @classmethod
    def of(cls, ack: LedgerAck) -> LedgerOut:
        """Where a write landed."""
        return cls(transaction_hash=ack.transaction_hash, block_number=ack.block_number)


class ClaimOut(Answer):
    """A recorded priority claim and where it stands now."""

    commitment: Commitment
    verification: VerificationOut


class FilingOut(Answer):
    """An anchored filing."""

    commitment: Commitment
    ip_office_code: str
    application_number: str
    filing_date: _dt.date
    ip_right_kind: KindName
    access_code: str
    priority_claims: list[ClaimOut]
    ledger: LedgerOut

    @classmethod
    def of(cls, outcome: FilingOutcome) -> FilingOut:
        """One anchored filing, each claim with its verification at the time of anchoring."""
        prepared = outcome.prepared
        return cls(
            commitment=to_hex(prepared.commitment),
            ip_office_code=prepared.office,
            application_number=prepared.number.canonical,
            filing_date=prepared.entry.filing_date,
            ip_right_kind=prepared.entry.kind,
            access_code=str(prepared.access_code),
            priority_claims=[
                ClaimOut(commitment=to_hex(claim.commitment), verification=VerificationOut.of(verification, evidence))
                for claim, verification, evidence in zip(
                    prepared.claims,
                    outcome.claim_verifications,
                    outcome.claim_evidence or (None,) * len(prepared.claims),
                    strict=True,
                )
            ],
            ledger=LedgerOut.of(outcome.ledger),
        )


class BatchTxOut(Answer):
    """One batch transaction."""

    root: Commitment
    count: int
    transaction_hash: str
    block_number: int

    @classmethod
    def of(cls, batch: AnchoredBatch) -> BatchTxOut:
        """A batch as the client sent it: its Merkle root, how many entries, its receipt."""
        return cls(
            root=to_hex(batch.root),
            count=batch.count,
            transaction_hash=batch.transaction_hash,
            block_number=batch.block_number,
        )


class BatchOut(Answer):
    """The transactions of a batch call and every filing, in input order."""

    batches: list[BatchTxOut]
    filings: list[FilingOut]

    @classmethod
    def of(cls, batches: Sequence[AnchoredBatch], outcomes: Sequence[FilingOutcome]) -> BatchOut:
        """What :meth:`RegistryService.anchor_batch` returned."""
        return cls(batches=[BatchTxOut.of(b) for b in batches], filings=[FilingOut.of(o) for o in outcomes])


class PublicationOut(Answer):
    """A published application."""

    commitment: Commitment
    application_number: str
    ledger: LedgerOut

    @classmethod
    def of(cls, commitment: bytes, number: str, ack: LedgerAck) -> PublicationOut:
        """What :meth:`RegistryService.publish` returned."""
        return cls(commitment=to_hex(commitment), application_number=number, ledger=LedgerOut.of(ack))


# ---------------------------------------------------------------------------------------------
# Records (GET /v1/applications/{commitment}, …/versions/{version})


class VersionOut(Answer):
    """One version of an anchored record."""

    version: int
    change: str
    filing_date: _dt.date
    document_digest: str | None
    ledger: LedgerOut

    @classmethod
    def of(cls, version: IndexedVersion) -> VersionOut:
        """A version as the index read it from the ledger."""
        return cls(
            version=version.version,
            change=version.change,
            filing_date=version.filing_date,
            document_digest=_hex(version.document_digest),
            ledger=LedgerOut(transaction_hash="0x" + version.transaction_hash.hex(), block_number=version.block_number),
        )


class ApplicationVersionOut(Answer):
    """One version of an anchored record: written once, never rewritten (so cacheable for good)."""

    commitment: Commitment
    version: int
    change: str
    filing_date: _dt.date
    document_digest: str | None
    ledger: LedgerOut

    @classmethod
    def of(cls, record: IndexedRecord, version: IndexedVersion) -> ApplicationVersionOut:
        """``version`` of ``record``, named by the record's commitment."""
        shown = VersionOut.of(version)
        return cls(
            commitment=to_hex(record.commitment),
            version=shown.version,
            change=shown.change,
            filing_date=shown.filing_date,
            document_digest=shown.document_digest,
            ledger=shown.ledger,
        )


class RecordClaimOut(Answer):
    """A priority claim the record makes."""

    commitment: Commitment
    claimed_filing_date: _dt.date
    withdrawn: bool
    ip_office_code: str = Field(
        description="The earlier office the claim names (docs/spec/entries.md#claim-tokens-and-confirmed-links)."
    )
    confirmed: bool = Field(description="Whether the earlier office confirmed the link on the ledger.")


class BatchRefOut(Answer):
    """The batch that carries a record, with the inclusion proof."""

    root: Commitment
    proof: list[str]


class ApplicationOut(Answer):
    """The anchored record of one application."""

    commitment: Commitment
    ip_office_code: str
    anchored_by: str
    ip_right_kind: KindName
    filing_date: _dt.date
    document_digest: str | None
    versions: list[VersionOut]
    priority_claims: list[RecordClaimOut]
    claimed_by: list[str]
    batch: BatchRefOut | None
    application_number: str | None
    also_anchored_by: list[str] = Field(
        description="Other offices holding a record under the same 32 bytes "
        "(docs/spec/entries.md#paths-keyed-by-a-commitment); each counts only for itself."
    )

    @classmethod
    def of(cls, record: IndexedRecord) -> ApplicationOut:
        """The record with every version, its claims both ways, and its batch proof."""
        inclusion = record.inclusion
        return cls(
            commitment=to_hex(record.commitment),
            # A PCT record anchored by the receiving office is still a WO number
            # (docs/spec/commitments.md#whose-record-counts).
            ip_office_code=record.number_office or record.office,
            anchored_by=record.office,
            ip_right_kind=record.kind,
            filing_date=record.filing_date,
            document_digest=_hex(record.document_digest),
            versions=[VersionOut.of(v) for v in record.versions],
            priority_claims=[
                RecordClaimOut(
                    commitment=to_hex(c.earlier),
                    claimed_filing_date=c.claimed_filing_date,
                    withdrawn=c.withdrawn,
                    ip_office_code=c.earlier_office,
                    confirmed=c.confirmed,
                )
                for c in record.priority_claims
            ],
            claimed_by=[to_hex(c) for c in record.claimed_by],
            batch=None
            if inclusion is None
            else BatchRefOut(root=to_hex(inclusion.root), proof=[to_hex(p) for p in inclusion.proof]),
            application_number=record.published_number,
            also_anchored_by=list(record.also_anchored_by),
        )


class ApplicationClaimOut(Answer):
    """A priority claim the application made, verified from the ledger alone."""

    earlier_commitment: Commitment
    ip_office_code: str = Field(
        description="The earlier office the claim names (docs/spec/entries.md#claim-tokens-and-confirmed-links)."
    )
    claimed_filing_date: _dt.date
    withdrawn: bool
    verification: VerificationOut


class ApplicationClaimsOut(Answer):
    """Every priority claim of an anchored application, each verified (docs/api.md#other-bodies)."""

    commitment: Commitment
    priority_claims: list[ApplicationClaimOut]

    @classmethod
    def of(cls, claims: AllClaims) -> ApplicationClaimsOut:
        """What :func:`registry.service.all_claims.all_claims` found, claims in chain order."""
        return cls(
            commitment=to_hex(claims.record.commitment),
            priority_claims=[
                ApplicationClaimOut(
                    earlier_commitment=to_hex(item.claim.earlier),
                    ip_office_code=item.claim.earlier_office,
                    claimed_filing_date=item.claim.claimed_filing_date,
                    withdrawn=item.claim.withdrawn,
                    verification=VerificationOut.of(item.verification, item.evidence),
                )
                for item in claims.claims
            ],
        )


# ---------------------------------------------------------------------------------------------
# Families (GET /v1/families/{commitment}, prioreg family): built by
# :func:`registry.service.family_view.family_view`, which walks the index.


class MemberOut(Answer):
    """A member of an extended family; one known only from a claim (not anchored yet) has no details."""

    commitment: Commitment
    anchored: bool
    ip_office_code: str | None
    filing_date: _dt.date | None
    ip_right_kind: KindName | None
    application_number: str | None


class LinkOut(Answer):
    """A priority link: ``from`` claims ``to``."""

    from_: str = Field(alias="from")
    to: str
    claimed_filing_date: _dt.date = Field(alias="claimedFilingDate")
    from_office: str = Field(alias="fromOffice")
    to_office: str = Field(alias="toOffice")
    confirmed: bool = Field(
        description="Whether the earlier office confirmed the link "
        "(docs/spec/entries.md#claim-tokens-and-confirmed-links)."
    )


class FamilyOut(Answer):
    """Simple (DOCDB) and extended (INPADOC) family of an application, with the links."""

    commitment: Commitment
    ip_office_code: str = Field(
        description="The office of the record the answer starts from "
        "(docs/spec/entries.md#paths-keyed-by-a-commitment)."
    )
    simple_family: list[str]
    extended_family: list[MemberOut]
    links: list[LinkOut]


# ---------------------------------------------------------------------------------------------
# Notifications (GET /v1/notifications)


class NotificationOut(Answer):
    """One thing that happened in the family of one of the office's applications (docs/api.md#notifications)."""

    cursor: str
    kind: NotificationKindName = Field(
        description="What happened: familyMemberAdded, filingAmended, priorityClaimAdded, priorityClaimWithdrawn, "
        "priorityClaimConfirmed, filingPublished, reportAdded, officeSuspended or priorityDocumentAmended.",
        examples=["familyMemberAdded"],
    )
    commitment: Commitment | None = Field(
        description="The application it concerns; null for officeSuspended.", examples=["0x" + "ab" * 32]
    )
    ip_office_code: str = Field(
        description="The ST.3 code of the application's office; for officeSuspended, the suspended office.",
        examples=["JP"],
    )
    at: str = Field(description="The time of its block, RFC 3339 UTC.", examples=["2026-12-03T07:10:00Z"])
    ledger: LedgerOut

    @classmethod
    def of(cls, notification: IndexedNotification) -> NotificationOut:
        """A notification as the index holds it."""
        at = _dt.datetime.fromtimestamp(notification.time, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cls(
            cursor=cursor_of(notification.position, notification.item),
            kind=NotificationKind(notification.kind),
            commitment=_hex(notification.commitment),
            ip_office_code=notification.office,
            at=at,
            ledger=LedgerOut(
                transaction_hash="0x" + notification.transaction_hash.hex(), block_number=notification.block_number
            ),
        )


class NotificationsOut(Answer):
    """A page of the office's notifications, in chain order, and the cursor to ask after next."""

    notifications: list[NotificationOut]
    next: str

    @classmethod
    def of(cls, page: NotificationPage) -> NotificationsOut:
        """What :func:`registry.service.notifications.page` returned."""
        return cls(notifications=[NotificationOut.of(n) for n in page.notifications], next=page.next)


# ---------------------------------------------------------------------------------------------
# The directory, documents, health


class OfficeOut(Answer):
    """An office of the directory."""

    ip_office_code: str
    signer: str
    active: bool
    endpoint: str | None = Field(description="The office's own gateway URL, set by the office on chain.")

    @classmethod
    def of(cls, office: IndexedOffice) -> OfficeOut:
        """An office as the index holds it (its history is not shown)."""
        return cls(ip_office_code=office.code, signer=office.signer, active=office.active, endpoint=office.endpoint)


class DocumentVerifyOut(Answer):
    """Whether the document matches the anchored digest."""

    matches: bool
    anchored_digest: str | None
    version: int | None

    @classmethod
    def of(cls, matches: bool, anchored: bytes | None, version: int | None) -> DocumentVerifyOut:
        """What :meth:`RegistryService.verify_document` returned."""
        return cls(matches=matches, anchored_digest=_hex(anchored), version=version)


class HealthOut(Answer):
    """Service health."""

    status: Literal["ok", "degraded"]
    chain_id: int | None
    block_number: int | None
    contract: str
    indexed_block: int | None


# ---------------------------------------------------------------------------------------------
# Reports shared in the family (docs/api.md#work-sharing-in-the-family): built from
# :mod:`registry.service.reports`.

_REPORT_KIND = Field(
    description="The kind of report: searchReport, writtenOpinion, examinationReport, officeAction or other.",
    examples=["searchReport"],
)


class ReportOut(Answer):
    """A report just anchored: its id, what the ledger binds, and the transaction."""

    report_id: str
    commitment: Commitment
    ip_office_code: str
    kind: ReportKindName = _REPORT_KIND
    issued: _dt.date
    report_digest: str
    ledger: LedgerOut

    @classmethod
    def of(cls, anchored: AnchoredReport) -> ReportOut:
        """What :meth:`registry.service.reports.Reports.anchor` returned."""
        report = anchored.report
        return cls(
            report_id=to_hex(report.report_id),
            commitment=to_hex(report.commitment),
            ip_office_code=report.office,
            kind=report.kind,
            issued=report.issued,
            report_digest=to_hex(report.report_digest),
            ledger=LedgerOut.of(anchored.ledger),
        )


class FamilyReportOut(Answer):
    """A report of a member of the family; ``sha256`` only where this gateway holds the file."""

    report_id: str
    commitment: Commitment
    ip_office_code: str
    kind: ReportKindName = _REPORT_KIND
    issued: _dt.date
    report_digest: str
    sha256: str | None

    @classmethod
    def of(cls, item: FamilyReport) -> FamilyReportOut:
        """One item of :meth:`registry.service.reports.Reports.family_reports`."""
        report = item.report
        return cls(
            report_id=to_hex(report.report_id),
            commitment=to_hex(report.commitment),
            ip_office_code=report.office,
            kind=report.kind,
            issued=report.issued,
            report_digest=to_hex(report.report_digest),
            sha256=None if item.sha256 is None else "0x" + item.sha256,
        )


class FamilyReportsOut(Answer):
    """The reports of the records joined by confirmed links, in chain order."""

    reports: list[FamilyReportOut]

    @classmethod
    def of(cls, items: Sequence[FamilyReport]) -> FamilyReportsOut:
        """The family's reports."""
        return cls(reports=[FamilyReportOut.of(item) for item in items])


class ReportAccessOut(Answer):
    """One retrieval of a report."""

    ip_office_code: str
    at: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
        description="When the report was retrieved, RFC 3339 UTC.",
        examples=["2026-12-03T07:15:00Z"],
    )
    through_commitment: Commitment

    @classmethod
    def of(cls, access: ReportAccess) -> ReportAccessOut:
        """One entry of the holder's log."""
        return cls(ip_office_code=access.office, at=access.at, through_commitment=to_hex(access.through))


class ReportAccessesOut(Answer):
    """Who retrieved a report, oldest first."""

    accesses: list[ReportAccessOut]

    @classmethod
    def of(cls, accesses: Sequence[ReportAccess]) -> ReportAccessesOut:
        """The holder's log of one report."""
        return cls(accesses=[ReportAccessOut.of(a) for a in accesses])


# ---------------------------------------------------------------------------------------------
# Priority-document packages (docs/api.md#priority-documents, POST /v1/priority-documents/verify, prioreg package
# verify --json): built from :mod:`registry.service.packages`.

_HEX32 = r"^0x[0-9a-f]{64}$"


class PackageCheckOut(Answer):
    """One named check of docs/spec/packages.md#checks."""

    name: str = Field(
        description="The name of the check (docs/spec/packages.md#checks).", examples=["anchoredOnLedger"]
    )
    passed: bool
    message: str = Field(
        description="One sentence saying why the check passed or failed.",
        examples=["version 2 of JP's record holds the manifest's digest (block 7)"],
    )


class PackageEvidenceOut(Answer):
    """Where on the ledger a package's checks stand, to check again on any node of the chain."""

    chain_id: int
    contract: str
    commitment: Commitment
    manifest_sha256: str = Field(pattern=_HEX32)
    document_digest: str | None = Field(
        default=None,
        pattern=_HEX32,
        description="The binding of sha256(manifest.json) to the commitment, as the version's documentDigest on chain "
        "should hold it (docs/spec/entries.md#document-digests-and-reports).",
        examples=["0x" + "5e" * 32],
    )
    block_number: int | None = None
    anchoring_office: str | None = None
    version_block_number: int | None = None
    version_transaction_hash: str | None = None
    signer: str | None = Field(
        default=None,
        description="The address the package's signature recovers to; null when it recovers none.",
        examples=["0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
    )
    office_key_at_version: str | None = None


class PackageVerificationOut(Answer):
    """Whether a priority-document package is authentic and current (docs/api.md#priority-documents)."""

    valid: bool
    checks: list[PackageCheckOut]
    ip_office_code: str | None
    application_number: str | None = Field(
        description="The application's canonical number as the manifest gives it; null when it cannot be read.",
        examples=["JP2017187096"],
    )
    version: int | None = Field(
        description="The version of the application this package is; null when the manifest cannot be read.",
        examples=[2],
    )
    current_version: int | None
    evidence: PackageEvidenceOut | None = Field(
        description="Where on the ledger the checks stand (chain, contract, the version's transaction, the keys);"
        " null when the manifest cannot be read.",
    )

    @classmethod
    def of(cls, answer: PackageVerification) -> PackageVerificationOut:
        """What :func:`registry.service.packages.verify_package` returned."""
        return cls(
            valid=answer.valid,
            checks=[PackageCheckOut(name=c.name, passed=c.passed, message=c.message) for c in answer.checks],
            ip_office_code=answer.ip_office_code,
            application_number=answer.application_number,
            version=answer.version,
            current_version=answer.current_version,
            evidence=PackageEvidenceOut.model_validate(answer.evidence) if answer.evidence else None,
        )


class PriorityDocumentOut(Answer):
    """A priority-document package just built, signed, anchored as a new version and kept
    (docs/api.md#priority-documents)."""

    commitment: Commitment
    version: int = Field(
        description="The version of the application the package was anchored as (its manifest names it).",
        examples=[2],
    )
    manifest_sha256: str = Field(
        pattern=_HEX32,
        description="sha256(manifest.json): bound to the commitment, it is the new version's document digest on chain"
        " (docs/spec/packages.md#on-chain).",
        examples=["0x" + "4d" * 32],
    )
    ledger: LedgerOut

    @classmethod
    def of(cls, created: CreatedPackage) -> PriorityDocumentOut:
        """What :meth:`registry.service.priority_documents.PriorityDocuments.create` returned."""
        return cls(
            commitment=to_hex(created.commitment),
            version=created.version,
            manifest_sha256="0x" + created.manifest_sha256.hex(),
            ledger=LedgerOut.of(created.ledger),
        )


class PriorityDocumentAccessOut(Answer):
    """One retrieval of a priority document."""

    ip_office_code: str
    at: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
        description="When the package was retrieved, RFC 3339 UTC.",
        examples=["2026-12-03T07:15:00Z"],
    )
    version: int = Field(description="The version of the package retrieved.", examples=[2])

    @classmethod
    def of(cls, access: PackageAccess) -> PriorityDocumentAccessOut:
        """One entry of the holder's log."""
        return cls(ip_office_code=access.office, at=access.at, version=access.version)


class PriorityDocumentAccessesOut(Answer):
    """Who retrieved which version of a priority document, oldest first."""

    accesses: list[PriorityDocumentAccessOut]

    @classmethod
    def of(cls, accesses: Sequence[PackageAccess]) -> PriorityDocumentAccessesOut:
        """The holder's log of one application's packages."""
        return cls(accesses=[PriorityDocumentAccessOut.of(a) for a in accesses])
