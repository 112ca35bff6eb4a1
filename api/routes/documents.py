"""``POST /v1/documents/verify``: does a priority document match the digest anchored for it?

JSON with the document's SHA-256, or a multipart upload with the file itself (hashed here, never
stored)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import DocumentVerifyIn, DocumentVerifyOut, ErrorEnvelope, read_model
from api.uploads import is_multipart, read_upload
from registry.errors import InvalidInput
from registry.service import document_digest

router = APIRouter(tags=["documents"])

MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
_ERRORS: dict[int | str, dict[str, Any]] = {422: {"model": ErrorEnvelope, "description": "Malformed input."}}


@router.post(
    "/v1/documents/verify",
    response_model=DocumentVerifyOut,
    responses=_ERRORS,
    summary="Check a priority document against the anchored digest",
    operation_id="verifyDocument",
    openapi_extra={
        "requestBody": {
            "content": {
                # Inline: a $ref to components would dangle (FastAPI lists only the models it sees in
                # signatures), and ReDoc refuses a document with a dangling $ref.
                "application/json": {"schema": DocumentVerifyIn.model_json_schema(by_alias=True)},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["ipOfficeCode", "applicationNumber", "accessCode", "file"],
                        "properties": {
                            "ipOfficeCode": {"type": "string"},
                            "applicationNumber": {"type": "string"},
                            "accessCode": {"type": "string"},
                            "file": {"type": "string", "format": "binary"},
                        },
                    }
                },
            },
            "required": True,
        }
    },
)
async def verify_document(request: Request, service: Service) -> DocumentVerifyOut:
    """``matches`` is true when the SHA-256 of the document equals the anchored digest."""
    if is_multipart(request):
        upload = await read_upload(request, what="the document", max_bytes=MAX_DOCUMENT_BYTES, size="50 MB")
        fields: dict[str, Any] = dict(upload.fields)
        fields["documentDigest"] = document_digest(upload.data).hex()
    else:
        try:
            fields = await request.json()
        except ValueError:
            raise InvalidInput("the body is not JSON", code="jsonInvalid") from None
    # As FastAPI reads a model body: the same messages as every other JSON body, and none that names this class.
    body = read_model(DocumentVerifyIn, fields)
    digest = bytes.fromhex(body.document_digest.removeprefix("0x"))
    matches, anchored, version = await run_in_threadpool(
        service.verify_document, body.ip_office_code, body.application_number, body.access_code, digest
    )
    return DocumentVerifyOut.of(matches, anchored, version)
