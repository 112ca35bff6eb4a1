"""Content negotiation (issue 19, item 3; docs/api.md#errors ``NOT_ACCEPTABLE`` 406, ``UNSUPPORTED_MEDIA_TYPE`` 415).

What each operation produces and consumes is read from the routes themselves, once: a route
whose ``response_class`` is an HTML response produces ``text/html``; one that declares other
content for its 200 answer (the family picture: ``image/svg+xml``) produces that; every other
operation produces ``application/json``. An operation that declares JSON and other content for its 200
answer (an application as a WIPO ST.96 ``PriorityClaimBag``, ``application/xml``; the notifications'
``text/event-stream``, declared beside a JSON model) produces each, JSON by
default. An operation with a body consumes ``application/json``,
and what its OpenAPI ``requestBody`` also declares (``multipart/form-data`` on
``/v1/documents/verify``); one whose body is only declared by hand, with no model parameter,
consumes exactly what it declares (the report upload: ``multipart/form-data``).

- **406** when the request's ``Accept`` names no media range that covers what the operation
  produces (RFC 9110 §12.5.1: ``type/subtype``, ``type/*``, ``*/*``; a range with ``q=0`` refuses).
  No ``Accept`` at all accepts anything. So a JSON operation takes ``application/json``,
  ``application/*`` and ``*/*``, and refuses ``application/xml`` rather than answer JSON to a
  client that said it cannot read it.
- **415** when a request carries a body whose ``Content-Type`` the operation does not consume. A
  body without a ``Content-Type`` is read as JSON, as FastAPI always has.

Errors are JSON envelopes whatever ``Accept`` said: a client that cannot read the envelope still
gets the status code. Routes that are not API operations (``/openapi.json``, ``/docs``, static
files, ``/metrics``) are left alone. The check runs before the body is read; a route is found by
the router's own matching, with a dictionary in front for paths without parameters (the
verification endpoint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.errors import envelope

__all__ = ["JSON", "Negotiation", "OperationMedia", "RouteTable", "accepts", "media_of"]

JSON = "application/json"
_MAX_CACHED = 1_024


@dataclass(frozen=True)
class OperationMedia:
    """What one operation produces and consumes."""

    produces: str
    consumes: frozenset[str]
    has_body: bool
    #: Every media type the operation answers in, ``produces`` (the default) first.
    alternatives: tuple[str, ...] = ()


def media_of(route: APIRoute) -> OperationMedia:
    """Read an operation's media types from its declaration (module docstring)."""
    produces = JSON
    alternatives: tuple[str, ...] = (JSON,)
    if isinstance(route.response_class, type) and issubclass(route.response_class, HTMLResponse):
        produces = "text/html"
        alternatives = (produces,)
    else:
        declared = (route.responses.get(200) or route.responses.get("200") or {}).get("content") or {}
        if declared and JSON not in declared and route.response_model is None:
            produces = next(iter(declared))
        # A route that declares JSON and more (an application as ST.96 XML) answers in each.
        alternatives = (produces, *(m for m in declared if m != produces))
    body = ((route.openapi_extra or {}).get("requestBody") or {}).get("content") or {}
    # A body declared by hand alone (no model parameter) is exactly what it declares: the report upload takes
    # multipart only; otherwise JSON and what the declaration adds.
    consumes = set(body) if body and route.body_field is None else {JSON, *body}
    return OperationMedia(produces, frozenset(consumes), route.body_field is not None or bool(body), alternatives)


def accepts(header: str, produced: str) -> bool:
    """Whether an ``Accept`` header value covers the media type ``produced``.

    An operation that produces ``*/*`` answers a file as it was uploaded (a report,
    docs/api.md#work-sharing-in-the-family): its type is not known before the file is found, so any range that
    does not refuse (``q=0``) is taken.
    """
    kind = produced.split("/", 1)[0]
    for item in header.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        media = media.lower()
        if not media:
            continue
        refused = False
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    refused = float(value) <= 0
                except ValueError:
                    refused = False
        if refused:
            continue
        if produced == "*/*" or media in ("*/*", produced, f"{kind}/*"):
            return True
    return False


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope["headers"]:
        if name == wanted:
            text: str = value.decode("latin-1")
            return text
    return None


class RouteTable:
    """The app's API operations by method and path, read from its routes at the first request
    (routes are all included by then), with a dictionary in front for paths without parameters."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        self.routes = routes
        self._table: list[tuple[re.Pattern[str], frozenset[str], str, OperationMedia]] | None = None
        self._static: dict[tuple[str, str], tuple[str, OperationMedia] | None] = {}

    def _build(self) -> list[tuple[re.Pattern[str], frozenset[str], str, OperationMedia]]:
        table = []
        # FastAPI's own walk over included routers (what its OpenAPI generation uses).
        for context in iter_route_contexts(self.routes):
            route = context.original_route
            # Only the API's operations: the docs pages and /metrics (not in the schema) are left alone.
            if isinstance(route, APIRoute) and route.include_in_schema and context.path_format:
                pattern = compile_path(context.path_format)[0]
                table.append((pattern, frozenset(route.methods or ()), context.path_format, media_of(route)))
        return table

    def find(self, method: str, path: str) -> tuple[str, OperationMedia] | None:
        """The route template and media of the operation serving ``method path``, or None; a ``HEAD`` that no
        operation declares is its ``GET`` (:mod:`api.head` serves it so)."""
        key = (method, path)
        if key in self._static:
            return self._static[key]
        if self._table is None:
            self._table = self._build()
        found = None
        for pattern, methods, template, media in self._table:
            if method in methods and pattern.match(path):
                found = (template, media)
                break
        if found is None and method == "HEAD":
            return self.find("GET", path)
        if found is not None and "{" not in found[0] and len(self._static) < _MAX_CACHED:
            self._static[key] = found
        return found


class Negotiation:
    """ASGI middleware answering 406 and 415 for the API's operations (module docstring)."""

    def __init__(self, app: ASGIApp, table: RouteTable) -> None:
        self.app = app
        self.table = table

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        found = self.table.find(scope["method"], scope["path"])
        if found is not None:
            media = found[1]
            accept = _header(scope, b"accept")
            offered = media.alternatives or (media.produces,)
            if accept is not None and accept.strip() and not any(accepts(accept, m) for m in offered):
                message = f"this resource is only available as {' or '.join(offered)}"
                detail = {"code": "notAcceptable", "message": message, "target": "Accept"}
                await envelope(406, "NOT_ACCEPTABLE", message, [detail])(scope, receive, send)
                return
            content_type = _header(scope, b"content-type")
            if media.has_body and content_type is not None and content_type.strip():
                given = content_type.partition(";")[0].strip().lower()
                if given not in media.consumes:
                    wanted = " or ".join(sorted(media.consumes))
                    message = f"send the body as {wanted}, not {given}"
                    detail = {"code": "unsupportedMediaType", "message": message, "target": "Content-Type"}
                    await envelope(415, "UNSUPPORTED_MEDIA_TYPE", message, [detail])(scope, receive, send)
                    return
        await self.app(scope, receive, send)
