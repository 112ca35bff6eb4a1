"""``GET /v1/notifications``: what happened in the families of the caller's applications (docs/api.md#notifications).

Three ways to read one sequence, each from the index (:mod:`registry.service.notifications`):

- a **page** after a cursor;
- a **long poll** (``wait`` > 0): when nothing is new, the request is held until something is or
  ``wait`` seconds pass. The index is read every :data:`POLL_SECONDS` in the thread pool; the event
  loop only sleeps in between, so a held request costs no thread. The gateway's follower (and every
  write, which syncs before it answers) moves the index on;
- a **stream** (``Accept: text/event-stream``): the same notifications as server-sent events, ``id:``
  the cursor, ``event:`` the kind, ``data:`` the JSON object, starting after ``Last-Event-ID`` when
  the client sends one (a reconnecting ``EventSource`` does), else after ``after``. A comment line is
  written whenever nothing was for ``app.state.stream_keepalive`` seconds (15 s), so proxies keep the
  connection open.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import CallerOffice, Service
from api.schemas import DigitsOnly, ErrorEnvelope, NotificationsOut
from registry import errors
from registry.service import RegistryService
from registry.service.notifications import (
    CURSOR_DIGITS,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_WAIT_SECONDS,
    NotificationPage,
    page,
    parse_cursor,
)

router = APIRouter(tags=["notifications"])

EVENT_STREAM = "text/event-stream"
#: How often a held request or a stream reads the index again.
POLL_SECONDS = 0.2
#: A stream's comment line after this many quiet seconds (``app.state.stream_keepalive`` overrides it).
KEEPALIVE_SECONDS = 15.0

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The notifications after the cursor, in chain order; or, asked as text/event-stream, "
        "the same as server-sent events.",
        "content": {EVENT_STREAM: {"schema": {"type": "string"}}},
    },
    401: {"model": ErrorEnvelope, "description": "No or invalid office token."},
    422: {"model": ErrorEnvelope, "description": "A malformed cursor, or limit or wait out of range."},
}

AfterQuery = Annotated[
    str | None,
    Query(
        pattern=f"^[0-9a-f]{{{CURSOR_DIGITS}}}$",
        description="A cursor (a notification's `cursor`, or `next`): only what came after it. None: from the start.",
    ),
]
LimitQuery = Annotated[
    int, DigitsOnly(), Query(ge=1, le=MAX_LIMIT, description=f"At most this many, 1 to {MAX_LIMIT:,}.")
]
WaitQuery = Annotated[
    float,
    Query(
        ge=0,
        le=MAX_WAIT_SECONDS,
        description=f"When nothing is new, wait up to this many seconds (0 to {MAX_WAIT_SECONDS}) for something.",
    ),
]


_PARAMETERS = frozenset({"after", "limit", "wait"})


def _wants_stream(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return any(item.split(";")[0].strip().lower() == EVENT_STREAM for item in accept.split(","))


def _read(request: Request, service: RegistryService, office: str, after: str | None, limit: int) -> NotificationPage:
    # The priority documents the office retrieved through this gateway (api.gateway installs the desk):
    # a later version of one is a priorityDocumentAmended for it too.
    desk = getattr(request.app.state, "priority_documents", None)
    retrieved = desk.book.retrieved_by(office) if desk is not None else []
    return page(service.index, office, after, limit, retrieved)


async def _page(
    request: Request, service: RegistryService, office: str, after: str | None, limit: int
) -> NotificationPage:
    return await run_in_threadpool(_read, request, service, office, after, limit)


async def _held(
    request: Request, service: RegistryService, office: str, after: str | None, limit: int, wait: float
) -> NotificationPage:
    """The first page with something in it, or the empty one once ``wait`` seconds have passed."""
    deadline = time.monotonic() + wait
    found = await _page(request, service, office, after, limit)
    while not found.notifications and time.monotonic() < deadline:
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
        found = await _page(request, service, office, after, limit)
    return found


def _event(body: dict[str, Any]) -> str:
    data = json.dumps(body, separators=(",", ":"))
    return f"id: {body['cursor']}\nevent: {body['kind']}\ndata: {data}\n\n"


async def _stream(
    request: Request, service: RegistryService, office: str, after: str | None, keepalive: float
) -> AsyncIterator[str]:
    yield ": notifications of " + office + "\n\n"  # the headers and a first line, at once
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        found = await _page(request, service, office, after, MAX_LIMIT)
        if found.notifications:
            for notification in NotificationsOut.of(found).notifications:
                yield _event(notification.body())
            after = found.next
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since >= keepalive:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(min(POLL_SECONDS, keepalive))


@router.get(
    "/v1/notifications",
    response_model=NotificationsOut,
    responses=_ERRORS,
    summary="What happened in the families of the office's applications",
    operation_id="listNotifications",
)
async def list_notifications(
    request: Request,
    office: CallerOffice,
    service: Service,
    after: AfterQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    wait: WaitQuery = 0,
    last_event_id: Annotated[
        str | None,
        Header(max_length=CURSOR_DIGITS, description="For a stream: the last cursor received (EventSource sends it)."),
    ] = None,
) -> Response | NotificationsOut:
    """An event reaches the office when, at its block, the application it concerns is in the extended family
    of one of the office's records (its own included); officeSuspended reaches every office. The cursor is
    made from chain positions: the same at every gateway, stable across index rebuilds."""
    unknown = sorted(set(request.query_params) - _PARAMETERS)
    if unknown:  # a typo (``?afer=``) must not silently read from the start
        name = unknown[0][:40]  # enough to recognise it; the whole name, up to the URL limit, is the client's own
        raise errors.InvalidInput(
            f"unknown query parameter {name!r}: this resource takes after, limit and wait",
            code="unknownField",
            target=name,
        )
    if after is not None:
        parse_cursor(after)  # a malformed cursor is a 422 before anything waits or streams
    if _wants_stream(request):
        start = after
        if last_event_id:
            parse_cursor(last_event_id, target="Last-Event-ID")
            start = last_event_id
        keepalive = float(getattr(request.app.state, "stream_keepalive", KEEPALIVE_SECONDS))
        return StreamingResponse(
            _stream(request, service, office, start, keepalive),
            media_type=EVENT_STREAM,
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    found = await (
        _held(request, service, office, after, limit, wait)
        if wait > 0
        else _page(request, service, office, after, limit)
    )
    return NotificationsOut.of(found)
