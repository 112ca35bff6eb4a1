"""One place that turns every failure into the error envelope of API.md (DAS style).

Domain errors map by class (STYLE.md: one handler maps domain errors to HTTP); request-shape
errors from pydantic become ``INVALID_INPUT_DATA`` with one detail per problem; anything
unexpected is logged server-side and answered with an envelope, never a stack trace. Detail codes
come from one vocabulary (:mod:`api.vocabulary`): pydantic's types and the contract's error names
are translated into it here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.vocabulary import detail_for_pydantic, detail_for_revert
from registry import errors

__all__ = ["Unauthenticated", "envelope", "install_error_handlers", "status_for"]

log = logging.getLogger("prioreg.api")


class Unauthenticated(errors.RegistryError):
    """Raised when a write comes without a valid office token (API.md: 401 ``UNAUTHENTICATED``)."""


_BY_CLASS: list[tuple[type[errors.RegistryError], int, str]] = [
    (Unauthenticated, 401, "UNAUTHENTICATED"),
    (errors.InvalidInput, 422, "INVALID_INPUT_DATA"),
    (errors.Forbidden, 403, "FORBIDDEN"),
    (errors.Unauthorized, 403, "FORBIDDEN"),
    (errors.NotOfficeSigner, 403, "FORBIDDEN"),
    (errors.OfficeNotActive, 403, "FORBIDDEN"),
    (errors.NotFound, 404, "NOT_FOUND"),
    (errors.NotAnchored, 404, "NOT_FOUND"),
    (errors.AlreadyAnchored, 409, "CONFLICT"),
    (errors.AlreadyPublished, 409, "CONFLICT"),
    (errors.HolderUnavailable, 503, "HOLDER_UNAVAILABLE"),
    (errors.LedgerUnavailable, 503, "LEDGER_UNAVAILABLE"),
    (errors.LedgerError, 502, "LEDGER_ERROR"),
    (errors.KeyStoreError, 503, "LEDGER_UNAVAILABLE"),
]

_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "INVALID_INPUT_DATA",
    429: "TOO_MANY_REQUESTS",
    503: "LEDGER_UNAVAILABLE",
}


def envelope(
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error envelope response."""
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def status_for(exc: errors.RegistryError) -> tuple[int, str]:
    """HTTP status and envelope code of a domain error."""
    for cls, status, code in _BY_CLASS:
        if isinstance(exc, cls):
            return status, code
    return 500, "INTERNAL_ERROR"


def _pydantic_target(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    out = ""
    for part in parts:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out or None  # the body as a whole has no target


def _detail_message(err: dict[str, Any]) -> str:
    if err.get("type") == "json_invalid":
        # pydantic's "JSON decode error" with the character offset as its location says little.
        reason = (err.get("ctx") or {}).get("error", "")
        at = next((p for p in reversed(err.get("loc", ())) if isinstance(p, int)), None)
        where = f" at character {at}" if at is not None else ""
        return f"the body is not valid JSON{where}" + (f": {reason}" if reason else "")
    msg = str(err.get("msg", "invalid value"))
    # pydantic wraps our own InvalidInput messages as "Value error, …": keep the sentence.
    return msg.removeprefix("Value error, ")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(errors.RegistryError)
    async def registry_error(_request: Request, exc: errors.RegistryError) -> JSONResponse:
        status, code = status_for(exc)
        details: list[dict[str, Any]] = []
        message = exc.message
        if isinstance(exc, errors.InvalidInput):
            details.append({"code": exc.code, "message": exc.message, "target": exc.target})
            # Name the field (``filings[3].applicationNumber``) as the schema errors do.
            if exc.target and exc.target not in message:
                message = f"{message} ({exc.target})"
        elif isinstance(exc, errors.ContractRevert):
            # API.md "Error detail codes": a domain code (alreadyAnchored), never the Solidity name.
            detail: dict[str, Any] = {"code": detail_for_revert(exc.name), "message": exc.message}
            if exc.target:
                detail["target"] = exc.target
            details.append(detail)
        if status >= 500:
            log.warning("ledger failure: %s", exc.message)
        # RFC 6750 §3: a 401 names the scheme the client should use.
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, errors.HolderUnavailable):  # SPEC.md §7: the caller may try again
            headers = {"Retry-After": str(exc.retry_after)}
        return envelope(status, code, message, details, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for err in exc.errors()[:50]:
            ctx_error = (err.get("ctx") or {}).get("error")
            # Our own InvalidInput raised in a validator keeps its domain code; pydantic's types are
            # translated (API.md "Error detail codes": never a pydantic type name).
            code = getattr(ctx_error, "code", None) or detail_for_pydantic(str(err.get("type", "")))
            target = None if err.get("type") == "json_invalid" else _pydantic_target(tuple(err.get("loc", ())))
            details.append({"code": code, "message": _detail_message(err), "target": target})
        first = details[0] if details else {"message": "the request is not valid", "target": None}
        where = f" ({first['target']})" if first.get("target") else ""
        return envelope(422, "INVALID_INPUT_DATA", f"{first['message']}{where}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): malformed input, like
            # malformed JSON, is 422 INVALID_INPUT_DATA in this API.
            message = "the body cannot be read as JSON text (UTF-8)"
            return envelope(422, "INVALID_INPUT_DATA", message, [{"code": "bodyUnreadable", "message": message}])
        code = _HTTP_CODES.get(exc.status_code, "ERROR")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ").lower()
        return envelope(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return envelope(500, "INTERNAL_ERROR", "the server could not answer this request; nothing was written")
