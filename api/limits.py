"""Request bodies are bounded before any work (docs/design.md#p10-no-request-can-take-the-gateway-down): size per route,
then JSON depth and counts, each refusal an answer in the envelope of docs/api.md#errors.

:class:`BodyGuard` sits outside every route, so nothing — no token check, no parser, no service
call — sees a body it has not passed:

1. **Size.** Every endpoint takes at most 16 MB; the priority-document package endpoints take 65 MB
   (docs/spec/packages.md#upload-limits; :data:`PACKAGE_ROUTES`, set per route in :class:`BodyLimits`). A declared
   ``Content-Length`` over the limit is refused with 413 ``PAYLOAD_TOO_LARGE`` before a byte is
   read; a body without one (chunked) is counted as it arrives and refused the moment it passes
   the limit, without reading the rest.
2. **JSON.** A body that is not a form (``multipart/form-data`` and
   ``application/x-www-form-urlencoded`` go to python-multipart, which bounds its own fields and
   files) is read here and parsed once by :func:`registry.domain.bounded_json.loads`: nesting depth,
   items in one array or object, values in all, string and key lengths. Beyond a limit → 422
   ``INVALID_INPUT_DATA`` with the limit's code (``tooDeep``, ``tooManyItems``, …) and where it
   was hit. The route then reads the same bytes as usual; its own parser never sees a document
   nested deeper than ``max_depth``, whatever the interpreter's recursion limit.
3. **Time.** A body must keep arriving: no read waits more than ``read_timeout`` seconds (5 by default,
   ``PRIOREG_BODY_READ_TIMEOUT``), and past its first ``read_timeout`` seconds the body must have come at
   :data:`MIN_BODY_RATE` on average (Apache's ``mod_reqtimeout`` rule: a slow trickle is refused too, a large
   upload on a fair link is not). A client that declares ``Content-Length: N`` and sends fewer bytes, or
   trickles them, gets 408 ``REQUEST_TIMEOUT`` (detail ``bodyTimeout``) with ``Connection: close`` (the rest
   of its body cannot be told from a next request), and the request holds nothing after that.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import envelope, status_for
from registry.domain.bounded_json import DEFAULT_LIMITS, JsonLimits, JsonTooLarge, loads
from registry.errors import InvalidInput

__all__ = [
    "BODY_READ_TIMEOUT",
    "MAX_BODY_BYTES",
    "MIN_BODY_RATE",
    "PACKAGE_BODY_BYTES",
    "PACKAGE_ROUTES",
    "BodyGuard",
    "BodyLimits",
]

#: Every endpoint but the package ones (docs/spec/packages.md#upload-limits). A batch of 10,000 filings is a few MB.
MAX_BODY_BYTES = 16 * 1024 * 1024
#: The package-creation and package-verify endpoints (docs/spec/packages.md#upload-limits: a package holds up to 64 MB).
PACKAGE_BODY_BYTES = 65 * 1024 * 1024
#: Their paths (docs/api.md#priority-documents), as route templates.
PACKAGE_ROUTES = ("/v1/applications/{commitment}/priority-document", "/v1/priority-documents/verify")

#: Seconds a body read may wait for the next bytes (``Settings.body_read_timeout`` sets it for ``prioreg serve``).
BODY_READ_TIMEOUT: Final = 5.0
#: Bytes a second a body must average once its first ``read_timeout`` seconds are spent.
MIN_BODY_RATE: Final = 1024

#: Bodies up to this size are checked on the event loop; larger ones in the thread pool.
_INLINE_BYTES = 64 * 1024
_FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def _default_route_limits() -> dict[str, int]:
    return dict.fromkeys(PACKAGE_ROUTES, PACKAGE_BODY_BYTES)


@dataclass(frozen=True)
class BodyLimits:
    """What a request body may be: ``max_bytes`` unless ``per_route`` names its path template; how long it may take
    to arrive: ``read_timeout`` seconds without a byte, :data:`MIN_BODY_RATE` on average after that."""

    max_bytes: int = MAX_BODY_BYTES
    per_route: Mapping[str, int] = field(default_factory=_default_route_limits)
    json: JsonLimits = DEFAULT_LIMITS
    read_timeout: float = BODY_READ_TIMEOUT


def _mb(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit % 2**20 == 0 else f"{limit:,} bytes"


def _too_large(limit: int) -> ASGIApp:
    message = f"the body is larger than {_mb(limit)}"
    return envelope(413, "PAYLOAD_TOO_LARGE", message, [{"code": "bodyTooLarge", "message": message}])


def _timed_out(timeout: float) -> ASGIApp:
    message = f"the body did not arrive in time (nothing for {timeout:g} s, or slower than 1 KiB/s); send it whole"
    return envelope(
        408, "REQUEST_TIMEOUT", message, [{"code": "bodyTimeout", "message": message}], {"Connection": "close"}
    )


class _BodyTimedOut(Exception):
    """Raised by :class:`_BodyClock` when the next bytes of a body are overdue (and into the app, for a form)."""


class _BodyClock:
    """When the next bytes of one request's body must have arrived (module docstring, item 3)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.start = time.monotonic()
        self.received = 0
        self.done = False  # the last chunk came: later receives (a disconnect, say) are not timed

    async def receive(self, receive: Receive) -> Message:
        """``receive()``, or :class:`_BodyTimedOut` when it would come too late."""
        if self.done:
            return await receive()
        deadline = self.start + self.timeout + self.received / MIN_BODY_RATE
        wait = min(self.timeout, deadline - time.monotonic())
        if wait <= 0:
            raise _BodyTimedOut
        try:
            # asyncio's own timeout, not anyio.fail_after: this runs on every request with a body, and
            # the anyio cancel scope cost 8 us a read against 3 (a verification: 257 -> 249 us in all).
            async with asyncio.timeout(wait):
                message = await receive()
        except TimeoutError:
            raise _BodyTimedOut from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.done = not message.get("more_body", False)
        return message


class BodyGuard:
    """ASGI middleware enforcing :class:`BodyLimits` on every HTTP request (module docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits
        self._routes = [(compile_path(template)[0], size) for template, size in limits.per_route.items()]

    def max_bytes_for(self, path: str) -> int:
        """The size limit of a request to ``path``."""
        for pattern, size in self._routes:
            if pattern.match(path):
                return size
        return self.limits.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes_for(scope["path"])
        headers = Headers(scope=scope)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(limit)(scope, receive, send)
            return
        media = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media in _FORM_TYPES:
            await self._streamed(scope, receive, send, limit)
            return
        try:
            body = await _read_body(_BodyClock(self.limits.read_timeout), receive, limit)
        except _BodyTimedOut:
            await _timed_out(self.limits.read_timeout)(scope, receive, send)
            return
        if body is None:  # the client went away before sending it all: nobody to answer
            return
        if isinstance(body, _Oversized):
            await _too_large(limit)(scope, receive, send)
            return
        if body.strip():
            try:
                if len(body) > _INLINE_BYTES:
                    # Up to ~1 s of CPU for a hostile 16 MB body: off the event loop, which keeps
                    # answering other requests meanwhile.
                    await run_in_threadpool(loads, body, self.limits.json)
                else:
                    loads(body, self.limits.json)  # a verify body: microseconds, cheaper than the hop
            except JsonTooLarge:
                await _too_large(self.limits.json.max_bytes)(scope, receive, send)
                return
            except InvalidInput as exc:
                detail = {"code": exc.code, "message": exc.message, "target": exc.target}
                status, code = status_for(exc)  # the one table of api.errors: 422 INVALID_INPUT_DATA
                await envelope(status, code, exc.message, [detail])(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    async def _streamed(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """A form goes on to its parser as it arrives, counted and timed; past ``limit`` the read stops with 413,
        overdue (:class:`_BodyClock`) with 408.

        Whatever the route makes of the interrupted read (a parse error, an unreadable upload), the
        client gets the 413 or the 408, provided no answer has started yet.
        """
        clock = _BodyClock(self.limits.read_timeout)
        refusal: ASGIApp | None = None
        started = False

        async def guarded_receive() -> Message:
            nonlocal refusal
            try:
                message = await clock.receive(receive)
            except _BodyTimedOut:
                refusal = _timed_out(self.limits.read_timeout)
                raise
            if message["type"] == "http.request" and clock.received > limit:
                refusal = _too_large(limit)
                raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refusal is not None and not started:
                return  # the app's answer to a cut-off body is replaced by the refusal below
            started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if refusal is None or started:
                raise
        if refusal is not None and not started:
            await refusal(scope, receive, send)


class _BodyTooLarge(Exception):
    """Raised into the app by the guarded ``receive`` once a streamed form passes the limit."""


class _Oversized:
    """The marker :func:`_read_body` returns for a body that passed the limit (the rest unread)."""


async def _read_body(clock: _BodyClock, receive: Receive, limit: int) -> bytes | _Oversized | None:
    chunks: list[bytes] = []
    total = 0
    while True:
        message = await clock.receive(receive)
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        total += len(chunk)
        if total > limit:
            return _Oversized()
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body already read, then listens to the client again
    (a later ``http.disconnect``)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
