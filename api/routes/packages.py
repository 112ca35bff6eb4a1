"""Priority-document packages (docs/api.md#priority-documents, docs/spec/packages.md).

- ``POST /v1/applications/{commitment}/priority-document``: the application's own office builds, signs and anchors a
  package (multipart ``applicationNumber``, ``accessCode`` unless its seed derives it, one or more ``file``, optional
  ``bibliographic``).
- ``POST /v1/priority-documents/retrieve``: an office retrieves it with what the applicant gave it; the same 404 for a
  wrong code, an unknown application and one without a document.
- ``GET /v1/applications/{commitment}/priority-document/accesses``: who retrieved which version, for its own office.
- ``POST /v1/gateway/priority-documents``: the holder's side, for another office's gateway, signed
  (docs/spec/between-gateways.md).
- ``POST /v1/priority-documents/verify``: is this package authentic and current (docs/spec/packages.md#checks)?

The verification:

Anyone may ask. A multipart body: the package as ``file`` and, optionally, ``accessCode`` (then the number ↔
commitment binding is checked too). The package is read in memory by :func:`registry.domain.packages.read_package`,
never unpacked to disk; a malformed archive (the container rules: limits, names) is a 422 ``malformedPackage``. The
body may be up to 65 MB (docs/spec/packages.md#upload-limits, :data:`api.limits.PACKAGE_ROUTES`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import CallerOffice, Service
from api.errors import envelope
from api.gateway import GatewayChecker, PriorityDocumentsDep, signed_request_body
from api.limits import PACKAGE_BODY_BYTES
from api.routes.applications import CommitmentPath, commitment_from_path
from api.schemas import (
    ErrorEnvelope,
    PackageVerificationOut,
    PriorityDocumentAccessesOut,
    PriorityDocumentOut,
    PriorityDocumentRetrieveIn,
)
from api.uploads import MAX_PACKAGE_FILES, is_multipart, read_upload, read_uploads
from registry.errors import InvalidInput
from registry.service.packages import PACKAGE_MEDIA_TYPE, verify_package
from registry.service.priority_documents import RetrievedPackage

__all__ = ["router"]

router = APIRouter(tags=["priority documents"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorEnvelope, "description": "Malformed input: not a multipart body, or a malformed archive."}
}


@router.post(
    "/v1/priority-documents/verify",
    response_model=PackageVerificationOut,
    responses=_ERRORS,
    summary="Check a priority-document package against the ledger",
    operation_id="verifyPriorityDocument",
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "accessCode": {"type": "string"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def verify_priority_document(request: Request, service: Service) -> PackageVerificationOut:
    """Every check of docs/spec/packages.md#checks; ``valid`` when all but ``isCurrentVersion`` pass."""
    if not is_multipart(request):
        raise InvalidInput("send the package as multipart/form-data, field 'file'", code="multipartInvalid")
    upload = await read_upload(request, what="the package", max_bytes=PACKAGE_BODY_BYTES, size="65 MB", max_fields=2)
    data = upload.data
    code = upload.fields.get("accessCode")
    access_code = code if isinstance(code, str) and code else None
    answer = await run_in_threadpool(verify_package, service.chain, service.contract, data, access_code)
    return PackageVerificationOut.of(answer)


_MULTIPART = "multipart/form-data"
_UNAUTHENTICATED = {"model": ErrorEnvelope, "description": "No or invalid office token."}
_PACKAGE = {
    "description": "The package (docs/spec/packages.md#container).",
    "content": {PACKAGE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    "headers": {
        "Content-Disposition": {
            "description": "attachment; filename=<commitment>-v<version>.zip",
            "schema": {"type": "string"},
        },
        "X-Content-Type-Options": {"description": "nosniff", "schema": {"type": "string"}},
    },
}


def _package_response(found: RetrievedPackage) -> Response:
    name = f"0x{found.commitment.hex()}-v{found.version}.zip"
    return Response(
        found.data,
        media_type=PACKAGE_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",  # every retrieval reaches the holder's access log
        },
    )


@router.post(
    "/v1/applications/{commitment}/priority-document",
    response_model=PriorityDocumentOut,
    status_code=201,
    responses={
        401: _UNAUTHENTICATED,
        403: {"model": ErrorEnvelope, "description": "Another office's application."},
        404: {"model": ErrorEnvelope, "description": "Nothing is anchored under this commitment."},
        413: {"model": ErrorEnvelope, "description": "The body is larger than 65 MB."},
        415: {"model": ErrorEnvelope, "description": "Not multipart/form-data."},
        422: {
            "model": ErrorEnvelope,
            "description": "A missing file, number or code, number and code not giving the commitment, bad names.",
        },
    },
    summary="Build, sign and anchor the priority-document package of one's own application",
    operation_id="createPriorityDocument",
    openapi_extra={
        "requestBody": {
            "content": {
                _MULTIPART: {
                    "schema": {
                        "type": "object",
                        "required": ["file", "applicationNumber"],
                        "properties": {
                            "applicationNumber": {"type": "string"},
                            "accessCode": {"type": "string"},
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "maxItems": MAX_PACKAGE_FILES,
                            },
                            "bibliographic": {"type": "string", "format": "binary"},
                        },
                    }
                }
            },
            "required": True,
        }
    },
)
async def create_priority_document(
    commitment: CommitmentPath, request: Request, office: CallerOffice, desk: PriorityDocumentsDep
) -> PriorityDocumentOut | JSONResponse:
    """Number and code must give the commitment; the package is anchored as the application's next version."""
    key = commitment_from_path(commitment)
    if not is_multipart(request):
        message = f"send the application as filed as {_MULTIPART}: applicationNumber, accessCode, file"
        detail = {"code": "unsupportedMediaType", "message": message, "target": "Content-Type"}
        return envelope(415, "UNSUPPORTED_MEDIA_TYPE", message, [detail])
    uploads = await read_uploads(
        request, what="the application", max_bytes=PACKAGE_BODY_BYTES, size="65 MB", extra_files=("bibliographic",)
    )
    number = uploads.fields.get("applicationNumber")
    if not number:
        raise InvalidInput("give the application's number", code="required", target="applicationNumber")
    code = uploads.fields.get("accessCode") or None
    files = [(f.name, f.media_type or "application/octet-stream", f.data) for f in uploads.files]
    biblio = uploads.extra.get("bibliographic")
    created = await run_in_threadpool(
        lambda: desk.create(
            office, key, number[:64], code, files, bibliographic=biblio.data if biblio is not None else None
        )
    )
    return PriorityDocumentOut.of(created)


@router.post(
    "/v1/priority-documents/retrieve",
    response_class=Response,
    responses={
        200: _PACKAGE,
        401: _UNAUTHENTICATED,
        404: {
            "model": ErrorEnvelope,
            "description": "A wrong code, an unknown application or one without a document (the same answer).",
        },
        422: {"model": ErrorEnvelope, "description": "Malformed input, or the right code with a wrong filingDate."},
        503: {
            "model": ErrorEnvelope,
            "description": "The holder's gateway cannot be reached or sent a package that fails its checks;"
            " with Retry-After.",
        },
    },
    summary="Retrieve a priority document with the applicant's access code",
    operation_id="retrievePriorityDocument",
)
async def retrieve_priority_document(
    body: PriorityDocumentRetrieveIn, office: CallerOffice, desk: PriorityDocumentsDep
) -> Response:
    """The package, from this gateway or fetched from the holder's and checked against the ledger."""
    found = await run_in_threadpool(
        desk.retrieve,
        office,
        body.ip_office_code,
        body.application_number,
        body.filing_date,
        body.access_code,
        body.version,
    )
    return _package_response(found)


@router.get(
    "/v1/applications/{commitment}/priority-document/accesses",
    response_model=PriorityDocumentAccessesOut,
    responses={
        401: _UNAUTHENTICATED,
        404: {"model": ErrorEnvelope, "description": "No document of the caller's office under this commitment."},
        422: {"model": ErrorEnvelope, "description": "Not a commitment."},
    },
    summary="Who retrieved a priority document, for its own office",
    operation_id="getPriorityDocumentAccesses",
)
async def get_priority_document_accesses(
    commitment: CommitmentPath, office: CallerOffice, desk: PriorityDocumentsDep
) -> PriorityDocumentAccessesOut:
    """Every retrieval, here or through another gateway: office, time, version."""
    key = commitment_from_path(commitment)
    found = await run_in_threadpool(desk.accesses, office, key)
    return PriorityDocumentAccessesOut.of(found)


@router.post(
    "/v1/gateway/priority-documents",
    response_class=Response,
    responses={
        200: _PACKAGE,
        404: {"model": ErrorEnvelope, "description": "Refused (expired, replayed, badly signed, no right) or unknown."},
        422: {"model": ErrorEnvelope, "description": "The body is not JSON."},
    },
    summary="A priority-document package, for another office's gateway (signed request)",
    operation_id="servePriorityDocumentToGateway",
    openapi_extra=signed_request_body(
        "PriorityDocumentRequest(bytes2 office, bytes32 commitment, uint32 version, "
        "bytes32 accessSecretHash, bytes32 nonce, uint64 expiry)"
    ),
)
async def serve_priority_document_to_gateway(
    request: Request, checker: GatewayChecker, desk: PriorityDocumentsDep
) -> Response:
    """The holder's side (docs/spec/between-gateways.md#what-the-holder-refuses): every refusal the same 404."""
    not_found = GATEWAY_NOT_FOUND
    try:
        body: Any = await request.json()
    except ValueError:
        raise InvalidInput("the body is not JSON", code="jsonInvalid") from None
    checked = await run_in_threadpool(checker.check_priority_document, body, not_found=not_found)
    found = await run_in_threadpool(desk.serve, checked, not_found)
    return _package_response(found)


#: The holder's one sentence for every refusal: the request names no number, so neither does the answer.
GATEWAY_NOT_FOUND = "no priority document is available for this request"
