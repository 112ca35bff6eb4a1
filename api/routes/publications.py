"""``POST /v1/publications``: an office reveals the number of one of its own applications."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import CallerOffice, Service
from api.schemas import ErrorEnvelope, PublicationIn, PublicationOut

router = APIRouter(tags=["publications"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorEnvelope, "description": "No or invalid office token."},
    403: {"model": ErrorEnvelope, "description": "Another office's application."},
    404: {"model": ErrorEnvelope, "description": "Not anchored (or a wrong access code)."},
    409: {"model": ErrorEnvelope, "description": "Already published."},
    422: {"model": ErrorEnvelope, "description": "A malformed number or access code."},
}


@router.post(
    "/v1/publications",
    response_model=PublicationOut,
    responses=_ERRORS,
    summary="Publish a number",
    operation_id="publishApplication",
)
async def publish(body: PublicationIn, office: CallerOffice, service: Service) -> PublicationOut:
    """The ledger checks that the number and access code hash to the anchored commitment."""
    commitment, number, ack = await run_in_threadpool(
        service.publish, office, body.application_number, body.access_code
    )
    return PublicationOut.of(commitment, number, ack)
