"""``POST /v1/priority-claims/verify``: an examiner checks one priority claim. No token needed:
the access code is the secret, and a wrong one looks exactly like an unknown application."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError

from api.deps import Service
from api.schemas import ErrorEnvelope, VerificationOut, VerifyIn, read_model
from registry.domain.filings import ClaimInput
from registry.domain.offices import validate_office
from registry.domain.rules import LaterApplication
from registry.domain.types import IpRightKind
from registry.errors import InvalidInput

router = APIRouter(tags=["priority claims"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "A malformed number, date or access code."},
}


#: The body as FastAPI declares a model body (api.openapi adds ``VerifyIn`` and what it uses to the components).
_BODY = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerifyIn"}}}, "required": True}


def _verify_in(raw: bytes) -> VerifyIn:
    """The body read as FastAPI reads a model body: the same validation, the same errors at the same places
    (``body.priority.filingDate``), so the same envelopes (api.errors).

    Read here rather than by FastAPI because this is the call served at scale: FastAPI's body machinery and
    its re-validation of the answer cost 16 of ~230 µs of CPU a verification (whole app in process, POST
    /v1/priority-claims/verify, minimum of 15 x 500, three alternated runs: 227-232 -> 211-216 µs).
    """
    if not raw:
        raise RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}])
    try:
        data = json.loads(raw)
    except ValueError:  # api.limits has read the body as JSON already: a caller without it
        raise InvalidInput("the body is not JSON", code="jsonInvalid") from None
    return read_model(VerifyIn, data)


@router.post(
    "/v1/priority-claims/verify",
    response_model=VerificationOut,
    responses=_ERRORS,
    summary="Check one priority claim against the ledger and the rules",
    operation_id="verifyPriorityClaim",
    openapi_extra={"requestBody": _BODY},
)
async def verify_claim(request: Request, service: Service) -> Response:
    """Is the earlier application registered, does its date match, is the claim inside the period,
    is it restorable, is it really the first application (docs/spec/priority-rules.md)."""
    body = _verify_in(await request.body())
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
    # Its JSON as FastAPI would write it from the response model, without validating the answer again.
    answer = VerificationOut.of(verification, evidence).model_dump_json(by_alias=True)
    return Response(answer, media_type="application/json")
