"""``GET /v1/applications/{commitment}``: the anchored record, its versions and its claims."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import ApplicationOut, ErrorEnvelope
from registry.domain.commitments import parse_commitment
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
_ERRORS: dict[int | str, dict[str, Any]] = {
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
    commitment: CommitmentPath, service: Service, ip_office_code: OfficeQuery = None
) -> ApplicationOut:
    """Office, kind, filing date, every version, claims both ways, the batch proof, and the number
    once the office has published it; ``alsoAnchoredBy`` lists other offices holding the same bytes."""
    key = commitment_from_path(commitment)
    record = await run_in_threadpool(service.application, key, ip_office_code)
    return ApplicationOut.of(record)
