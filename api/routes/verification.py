"""``POST /v1/priority-claims/verify``: an examiner checks one priority claim. No token needed:
the access code is the secret, and a wrong one looks exactly like an unknown application."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import ErrorEnvelope, VerificationOut, VerifyIn
from registry.errors import InvalidInput
from registry.filings import ClaimInput
from registry.offices import validate_office
from registry.rules import LaterApplication
from registry.types import IpRightKind

router = APIRouter(tags=["priority claims"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "A malformed number, date or access code."},
}


@router.post(
    "/v1/priority-claims/verify",
    response_model=VerificationOut,
    responses=_ERRORS,
    summary="Check one priority claim against the ledger and the rules",
)
async def verify_claim(body: VerifyIn, service: Service) -> JSONResponse:
    """Is the earlier application registered, does its date match, is the claim inside the period,
    is it restorable, is it really the first application (SPEC.md §5)."""
    p, later = body.priority, body.later
    claim = ClaimInput(p.ip_office_code, p.application_number, p.filing_date, p.access_code)  # type: ignore[arg-type]
    try:
        later_office = validate_office(later.ip_office_code)
    except InvalidInput as exc:
        raise exc.with_target("later.ipOfficeCode") from None
    later_app = LaterApplication(
        later_office,
        later.filing_date,  # type: ignore[arg-type]
        IpRightKind.parse(later.ip_right_kind),
        later.parent_filing_date,  # type: ignore[arg-type]
    )
    result = await run_in_threadpool(service.verify, claim, later_app)
    return JSONResponse(result.to_json())
