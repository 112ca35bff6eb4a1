"""``POST /v1/priority-documents/verify``: is this priority-document package authentic and current?
(docs/api.md#priority-documents, docs/spec/packages.md#checks).

Anyone may ask. A multipart body: the package as ``file`` and, optionally, ``accessCode`` (then the number ↔
commitment binding is checked too). The package is read in memory by :func:`registry.domain.packages.read_package`,
never unpacked to disk; a malformed archive (the container rules: limits, names) is a 422 ``malformedPackage``. The
body may be up to 65 MB (docs/spec/packages.md#upload-limits, :data:`api.limits.PACKAGE_ROUTES`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.limits import PACKAGE_BODY_BYTES
from api.schemas import ErrorEnvelope, PackageVerificationOut
from api.uploads import read_upload
from registry.errors import InvalidInput
from registry.service.packages import verify_package

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
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise InvalidInput("send the package as multipart/form-data, field 'file'", code="multipartInvalid")
    upload = await read_upload(request, what="the package", max_bytes=PACKAGE_BODY_BYTES, size="65 MB", max_fields=2)
    data = upload.data
    code = upload.fields.get("accessCode")
    access_code = code if isinstance(code, str) and code else None
    answer = await run_in_threadpool(verify_package, service.chain, service.contract, data, access_code)
    return PackageVerificationOut.of(answer)
