"""``GET /v1/applications/{commitment}/versions/{version}``: one version of an anchored record.

A version, once on the ledger, is never rewritten (an amendment is a new version), so this answer
is the API's immutable resource: the same bytes for good, served with an ETag and
``Cache-Control: public, max-age=31536000, immutable`` (:mod:`api.caching`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.routes.applications import CommitmentPath, commitment_from_path
from api.schemas import ApplicationVersionOut, DigitsOnly, ErrorEnvelope
from registry.domain.commitments import to_hex
from registry.errors import NotFound

router = APIRouter(prefix="/v1/applications", tags=["applications"])

VersionPath = Annotated[int, DigitsOnly(), Path(description="A version number, from 1.", examples=[1], ge=1, le=2**32)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "Nothing is anchored under this commitment, or not this version."},
    422: {"model": ErrorEnvelope, "description": "Not a commitment, or not a version number."},
}


@router.get(
    "/{commitment}/versions/{version}",
    response_model=ApplicationVersionOut,
    responses=_ERRORS,
    summary="One version of an anchored record",
    operation_id="getApplicationVersion",
)
async def get_application_version(
    commitment: CommitmentPath, version: VersionPath, service: Service
) -> ApplicationVersionOut:
    """Filing date, document digest and the transaction of one version, as the ledger wrote it."""
    key = commitment_from_path(commitment)
    record = await run_in_threadpool(service.application, key)
    for entry in record.versions:
        if entry.version == version:
            return ApplicationVersionOut.of(record, entry)
    raise NotFound(f"{to_hex(record.commitment)} has no version {version} (it has {len(record.versions)})")
