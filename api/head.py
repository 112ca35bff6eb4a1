"""``HEAD`` of every ``GET`` resource (RFC 9110 §9.3.2): the status and headers ``GET`` would send, no body.

FastAPI routes a ``HEAD`` only to an operation declared for it (``GET /v1/health`` has its own), so every other
resource answered ``HEAD`` with 405. :class:`HeadAsGet` hands such a request to the app as a ``GET`` and sends on
only the head of the answer, ``Content-Length`` and ``ETag`` included (it sits outside :mod:`api.caching`, which
computes the tag from the body): a probe or a cache learns what a ``GET`` would bring without reading it. A path
that a route takes ``HEAD`` for itself (health, the static files) and one that no ``GET`` serves are left alone.

Once the head is sent the answer is over: a stream behind it (the notification stream) is told that the client is
gone, as it would be when a client disconnects, and its further parts are dropped.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HeadAsGet"]


class HeadAsGet:
    """ASGI middleware answering ``HEAD`` for every ``GET`` route of ``routes`` (module docstring)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    def _as_get(self, scope: Scope) -> Scope | None:
        """The ``GET`` scope to serve this ``HEAD`` with, or None when a route takes the ``HEAD`` itself or none
        serves a ``GET`` there."""
        if any(route.matches(scope)[0] is Match.FULL for route in self.routes):
            return None
        get = {**scope, "method": "GET"}
        return get if any(route.matches(get)[0] is Match.FULL for route in self.routes) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        get = self._as_get(scope) if scope["type"] == "http" and scope["method"] == "HEAD" else None
        if get is None:
            await self.app(scope, receive, send)
            return
        ended = False

        async def head_only(message: Message) -> None:
            nonlocal ended
            if ended:
                return  # the body GET would send
            await send(message)
            if message["type"] == "http.response.start":
                ended = True
                await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def gone_once_answered() -> Message:
            if ended:
                return {"type": "http.disconnect"}
            return await receive()

        await self.app(get, gone_once_answered, head_only)
