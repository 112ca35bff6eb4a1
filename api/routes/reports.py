"""Search and examination reports shared in the family (R15, docs/api.md#work-sharing-in-the-family).

- ``POST /v1/applications/{commitment}/reports`` (multipart ``file``, ``kind``, ``issued``): the application's own
  office anchors a report and keeps its file.
- ``GET /v1/families/{commitment}/reports``: the reports of the records joined by confirmed links, for an office with
  a record among them.
- ``GET /v1/reports/{reportId}``: the file, from this gateway or fetched from the holder's and checked against the
  ledger.
- ``GET /v1/reports/{reportId}/accesses``: who retrieved it, for the report's own office.
- ``POST /v1/gateway/reports/{reportId}``: the holder's side, for another office's gateway, signed
  (docs/spec/between-gateways.md).

Who may ask follows docs/api.md#status-codes-on-office-endpoints: no token 401; writing for another office's
application 403; anything scoped to a family the caller has no right to, the same 404 as an unknown id, byte for byte.
The service does the work (:mod:`registry.service.reports`); this module parses and writes answers.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import CallerOffice, Service
from api.errors import envelope
from api.gateway import GatewayChecker, ReportsDep, signed_request_body
from api.routes.applications import CommitmentPath, OfficeQuery, commitment_from_path
from api.schemas import ErrorEnvelope, FamilyReportsOut, ReportAccessesOut, ReportOut
from api.uploads import is_multipart, read_upload
from registry.domain.commitments import REPORT_KINDS
from registry.errors import GatewayRequestRefused, InvalidInput
from registry.service.reports import MAX_REPORT_BYTES, ReportFile, parse_issued, parse_kind, report_not_found

router = APIRouter(tags=["reports"])

ReportIdPath = Annotated[
    str,
    Path(
        alias="reportId",
        description="0x + 64 hex digits (docs/spec/entries.md#document-digests-and-reports)",
        examples=["0x" + "cd" * 32],
        max_length=66,
    ),
]
_REPORT_ID = re.compile(r"0x[0-9a-fA-F]{64}")
_MULTIPART = "multipart/form-data"

_UNAUTHENTICATED = {"model": ErrorEnvelope, "description": "No or invalid office token."}
_NOT_FOUND_FAMILY = {
    "model": ErrorEnvelope,
    "description": "Nothing is anchored under this commitment, or the caller has no record joined to it by confirmed"
    " links (the same answer).",
}
_NOT_FOUND_REPORT = {
    "model": ErrorEnvelope,
    "description": "No such report, or the caller has no right to it (the same answer).",
}
_FILE = {
    "description": "The report's file, as uploaded.",
    "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    "headers": {
        "ETag": {"description": "The file's SHA-256, quoted.", "schema": {"type": "string"}},
        "Content-Disposition": {"description": "attachment; filename=<reportId>", "schema": {"type": "string"}},
        "X-Content-Type-Options": {"description": "nosniff", "schema": {"type": "string"}},
    },
}
_HOLDER_UNAVAILABLE = {
    "model": ErrorEnvelope,
    "description": "The holder's gateway cannot be reached, has no endpoint, or sent bytes the ledger does not bind"
    " (docs/spec/between-gateways.md#what-the-requester-checks); with Retry-After.",
}


def report_id_from_path(text: str) -> bytes:
    """The report id named in a path, or a 422 located at ``reportId``."""
    if not _REPORT_ID.fullmatch(text):
        raise InvalidInput(
            "a report id is 0x and 64 hexadecimal digits (docs/spec/entries.md#document-digests-and-reports)",
            code="badFormat",
            target="reportId",
        )
    return bytes.fromhex(text[2:])


def _file_response(found: ReportFile) -> Response:
    # docs/api.md#work-sharing-in-the-family: the type as uploaded, never rendered in the gateway's origin.
    name = "0x" + found.report.report_id.hex()
    return Response(
        found.data,
        media_type=found.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{found.sha256}"',
            "Cache-Control": "no-store",  # every retrieval reaches the holder's access log
        },
    )


@router.post(
    "/v1/applications/{commitment}/reports",
    response_model=ReportOut,
    status_code=201,
    responses={
        401: _UNAUTHENTICATED,
        403: {"model": ErrorEnvelope, "description": "Another office's application."},
        404: {"model": ErrorEnvelope, "description": "Nothing is anchored under this commitment."},
        409: {"model": ErrorEnvelope, "description": "This office already anchored this report."},
        422: {"model": ErrorEnvelope, "description": "A missing file, an unknown kind or a bad date."},
    },
    summary="Anchor a search or examination report of one's own application",
    operation_id="anchorReport",
    openapi_extra={
        "requestBody": {
            "content": {
                _MULTIPART: {
                    "schema": {
                        "type": "object",
                        "required": ["file", "kind", "issued"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "kind": {"type": "string", "enum": list(REPORT_KINDS)},
                            "issued": {"type": "string", "format": "date"},
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
async def anchor_report(
    commitment: CommitmentPath, request: Request, office: CallerOffice, service: Service, reports: ReportsDep
) -> ReportOut | JSONResponse:
    """The ledger binds the file's SHA-256 to the application; the file stays with this gateway."""
    key = commitment_from_path(commitment)
    if not is_multipart(request):
        message = f"send the report as {_MULTIPART} with the fields file, kind and issued"
        detail = {"code": "unsupportedMediaType", "message": message, "target": "Content-Type"}
        return envelope(415, "UNSUPPORTED_MEDIA_TYPE", message, [detail])
    upload = await read_upload(request, what="the report", max_bytes=MAX_REPORT_BYTES, size="16 MB")
    kind = parse_kind(upload.fields.get("kind"))
    latest_day = await run_in_threadpool(service.chain.latest_block_day)
    issued = parse_issued(upload.fields.get("issued"), latest_day)
    anchored = await run_in_threadpool(reports.anchor, office, key, upload.data, upload.media_type, kind, issued)
    return ReportOut.of(anchored)


@router.get(
    "/v1/families/{commitment}/reports",
    response_model=FamilyReportsOut,
    responses={
        401: _UNAUTHENTICATED,
        404: _NOT_FOUND_FAMILY,
        422: {"model": ErrorEnvelope, "description": "Not a commitment."},
    },
    summary="The reports of a family, for an office in it",
    operation_id="getFamilyReports",
)
async def get_family_reports(
    commitment: CommitmentPath, office: CallerOffice, reports: ReportsDep, ip_office_code: OfficeQuery = None
) -> FamilyReportsOut:
    """Every report anchored for a record joined by confirmed links, in chain order; ``sha256`` where this gateway
    holds the file."""
    key = commitment_from_path(commitment)
    found = await run_in_threadpool(reports.family_reports, office, key, ip_office_code)
    return FamilyReportsOut.of(found)


@router.get(
    "/v1/reports/{reportId}",
    response_class=Response,
    responses={
        200: _FILE,
        401: _UNAUTHENTICATED,
        404: _NOT_FOUND_REPORT,
        422: {"model": ErrorEnvelope, "description": "Not a report id."},
        503: _HOLDER_UNAVAILABLE,
    },
    summary="A report's file, from whichever gateway holds it",
    operation_id="getReport",
)
async def get_report(report_id: ReportIdPath, office: CallerOffice, reports: ReportsDep) -> Response:
    """The file, checked against the ledger's binding (fetched from the holder's gateway when another holds it)."""
    key = report_id_from_path(report_id)
    found = await run_in_threadpool(reports.retrieve, office, key)
    return _file_response(found)


@router.get(
    "/v1/reports/{reportId}/accesses",
    response_model=ReportAccessesOut,
    responses={
        401: _UNAUTHENTICATED,
        404: _NOT_FOUND_REPORT,
        422: {"model": ErrorEnvelope, "description": "Not a report id."},
    },
    summary="Who retrieved a report, for its own office",
    operation_id="getReportAccesses",
)
async def get_report_accesses(report_id: ReportIdPath, office: CallerOffice, reports: ReportsDep) -> ReportAccessesOut:
    """Every retrieval, here or through another gateway: office, time, and the record that gave the right."""
    key = report_id_from_path(report_id)
    found = await run_in_threadpool(reports.accesses, office, key)
    return ReportAccessesOut.of(found)


@router.post(
    "/v1/gateway/reports/{reportId}",
    response_class=Response,
    responses={
        200: _FILE,
        404: {"model": ErrorEnvelope, "description": "Refused (expired, replayed, badly signed, no right) or unknown."},
        422: {"model": ErrorEnvelope, "description": "The body is not JSON."},
    },
    summary="A report's file, for another office's gateway (signed request)",
    operation_id="serveReportToGateway",
    openapi_extra=signed_request_body(
        "ReportRequest(bytes2 office, bytes32 reportId, bytes32 throughCommitment, bytes32 nonce, uint64 expiry)"
    ),
)
async def serve_report_to_gateway(
    report_id: ReportIdPath, request: Request, checker: GatewayChecker, reports: ReportsDep
) -> Response:
    """The holder's side (docs/spec/between-gateways.md#what-the-holder-refuses): every refusal the same 404."""
    key = report_id_from_path(report_id)
    not_found = report_not_found(key)
    try:
        body: Any = await request.json()
    except ValueError:
        raise InvalidInput("the body is not JSON", code="jsonInvalid") from None
    checked = await run_in_threadpool(checker.check_report, body, not_found=not_found)
    if checked.report_id != key:
        raise GatewayRequestRefused(not_found, reason="the signed reportId is not the path's")
    found = await run_in_threadpool(reports.serve, checked, not_found)
    return _file_response(found)
