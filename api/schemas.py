"""Request and response bodies of the HTTP API (API.md), as pydantic models.

JSON is lowerCamelCase (WIPO ST.90); unknown fields are refused (a typo in a field name must not
silently drop data); strings are bounded, so a 10 KB "application number" is a 422, not work.
Dates are ``YYYY-MM-DD`` strings read by :func:`registry.domain.types.parse_date`, so ``2023-02-30``
is refused with a clear message instead of being coerced.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from registry.domain.offices import validate_office
from registry.domain.types import parse_date
from registry.errors import InvalidInput

__all__ = [
    "ApplicationOut",
    "ApplicationVersionOut",
    "BatchIn",
    "BatchOut",
    "ClaimIn",
    "DocumentVerifyIn",
    "DocumentVerifyOut",
    "ErrorEnvelope",
    "FamilyOut",
    "FilingIn",
    "FilingOut",
    "HealthOut",
    "LaterIn",
    "OfficeOut",
    "PublicationIn",
    "PublicationOut",
    "RestorationOut",
    "VerificationOut",
    "VerifyIn",
]

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


def _date(value: str) -> _dt.date:
    return parse_date(value)


IsoDate = Annotated[
    str,
    StringConstraints(pattern=_ISO_DATE, max_length=10),
    AfterValidator(_date),
    Field(examples=["2017-09-27"], description="A calendar date, YYYY-MM-DD."),
]
OfficeCode = Annotated[
    str,
    StringConstraints(min_length=2, max_length=2),
    # Read here, so that a bad code is reported at its own field (``priority.ipOfficeCode``), not at
    # the number it was going to read.
    AfterValidator(validate_office),
    Field(examples=["JP"], description="A WIPO ST.3 office code."),
]
Number = Annotated[str, StringConstraints(min_length=1, max_length=64), Field(examples=["2017-187096"])]
AccessCodeText = Annotated[
    str, StringConstraints(min_length=1, max_length=40), Field(examples=["7JEY-NFRJ-JK7B-DJF3-1"])
]
Hex32 = Annotated[str, StringConstraints(pattern=r"^(0x)?[0-9a-fA-F]{64}$"), Field(examples=["0x" + "ab" * 32])]


def _not_zero(value: str) -> str:
    if int(value.removeprefix("0x"), 16) == 0:
        raise InvalidInput(
            "an all-zero digest is not the SHA-256 of a document; leave documentDigest out when there is none",
            code="badDigest",
        )
    return value


#: The digest anchored with a filing: zero means "no document" on chain (SPEC.md §2), so it is refused.
DocumentDigest = Annotated[Hex32, AfterValidator(_not_zero)]
Commitment = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", examples=["0x" + "ab" * 32])]
Kind = Literal["patent", "utilityModel", "design", "trademark"]
Verdict = Literal["valid", "restorable", "invalid", "notFound"]


class _In(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ClaimIn(_In):
    """A priority claim as the applicant gives it (PCT Rule 4.10) with the first office's access code."""

    ip_office_code: OfficeCode
    application_number: Number
    filing_date: IsoDate
    access_code: AccessCodeText


class ParentIn(_In):
    """The parent of a divisional or continuation (Paris Art. 4G): the period runs from its date."""

    application_number: Number
    filing_date: IsoDate
    relation: Literal["divisional", "continuation"]


class FilingIn(_In):
    """One application of the caller's office."""

    application_number: Number
    filing_date: IsoDate
    ip_right_kind: Kind
    document_digest: DocumentDigest | None = None
    access_code: AccessCodeText | None = Field(default=None, description="Set by the office; generated when absent.")
    priority_claims: list[ClaimIn] = Field(default_factory=list, max_length=127)
    parent_application: ParentIn | None = None

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "applicationNumber": "16/123,456",
                    "filingDate": "2018-09-06",
                    "ipRightKind": "patent",
                    "priorityClaims": [
                        {
                            "ipOfficeCode": "JP",
                            "applicationNumber": "2017-187096",
                            "filingDate": "2017-09-27",
                            "accessCode": "7JEY-NFRJ-JK7B-DJF3-1",
                        }
                    ],
                }
            ]
        }
    )


class BatchIn(_In):
    """Many filings of the caller's office (all-or-nothing validation)."""

    filings: list[FilingIn] = Field(min_length=1, max_length=10_000)


class PriorityIn(_In):
    """The earlier application named by the claim."""

    ip_office_code: OfficeCode
    application_number: Number
    filing_date: IsoDate
    access_code: AccessCodeText


class LaterIn(_In):
    """The later application, at the office of second filing (API.md verify, SPEC.md §5).

    ``applicationNumber`` (as written): a PCT number ``PCT/CC…`` makes it a PCT application whatever
    ``ipOfficeCode`` says, judged on receiving Office CC's calendar and the PCT Rules (Rule 80.5).
    ``parentFilingDate``: for a divisional or continuation, the filing date of the first application
    in its chain that carried the claim (for a divisional of a divisional, the earliest one);
    ``parentRelation`` ``continuationInPart`` adds a warning (the date holds for matter carried over).
    """

    ip_office_code: OfficeCode
    filing_date: IsoDate
    ip_right_kind: Kind
    parent_filing_date: IsoDate | None = None
    application_number: Number | None = None
    parent_relation: Literal["divisional", "continuation", "continuationInPart"] | None = None


class VerifyIn(_In):
    """One priority claim to check."""

    priority: PriorityIn
    later: LaterIn

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "priority": {
                        "ipOfficeCode": "JP",
                        "applicationNumber": "2017-187096",
                        "filingDate": "2017-09-27",
                        "accessCode": "7JEY-NFRJ-JK7B-DJF3-1",
                    },
                    "later": {"ipOfficeCode": "US", "filingDate": "2018-09-06", "ipRightKind": "patent"},
                }
            ]
        }
    )


class PublicationIn(_In):
    """Reveal the number of one of the caller's applications."""

    application_number: Number
    access_code: AccessCodeText


class DocumentVerifyIn(_In):
    """Does a priority document match the digest anchored for the application?"""

    ip_office_code: OfficeCode
    application_number: Number
    access_code: AccessCodeText
    document_digest: Hex32


class CheckOut(_Out):
    """One named check of a verification."""

    name: str
    passed: bool
    severity: Literal["error", "warning"]
    message: str


class RegisteredOut(_Out):
    """What the ledger holds for the claimed application."""

    commitment: Commitment
    ip_office_code: str
    filing_date: _dt.date
    ip_right_kind: Kind
    version: int


class RestorationOut(_Out):
    """How the applying office restores a late claim (SPEC.md §5); ``available`` null: not known here."""

    available: bool | None
    criterion: Literal["dueCare", "unintentional"] | None
    request_deadline: _dt.date | None
    rule: str


class VerificationOut(_Out):
    """The verdict on one priority claim, with its checks (SPEC.md §5)."""

    verdict: Verdict
    checks: list[CheckOut]
    priority_period_end: _dt.date | None
    restoration_period_end: _dt.date | None
    registered: RegisteredOut | None
    restoration: RestorationOut | None


class LedgerOut(_Out):
    """The transaction that carried a write."""

    transaction_hash: str
    block_number: int


class ClaimOut(_Out):
    """A recorded priority claim and where it stands now."""

    commitment: Commitment
    verification: VerificationOut


class FilingOut(_Out):
    """An anchored filing."""

    commitment: Commitment
    ip_office_code: str
    application_number: str
    filing_date: _dt.date
    ip_right_kind: Kind
    access_code: str
    priority_claims: list[ClaimOut]
    ledger: LedgerOut


class BatchTxOut(_Out):
    """One batch transaction."""

    root: Commitment
    count: int
    transaction_hash: str
    block_number: int


class BatchOut(_Out):
    """The transactions of a batch call and every filing, in input order."""

    batches: list[BatchTxOut]
    filings: list[FilingOut]


class VersionOut(_Out):
    """One version of an anchored record."""

    version: int
    change: str
    filing_date: _dt.date
    document_digest: str | None
    ledger: LedgerOut


class ApplicationVersionOut(_Out):
    """One version of an anchored record: written once, never rewritten (so cacheable for good)."""

    commitment: Commitment
    version: int
    change: str
    filing_date: _dt.date
    document_digest: str | None
    ledger: LedgerOut


class RecordClaimOut(_Out):
    """A priority claim the record makes."""

    commitment: Commitment
    claimed_filing_date: _dt.date
    withdrawn: bool
    ip_office_code: str = Field(description="The earlier office the claim names (SPEC.md §2).")
    confirmed: bool = Field(description="Whether the earlier office confirmed the link on the ledger.")


class BatchRefOut(_Out):
    """The batch that carries a record, with the inclusion proof."""

    root: Commitment
    proof: list[str]


class ApplicationOut(_Out):
    """The anchored record of one application."""

    commitment: Commitment
    ip_office_code: str
    anchored_by: str
    ip_right_kind: Kind
    filing_date: _dt.date
    document_digest: str | None
    versions: list[VersionOut]
    priority_claims: list[RecordClaimOut]
    claimed_by: list[str]
    batch: BatchRefOut | None
    application_number: str | None
    also_anchored_by: list[str] = Field(
        description="Other offices holding a record under the same 32 bytes (SPEC.md §2); each counts only for itself."
    )


class MemberOut(_Out):
    """A member of an extended family; one known only from a claim (not anchored yet) has no details."""

    commitment: Commitment
    anchored: bool
    ip_office_code: str | None
    filing_date: _dt.date | None
    ip_right_kind: Kind | None
    application_number: str | None


class LinkOut(_Out):
    """A priority link: ``from`` claims ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    claimed_filing_date: _dt.date = Field(alias="claimedFilingDate")
    from_office: str = Field(alias="fromOffice")
    to_office: str = Field(alias="toOffice")
    confirmed: bool = Field(description="Whether the earlier office confirmed the link (SPEC.md §2).")


class FamilyOut(_Out):
    """Simple (DOCDB) and extended (INPADOC) family of an application, with the links."""

    commitment: Commitment
    ip_office_code: str = Field(description="The office of the record the answer starts from (SPEC.md §2).")
    simple_family: list[str]
    extended_family: list[MemberOut]
    links: list[LinkOut]


class OfficeOut(_Out):
    """An office of the directory."""

    ip_office_code: str
    signer: str
    active: bool
    endpoint: str | None = Field(description="The office's own gateway URL, set by the office on chain.")


class PublicationOut(_Out):
    """A published application."""

    commitment: Commitment
    application_number: str
    ledger: LedgerOut


class DocumentVerifyOut(_Out):
    """Whether the document matches the anchored digest."""

    matches: bool
    anchored_digest: str | None
    version: int | None


class HealthOut(_Out):
    """Service health."""

    status: Literal["ok", "degraded"]
    chain_id: int | None
    block_number: int | None
    contract: str
    indexed_block: int | None


class ErrorDetail(_Out):
    """One problem with the request."""

    code: str
    message: str
    target: str | None = None


class ErrorBody(_Out):
    """The error: a code, a sentence a person can act on, details."""

    code: str
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorEnvelope(_Out):
    """Every 4xx/5xx body (API.md, "Errors")."""

    error: ErrorBody


def dump(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict by alias."""
    return model.model_dump(mode="json", by_alias=True)
