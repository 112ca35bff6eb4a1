"""``POST /v1/filings`` and ``POST /v1/filing-batches``: an office anchors its applications."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, status
from starlette.concurrency import run_in_threadpool

from api.deps import CallerOffice, Service
from api.schemas import BatchIn, BatchOut, ErrorEnvelope, FilingIn, FilingOut
from registry.domain.filings import ClaimInput, FilingInput
from registry.domain.numbers import normalize as normalize_number
from registry.domain.types import IpRightKind
from registry.errors import InvalidInput

router = APIRouter(tags=["filings"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "No or invalid office token."},
    403: {"model": ErrorEnvelope, "description": "The number belongs to another office."},
    409: {"model": ErrorEnvelope, "description": "Already anchored."},
    422: {"model": ErrorEnvelope, "description": "Malformed input; nothing was anchored."},
    503: {"model": ErrorEnvelope, "description": "The ledger cannot be reached; nothing was written."},
}


def to_input(body: FilingIn) -> FilingInput:
    """The library's filing input for a request body (dates already validated by the schema)."""
    return FilingInput(
        application_number=body.application_number,
        filing_date=body.filing_date,
        ip_right_kind=IpRightKind.parse(body.ip_right_kind),
        document_digest=bytes.fromhex(body.document_digest.removeprefix("0x")) if body.document_digest else None,
        access_code=body.access_code,
        priority_claims=tuple(
            ClaimInput(c.ip_office_code, c.application_number, c.filing_date, c.access_code)
            for c in body.priority_claims
        ),
    )


def parent_date(office: str, body: FilingIn, where: str = "") -> date | None:
    """The parent's filing date of a divisional or continuation, once its number reads as the caller's.

    The parent is not anchored here, but a number nobody could read is malformed input (422), not a
    detail to drop silently.
    """
    parent = body.parent_application
    if parent is None:
        return None
    try:
        normalize_number(office, parent.application_number)
    except InvalidInput as exc:
        raise exc.with_target(f"{where}parentApplication.applicationNumber") from None
    return parent.filing_date


@router.post(
    "/v1/filings",
    status_code=status.HTTP_201_CREATED,
    response_model=FilingOut,
    responses=_ERRORS,
    summary="Anchor one application of the caller's office",
    operation_id="anchorFiling",
)
async def anchor_filing(body: FilingIn, office: CallerOffice, service: Service, request: Request) -> FilingOut:
    """Anchor one application with its priority claims. The answer comes once the ledger holds it;
    each claim's verification says where it stands now (the first office may anchor late)."""
    parent = parent_date(office, body)
    outcome = await run_in_threadpool(service.anchor, office, to_input(body), parent_filing_date=parent)
    request.app.state.metrics.count_anchored(office, "single")
    return FilingOut.of(outcome)


@router.post(
    "/v1/filing-batches",
    status_code=status.HTTP_201_CREATED,
    response_model=BatchOut,
    responses=_ERRORS,
    summary="Anchor many applications of the caller's office at once",
    operation_id="anchorFilingBatch",
)
async def anchor_batch(body: BatchIn, office: CallerOffice, service: Service, request: Request) -> BatchOut:
    """All-or-nothing validation: one bad item is a 422 naming its index, and nothing is anchored."""
    parents = [parent_date(office, f, f"filings[{i}].") for i, f in enumerate(body.filings)]
    batches, outcomes = await run_in_threadpool(
        service.anchor_batch, office, [to_input(f) for f in body.filings], parent_filing_dates=parents
    )
    request.app.state.metrics.count_anchored(office, "batch", len(outcomes))
    return BatchOut.of(batches, outcomes)
