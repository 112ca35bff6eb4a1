"""One uploaded file from a ``multipart/form-data`` body, read within the route's limit.

The report upload (R15), the document check and the package check each take one ``file`` part and
a few text fields. Reading it is the same every time, so it is written once: starlette's own
refusal of a body that is not multipart becomes 422 ``multipartInvalid`` (never a 400); a missing
file part is 422 ``required`` at ``file``; a file over the route's limit is 422 ``tooLarge`` at
``file`` — read one byte past the limit, never more (docs/design.md#p10-no-request-can-take-the-gateway-down;
the body as a whole was bounded already by :class:`api.limits.BodyGuard`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.errors import InvalidInput

__all__ = ["Upload", "read_upload"]


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
