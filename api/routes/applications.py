"""``GET /v1/applications/{commitment}``: the anchored record, its versions and its claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.negotiation import JSON, accepts
from api.schemas import ApplicationOut, ErrorEnvelope
from registry.domain.commitments import parse_commitment
from registry.domain.st96 import priority_claim_bag
from registry.domain.types import Commitment
from registry.errors import InvalidInput

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
