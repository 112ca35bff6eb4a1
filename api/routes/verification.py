"""``POST /v1/priority-claims/verify``: an examiner checks one priority claim. No token needed:
the access code is the secret, and a wrong one looks exactly like an unknown application."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Service
from api.schemas import ErrorEnvelope, VerificationOut, VerifyIn
from registry.domain.filings import ClaimInput
from registry.domain.offices import validate_office
from registry.domain.rules import LaterApplication
from registry.domain.types import IpRightKind
from registry.errors import InvalidInput

router = APIRouter(tags=["priority claims"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "A malformed number, date or access code."},
}


@router.post(
    "/v1/priority-claims/verify",
    response_model=VerificationOut,
    responses=_ERRORS,
    summary="Check one priority claim against the ledger and the rules",
    operation_id="verifyPriorityClaim",
)
async def verify_claim(body: VerifyIn, service: Service) -> VerificationOut:
    """Is the earlier application registered, does its date match, is the claim inside the period,
    is it restorable, is it really the first application (docs/spec/priority-rules.md)."""
    p, later = body.priority, body.later
    claim = ClaimInput(p.ip_office_code, p.application_number, p.filing_date, p.access_code)
    try:
        later_office = validate_office(later.ip_office_code)
    except InvalidInput as exc:
        raise exc.with_target("later.ipOfficeCode") from None
    # A PCT number makes it a PCT application judged on its receiving Office's calendar (docs/api.md#verifying-a-claim).
    later_app = LaterApplication.read(
        later_office,
        later.filing_date,
        IpRightKind.parse(later.ip_right_kind),
        parent_filing_date=later.parent_filing_date,
        application_number=later.application_number,
        parent_relation=later.parent_relation,
    )
    # Called on the event loop, not in the thread pool: the check is ~60 µs of CPU and a few
    # indexed reads of a WAL snapshot, which never wait for the index writer (an in-memory index,
    # in tests, waits for a sync step). The hop to a worker thread and back cost more than that
    # (~100 µs of CPU a request in the bench) and passed the GIL back and forth under load.
    verification, evidence = service.verify_with_evidence(claim, later_app, later_number=later.application_number)
    return VerificationOut.of(verification, evidence)
