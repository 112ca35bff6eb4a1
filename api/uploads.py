"""Uploaded files from a ``multipart/form-data`` body, read within the route's limit.

The report upload (R15), the document check and the package check each take one ``file`` part and
a few text fields. Reading it is the same every time, so it is written once: starlette's own
refusal of a body that is not multipart becomes 422 ``multipartInvalid`` (never a 400); a missing
file part is 422 ``required`` at ``file``; a file over the route's limit is 422 ``tooLarge`` at
``file`` — read one byte past the limit, never more (docs/design.md#p10-no-request-can-take-the-gateway-down;
the body as a whole was bounded already by :class:`api.limits.BodyGuard`).

Whether a body is such an upload is decided by :func:`is_multipart` alone, the way ``BodyGuard`` decides it: a body it
left to the form parser, never checked as JSON, must never reach a JSON parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.errors import InvalidInput

__all__ = [
    "MAX_PACKAGE_FILES",
    "Upload",
    "UploadedFile",
    "Uploads",
    "is_multipart",
    "read_upload",
    "read_uploads",
]

#: The most ``file`` parts a package upload takes: a package holds at most 64 entries, two of them its own
#: manifest.json and signature.json (docs/spec/packages.md#container).
MAX_PACKAGE_FILES = 62
_MULTIPART = "multipart/form-data"


def is_multipart(request: Request) -> bool:
    """Whether ``request`` declares a ``multipart/form-data`` body: the media type without its parameters, in any case
    (RFC 9110 §8.3.1: ``Multipart/Form-Data`` is the same type), as :class:`api.limits.BodyGuard` reads it."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower() == _MULTIPART


@dataclass(frozen=True)
class Upload:
    """The file part's bytes and declared media type, and the form's text fields."""

    data: bytes
    media_type: str | None
    fields: dict[str, str]


async def read_upload(request: Request, *, what: str, max_bytes: int, size: str, max_fields: int = 10) -> Upload:
    """The ``file`` part (``what`` names it in messages: "the report") and the text fields of the form."""
    try:
        form = await request.form(max_files=1, max_fields=max_fields)
    except StarletteHTTPException as exc:  # starlette's 400 for a body that is not multipart
        raise InvalidInput(f"the upload cannot be read: {exc.detail}", code="multipartInvalid") from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise InvalidInput(f"attach {what} as the form field 'file'", code="required", target="file")
    data = await upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidInput(f"{what} is larger than {size}", code="tooLarge", target="file")
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return Upload(data, upload.content_type, fields)


@dataclass(frozen=True)
class UploadedFile:
    """One file part: its name, declared media type and bytes."""

    name: str
    media_type: str | None
    data: bytes


@dataclass(frozen=True)
class Uploads:
    """Every ``file`` part, the named extra file parts, and the form's text fields."""

    files: list[UploadedFile]
    extra: dict[str, UploadedFile]
    fields: dict[str, str]


async def read_uploads(
    request: Request,
    *,
    what: str,
    max_bytes: int,
    size: str,
    max_files: int = MAX_PACKAGE_FILES,
    extra_files: tuple[str, ...] = (),
    max_fields: int = 10,
) -> Uploads:
    """One or more ``file`` parts (at most ``max_files``, together at most ``max_bytes``), the single parts named in
    ``extra_files`` (``bibliographic``) and the text fields; the same refusals as :func:`read_upload`."""
    try:
        form = await request.form(max_files=max_files + len(extra_files), max_fields=max_fields)
    except StarletteHTTPException as exc:  # starlette's 400 for a body that is not multipart (or too many parts)
        raise InvalidInput(f"the upload cannot be read: {exc.detail}", code="multipartInvalid") from None
    budget = max_bytes
    files: list[UploadedFile] = []
    extra: dict[str, UploadedFile] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            continue
        if key != "file" and key not in extra_files:
            raise InvalidInput(f"the form has no file field {key[:40]!r}", code="notAllowedValue", target=key[:40])
        if key in extra:
            raise InvalidInput(f"give at most one {key!r} part", code="multipartInvalid", target=key)
        data = await value.read(budget + 1)
        if len(data) > budget:
            raise InvalidInput(f"{what} is larger than {size}", code="tooLarge", target=key)
        budget -= len(data)
        part = UploadedFile(value.filename or "", value.content_type, data)
        if key == "file":
            files.append(part)
        else:
            extra[key] = part
    if not files:
        raise InvalidInput(f"attach {what} as one or more form fields 'file'", code="required", target="file")
    if len(files) > max_files:
        raise InvalidInput(f"give at most {max_files} files", code="tooLarge", target="file")
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    return Uploads(files, extra, fields)
