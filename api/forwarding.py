"""A read worker's hand-over to the gateway's owner process (``prioreg serve --workers N``, issue 18).

A gateway with N workers is one **owner** process — the only one holding the chain (the embedded
chain, or the sending side of ``--rpc-url``), the office keys, the nonces and the index writer —
and N − 1 **read workers** on the same listening socket, each reading the same WAL index
(docs/api.md#one-writer-per-state-directory: the lock is shared by a gateway's own workers). A
worker answers what the index alone answers — verification above all, the public reads, the
page — and hands everything else to the owner over a Unix socket in its own private directory:

* requests it is not allowed to answer (:func:`answers_locally` is False: every write, every
  office endpoint, the requests between gateways), and
* requests it began to answer but that turned out to need the chain (the route raised
  :class:`~registry.errors.OwnerNeeded`, whose answer carries :data:`api.errors.OWNER_NEEDED_HEADER`;
  the body is kept to be sent again, and that answer is dropped unseen).

The middleware sits inside the rate limit, the media-type checks and the body guard, so a worker
refuses what it would refuse alone, and the owner gets only bounded, checked requests; the owner
does not count them against the rate limit again (:mod:`api.ratelimit`). The answer — status,
headers, body, streamed as it comes (server-sent events too) — goes back as is. When the owner
cannot be reached the caller gets 503 ``LEDGER_UNAVAILABLE`` with ``Retry-After``: nothing was
written.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import OWNER_NEEDED_HEADER, envelope

__all__ = ["LOCAL_POSTS", "ForwardToOwner", "answers_locally"]

log = logging.getLogger("prioreg.api")

#: The POST routes a read worker answers itself: they read the index and write nothing.
#: A package check reads the node's logs: on a node the worker does it; on the embedded chain it is handed on.
LOCAL_POSTS = frozenset({"/v1/priority-claims/verify", "/v1/documents/verify", "/v1/priority-documents/verify"})
#: GET routes that need an office key, the file store or another gateway: the owner's.
_OWNER_PREFIXES = ("/v1/reports/", "/v1/notifications")
_OWNER_SUFFIXES = ("/reports", "/accesses")
#: Not passed on either way (RFC 9110 §7.6.1: connection-specific; lengths are the transport's own).
_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
_OWNER_NEEDED = OWNER_NEEDED_HEADER.encode("latin-1")


def answers_locally(method: str, path: str) -> bool:
    """Whether a read worker answers ``method path`` from the index alone (else the owner does)."""
    if method in ("GET", "HEAD"):
        return not (path.startswith(_OWNER_PREFIXES) or path.endswith(_OWNER_SUFFIXES))
    return method == "POST" and path in LOCAL_POSTS


class ForwardToOwner:
    """ASGI middleware of a read worker: answer locally what the index answers, hand on the rest."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        socket_path: str,
        local: Callable[[str, str], bool] = answers_locally,
    ) -> None:
        self.app = app
        self.socket_path = socket_path
        self.local = local
        self._client: httpx.AsyncClient | None = None
        self._pid = str(os.getpid()).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":

            async def closing(message: Message) -> None:
                if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                    await self.aclose()  # the connections to the owner go with the server
                await send(message)

            await self.app(scope, receive, closing)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if not self.local(scope["method"], scope["path"]):
            await self._forward(scope, body, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:  # the body was read already: what follows is the client going away
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        handed_over = False

        async def answer(message: Message) -> None:
            nonlocal handed_over
            if message["type"] == "http.response.start":
                handed_over = any(name.lower() == _OWNER_NEEDED for name, _ in message.get("headers", ()))
            if not handed_over:
                await send(message)

        await self.app(scope, replay, answer)
        if handed_over:
            await self._forward(scope, body, receive, send)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # No read timeout: a write of 10,000 filings, a long-poll and a stream all take their time,
            # and the owner answers each; connecting to a socket on this machine takes no time at all.
            # No cap on connections either: httpx's 100 let a hundred open streams hold up, for as long as
            # they stayed open, every request this worker handed on; the owner answers as many as its
            # listening socket takes from clients directly.
            unbounded = httpx.Limits(max_connections=None, max_keepalive_connections=20)
            self._client = httpx.AsyncClient(
                transport=httpx.AsyncHTTPTransport(uds=self.socket_path, limits=unbounded),
                base_url="http://owner",
                timeout=httpx.Timeout(None, connect=5.0),
                follow_redirects=False,
            )
        return self._client

    async def _forward(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        query = scope.get("query_string", b"")
        url = path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() not in _HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"x-prioreg-worker", self._pid))
        client = self._http()
        try:
            request = client.build_request(scope["method"], url, headers=headers, content=body)
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            log.warning("owner process unreachable at %s: %s", self.socket_path, exc)
            message = "the gateway's owner process cannot be reached just now; nothing was written"
            answer = envelope(503, "LEDGER_UNAVAILABLE", message, headers={"Retry-After": "1"})
            await answer(scope, _no_body, send)
            return
        try:
            out = [(k, v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await send({"type": "http.response.start", "status": response.status_code, "headers": out})
            await _relay(response, receive, send)
        finally:
            await response.aclose()  # a relay the client left closes its connection: the owner sees it go

    async def aclose(self) -> None:
        """Close the connections to the owner (at shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None


async def _relay(response: httpx.Response, receive: Receive, send: Send) -> None:
    """The owner's answer, on to the client as it comes, until it ends or the client goes away.

    A stream of notifications never ends by itself, and a send to a client that has gone is dropped
    without a word (uvicorn): so the client's ``http.disconnect`` is watched beside each read, and
    the relay stops at once. Left running, it kept its connection to the owner, and the owner's
    stream its index reads, until the gateway stopped.
    """
    left = asyncio.ensure_future(_disconnect(receive))
    chunks = response.aiter_raw()
    pending: asyncio.Future[bytes] | None = None
    try:
        while True:
            pending = asyncio.ensure_future(anext(chunks))
            await asyncio.wait((pending, left), return_when=asyncio.FIRST_COMPLETED)
            if left.done():
                return
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        left.cancel()
        if pending is not None:
            pending.cancel()


async def _disconnect(receive: Receive) -> None:
    """Returns when the client has gone (the request body was read already)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def _read_body(receive: Receive) -> bytes:
    """The whole request body (bounded already by :class:`api.limits.BodyGuard`, which runs first)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}
