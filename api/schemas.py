"""Request bodies and the error envelope of the HTTP API (docs/api.md#errors), as pydantic models; the answers.

JSON is lowerCamelCase (WIPO ST.90); unknown fields are refused (a typo in a field name must not
silently drop data); strings are bounded, so a 10 KB "application number" is a 422, not work.
Dates are ``YYYY-MM-DD`` strings read by :func:`registry.domain.types.parse_date`, so ``2023-02-30``
is refused with a clear message instead of being coerced; a body holds them as ``datetime.date``.
Every field is read strictly (one config, ``_In``): an integer is a JSON integer, and ``"12"``, ``12.0`` or
``true`` for one is a 422 ``wrongType`` naming the field, not a number pydantic guessed.

The answers (``VerificationOut``, ``FilingOut``, …) are the service's own models
(:mod:`registry.service.answers`: the CLI prints the same answers, and ``registry`` never imports
``api``); they are re-exported here, so that this module names every body of the OpenAPI document.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from registry.domain.offices import validate_office
from registry.domain.types import parse_date
from registry.errors import InvalidInput
from registry.service.answers import (
    ApplicationClaimOut,
    ApplicationClaimsOut,
    ApplicationOut,
    ApplicationVersionOut,
    BatchOut,
    BatchRefOut,
    BatchTxOut,
    CheckOut,
    ClaimOut,
    Commitment,
    DocumentVerifyOut,
    FamilyOut,
    FamilyReportOut,
    FamilyReportsOut,
    FilingOut,
    HealthOut,
    LedgerOut,
    LinkOut,
    MemberOut,
    NotificationOut,
    NotificationsOut,
    OfficeOut,
    PackageVerificationOut,
    PriorityDocumentAccessesOut,
    PriorityDocumentOut,
    PublicationOut,
    RecordClaimOut,
    RegisteredOut,
    ReportAccessesOut,
    ReportAccessOut,
    ReportOut,
    RestorationOut,
    VerificationOut,
    VersionOut,
)

__all__ = [
    "ApplicationClaimOut",
    "ApplicationClaimsOut",
    "ApplicationOut",
    "ApplicationVersionOut",
    "BatchIn",
    "BatchOut",
    "BatchRefOut",
    "BatchTxOut",
    "CheckOut",
    "ClaimIn",
    "ClaimOut",
    "Commitment",
    "DigitsOnly",
    "DocumentVerifyIn",
    "DocumentVerifyOut",
    "ErrorBody",
    "ErrorDetail",
    "ErrorEnvelope",
    "FamilyOut",
    "FamilyReportOut",
    "FamilyReportsOut",
    "FilingIn",
    "FilingOut",
    "HealthOut",
    "IsoDate",
    "LaterIn",
    "LedgerOut",
    "LinkOut",
    "MemberOut",
    "NotificationOut",
    "NotificationsOut",
    "OfficeOut",
    "PackageVerificationOut",
    "ParentIn",
    "PriorityDocumentAccessesOut",
    "PriorityDocumentOut",
    "PriorityDocumentRetrieveIn",
    "PriorityIn",
    "PublicationIn",
    "PublicationOut",
    "RecordClaimOut",
    "RegisteredOut",
    "ReportAccessOut",
    "ReportAccessesOut",
    "ReportOut",
    "RestorationOut",
    "VerificationOut",
    "VerifyIn",
    "VersionOut",
    "read_model",
]

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


_M = TypeVar("_M", bound=BaseModel)


def read_model(model: type[_M], data: Any) -> _M:
    """``data`` (a parsed JSON body) read into ``model`` as FastAPI reads a model body: with ``from_attributes``, and
    every error raised as FastAPI's :class:`RequestValidationError` under ``body``, so a route that reads its body
    itself answers with the same messages, codes and targets (``priority.filingDate``) as every other (api.errors)."""
    try:
        return model.model_validate(data, from_attributes=True)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None


class DigitsOnly:
    """An integer of a query string or path read from its digits alone: ``10``, not ``10.0``, ``1_000``, ``+10``,
    `` 10 `` or ``١٠``, which pydantic's lax reading takes as numbers (a body's integers are strict JSON integers,
    ``_In``). Refused as pydantic refuses ``abc`` there (``int_parsing``: the detail code ``wrongType``); the
    schema stays the integer's."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_digits_only, handler(source))


def _digits_only(value: Any) -> Any:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_parsing", "Input should be a whole number written in digits (0-9)")
    return value


class _IsoDateText:
    """Read ``YYYY-MM-DD`` text into a ``datetime.date``; write a date back as that text.

    The text is checked first (a string, the pattern, at most 10 characters: pydantic's own errors,
    so the detail codes stay ``wrongType``/``badFormat``), then read by
    :func:`~registry.domain.types.parse_date`, whose :class:`~registry.errors.InvalidDate` names a
    day that does not exist. The JSON schema is the text's, the value a real date.
    """

    def __get_pydantic_core_schema__(self, _source: Any, _handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        text = core_schema.str_schema(pattern=_ISO_DATE, max_length=10)
        return core_schema.no_info_after_validator_function(
            parse_date,
            text,
            serialization=core_schema.plain_serializer_function_ser_schema(_dt.date.isoformat, when_used="json"),
        )

    def __get_pydantic_json_schema__(
        self, _schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(core_schema.str_schema(pattern=_ISO_DATE, max_length=10))


#: A calendar date given as ``YYYY-MM-DD``; the body holds a :class:`datetime.date`.
IsoDate = Annotated[
    _dt.date,
    _IsoDateText(),
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


#: The digest anchored with a filing: zero means "no document" on chain
#: (docs/spec/entries.md#document-digests-and-reports), so it is refused.
DocumentDigest = Annotated[Hex32, AfterValidator(_not_zero)]
Kind = Literal["patent", "utilityModel", "design", "trademark"]


class _In(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=False, extra="forbid", frozen=True, strict=True
    )


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
    """The later application, at the office of second filing (docs/api.md#verifying-a-claim,
    docs/spec/priority-rules.md).

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


class PriorityDocumentRetrieveIn(_In):
    """What the applicant gave the office of second filing (docs/api.md#priority-documents)."""

    ip_office_code: OfficeCode
    application_number: Number
    filing_date: IsoDate
    access_code: AccessCodeText
    version: int | None = Field(
        default=None,
        ge=1,
        le=2**32 - 1,
        description="The version of the application the package was anchored as; the latest package when absent.",
        examples=[2],
    )


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
    """Every 4xx/5xx body (docs/api.md#errors)."""

    error: ErrorBody
