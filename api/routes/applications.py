"""``GET /v1/applications/{commitment}``: the anchored record, its versions and its claims; and
``GET /v1/applications/{commitment}/priority-claims``: every claim it made, each verified from the ledger alone
(:mod:`registry.service.all_claims`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.negotiation import JSON, accepts
from api.schemas import ApplicationClaimsOut, ApplicationOut, ErrorEnvelope
from registry.domain.commitments import parse_commitment
from registry.domain.st96 import priority_claim_bag
from registry.domain.types import Commitment
from registry.errors import InvalidInput
from registry.service import RegistryService
from registry.service.all_claims import all_claims

router = APIRouter(prefix="/v1/applications", tags=["applications"])

CommitmentPath = Annotated[str, Path(description="0x + 64 hex digits", examples=["0x" + "ab" * 32], max_length=66)]
#: docs/spec/entries.md#paths-keyed-by-a-commitment: a commitment path names the record of this office; without it, the
#: first anchored.
OfficeQuery = Annotated[
    str | None,
    Query(
        alias="ipOfficeCode",
        pattern="^[A-Z]{2}$",
        description="The office whose record is meant (docs/spec/entries.md#paths-keyed-by-a-commitment); default: the "
        "first anchored.",
    ),
]
XML = "application/xml"
_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The anchored record as JSON (the default), or with Accept: application/xml its priority"
        " claims as a WIPO ST.96 PriorityClaimBag (docs/api.md#other-bodies).",
        "content": {JSON: {}, XML: {"schema": {"type": "string", "description": "pat:PriorityClaimBag (ST.96)"}}},
    },
    404: {"model": ErrorEnvelope, "description": "Nothing is anchored under this commitment."},
    422: {"model": ErrorEnvelope, "description": "Not a commitment."},
}


def commitment_from_path(text: str) -> Commitment:
    """The commitment named in a path, or a 422 located at ``commitment``."""
    try:
        return parse_commitment(text)
    except InvalidInput as exc:
        raise exc.with_target("commitment") from None


@router.get(
    "/{commitment}",
    response_model=ApplicationOut,
    responses=_ERRORS,
    summary="An anchored record",
    operation_id="getApplication",
)
async def get_application(
    commitment: CommitmentPath,
    service: Service,
    request: Request,
    response: Response,
    ip_office_code: OfficeQuery = None,
) -> ApplicationOut | Response:
    """Office, kind, filing date, every version, claims both ways, the batch proof, and the number
    once the office has published it; ``alsoAnchoredBy`` lists other offices holding the same bytes.

    ``Accept: application/xml`` (and not JSON): the application's priority claims as a WIPO ST.96
    ``PriorityClaimBag`` (:mod:`registry.domain.st96`). JSON stays the default; any other ``Accept`` is a 406
    (:mod:`api.negotiation`)."""
    key = commitment_from_path(commitment)
    record = await run_in_threadpool(service.application, key, ip_office_code)
    accept = request.headers.get("accept", "").strip()
    if accept and not accepts(accept, JSON) and accepts(accept, XML):
        claims = await run_in_threadpool(service.st96_claims, record)
        return Response(priority_claim_bag(claims), media_type=XML, headers={"Vary": "Accept"})
    response.headers["Vary"] = "Accept"  # one URL, two representations (RFC 9110 §12.5.5)
    return ApplicationOut.of(record)


def _all_claims(service: RegistryService, commitment: Commitment, office: str | None) -> ApplicationClaimsOut:
    return ApplicationClaimsOut.of(all_claims(service, commitment, office))


@router.get(
    "/{commitment}/priority-claims",
    response_model=ApplicationClaimsOut,
    responses=_ERRORS,
    summary="Every priority claim of an anchored application, each verified",
    operation_id="getApplicationPriorityClaims",
)
async def get_application_priority_claims(
    commitment: CommitmentPath, service: Service, ip_office_code: OfficeQuery = None
) -> ApplicationClaimsOut:
    """Each claim the record made, withdrawn ones too, in chain order, with the verify endpoint's whole answer for it;
    the later application is this record. No access code: the ledger names each earlier application by its
    commitment, and one not anchored yet is ``notFound`` (docs/api.md#other-bodies)."""
    key = commitment_from_path(commitment)
    # A record read (with its batch proof) and a verification per claim: CPU and index reads, off the event loop.
    return await run_in_threadpool(_all_claims, service, key, ip_office_code)
