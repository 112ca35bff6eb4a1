"""One place that turns every failure into the error envelope of docs/api.md#errors (DAS style).

Domain errors map by class through one table, :data:`STATUS` (docs/design.md#how-the-code-is-written: one handler maps
domain errors to HTTP; every class of :mod:`registry.errors` has its row, a test checks it); request-shape
errors from pydantic become ``INVALID_INPUT_DATA`` with one detail per problem; anything
unexpected is logged server-side and answered with an envelope, never a stack trace. Detail codes
come from one vocabulary (:mod:`api.vocabulary`): pydantic's types and the contract's error names
are translated into it here.
"""

from __future__ import annotations

import logging
from typing import Any, NamedTuple

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.vocabulary import detail_for_pydantic, detail_for_revert
from registry import errors
from registry.errors import Unauthenticated

__all__ = ["STATUS", "Answer", "Unauthenticated", "answer_for", "envelope", "install_error_handlers", "status_for"]

log = logging.getLogger("prioreg.api")


class Answer(NamedTuple):
    """How the API answers one class of :mod:`registry.errors`."""

    status: int
    code: str
    #: A fixed sentence answered instead of the error's own message (which may name files or keys'
    #: paths that are the operator's business); the log keeps the real one.
    message: str | None = None
    #: The detail code, for an error that is neither input (its own ``code``) nor a revert (its name).
    detail: str | None = None


_INTERNAL = Answer(500, "INTERNAL_ERROR")
_FORBIDDEN = Answer(403, "FORBIDDEN")
_NOT_FOUND = Answer(404, "NOT_FOUND")
_CONFLICT = Answer(409, "CONFLICT")
_LEDGER_ERROR = Answer(502, "LEDGER_ERROR")
_KEY_STORE = Answer(
    500,
    "INTERNAL_ERROR",
    "the gateway cannot use its office key, so nothing was written; its operator must check the key store",
    "keyStoreUnavailable",
)

#: The one table: every class of the tree → its HTTP answer (docs/api.md#errors). A test walks
#: ``RegistryError.__subclasses__()`` and checks that each class has its own row, so a new error is
#: answered on purpose, not by the nearest ancestor. A subclass defined elsewhere (none is) would
#: get its nearest ancestor's row.
STATUS: dict[type[errors.RegistryError], Answer] = {
    errors.RegistryError: _INTERNAL,
    # input and who may ask
    errors.InvalidInput: Answer(422, "INVALID_INPUT_DATA"),
    errors.InvalidOfficeCode: Answer(422, "INVALID_INPUT_DATA"),
    errors.InvalidApplicationNumber: Answer(422, "INVALID_INPUT_DATA"),
    errors.InvalidAccessCode: Answer(422, "INVALID_INPUT_DATA"),
    errors.InvalidDate: Answer(422, "INVALID_INPUT_DATA"),
    errors.InvalidClaim: Answer(422, "INVALID_INPUT_DATA"),
    errors.MalformedPackage: Answer(422, "INVALID_INPUT_DATA"),
    errors.ReportBeforeFiling: Answer(422, "INVALID_INPUT_DATA"),
    errors.JsonTooLarge: Answer(413, "PAYLOAD_TOO_LARGE"),
    errors.Unauthenticated: Answer(401, "UNAUTHENTICATED"),
    errors.Forbidden: _FORBIDDEN,
    errors.NotFound: _NOT_FOUND,
    # the gateway's own key: not the client's fault, and not the node's (it was 503 LEDGER_UNAVAILABLE)
    errors.KeyStoreError: _KEY_STORE,
    errors.WrongPassphrase: _KEY_STORE,
    errors.KeyNotFound: _KEY_STORE,
    # the ledger
    errors.LedgerError: _LEDGER_ERROR,
    errors.LedgerUnavailable: Answer(503, "LEDGER_UNAVAILABLE"),
    errors.OwnerNeeded: Answer(503, "LEDGER_UNAVAILABLE"),
    errors.TransactionFailed: _LEDGER_ERROR,
    errors.ContractRevert: _LEDGER_ERROR,
    errors.AlreadyAnchored: _CONFLICT,
    errors.BatchAlreadyAnchored: _CONFLICT,
    errors.ReportAlreadyAnchored: _CONFLICT,
    errors.AlreadyPublished: _CONFLICT,
    errors.NotAnchored: _NOT_FOUND,
    errors.NotOfficeSigner: _FORBIDDEN,
    errors.OfficeNotActive: _FORBIDDEN,
    errors.UnknownOffice: _FORBIDDEN,
    errors.Unauthorized: _FORBIDDEN,
    errors.OfficeMismatch: _FORBIDDEN,
    errors.MissingRole: _FORBIDDEN,
    # refusals the gateway's own checks should have caught first: the ledger's word, as 502
    errors.InvalidSignature: _LEDGER_ERROR,
    errors.SignatureExpired: _LEDGER_ERROR,
    errors.InvalidNonce: _LEDGER_ERROR,
    errors.InvalidProof: _LEDGER_ERROR,
    errors.UnknownBatch: _LEDGER_ERROR,
    errors.CommitmentMismatch: _LEDGER_ERROR,
    errors.OfficeCodeRefused: _LEDGER_ERROR,
    errors.OfficeAlreadyAdmitted: _LEDGER_ERROR,
    errors.OfficeActive: _LEDGER_ERROR,
    errors.InvalidSigner: _LEDGER_ERROR,
    errors.InvalidKind: _LEDGER_ERROR,
    errors.ImplausibleDate: _LEDGER_ERROR,
    errors.MalformedEntries: _LEDGER_ERROR,
    errors.EmptyBatch: _LEDGER_ERROR,
    errors.SelfClaim: _LEDGER_ERROR,
    errors.TooManyClaims: _LEDGER_ERROR,
    errors.InvalidReportKind: _LEDGER_ERROR,
    errors.ProposalNotPending: _LEDGER_ERROR,
    errors.ProposalNotReady: _LEDGER_ERROR,
    errors.InvalidVote: _LEDGER_ERROR,
    # the gateway's local state: a fault its operator must look at
    errors.IndexInconsistent: _INTERNAL,
    errors.JournalCorrupt: _INTERNAL,
    errors.SnapshotCorrupt: _INTERNAL,
    errors.CompileError: _INTERNAL,
    errors.StateDirLocked: _INTERNAL,
    errors.BackupError: _INTERNAL,
    errors.MalformedEvidence: Answer(422, "INVALID_INPUT_DATA"),
    # between gateways (docs/spec/between-gateways.md): every refusal is the route's own 404; an unreachable holder 503
    errors.GatewayRequestRefused: _NOT_FOUND,
    errors.HolderUnavailable: Answer(503, "HOLDER_UNAVAILABLE"),
}

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


#: Set on the answer of a read worker that cannot answer alone (:class:`~registry.errors.OwnerNeeded`):
#: :mod:`api.forwarding` sends the request to the owner process instead and drops this answer.
OWNER_NEEDED_HEADER = "x-prioreg-owner-needed"


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


def answer_for(exc: errors.RegistryError) -> Answer:
    """The row of :data:`STATUS` for ``exc``: its class's own, else its nearest ancestor's."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return _INTERNAL  # not reached: RegistryError has a row


def status_for(exc: errors.RegistryError) -> tuple[int, str]:
    """HTTP status and envelope code of a domain error."""
    answer = answer_for(exc)
    return answer.status, answer.code


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
        status, code, public_message, detail_code = answer_for(exc)
        details: list[dict[str, Any]] = []
        message = public_message or exc.message
        if detail_code is not None:
            details.append({"code": detail_code, "message": message})
        elif isinstance(exc, errors.InvalidInput):
            details.append({"code": exc.code, "message": exc.message, "target": exc.target})
            # Name the field (``filings[3].applicationNumber``) as the schema errors do.
            if exc.target and exc.target not in message:
                message = f"{message} ({exc.target})"
        elif isinstance(exc, errors.ContractRevert):
            # docs/api.md#error-detail-codes: a domain code (alreadyAnchored), never the Solidity name.
            detail: dict[str, Any] = {"code": detail_for_revert(exc.name), "message": exc.message}
            if exc.target:
                detail["target"] = exc.target
            details.append(detail)
        if status >= 500 and not isinstance(exc, errors.OwnerNeeded):  # that one is handed on, not a failure
            log.warning("%s failure: %s", "ledger" if isinstance(exc, errors.LedgerError) else "gateway", exc.message)
        # RFC 6750 §3: a 401 names the scheme the client should use.
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(exc, errors.HolderUnavailable):  # docs/spec/between-gateways.md: the caller may try again
            headers = {"Retry-After": str(exc.retry_after)}
        if isinstance(exc, errors.OwnerNeeded):  # a read worker: api.forwarding hands the request on
            headers = {OWNER_NEEDED_HEADER: "1", "Retry-After": "1"}
        return envelope(status, code, message, details, headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = []
        for err in exc.errors()[:50]:
            ctx_error = (err.get("ctx") or {}).get("error")
            # Our own InvalidInput raised in a validator keeps its domain code; pydantic's types are
            # translated (docs/api.md#error-detail-codes: never a pydantic type name).
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
