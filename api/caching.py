"""HTTP caching of what the ledger says: ETag, Cache-Control and 304 (RFC 9110 §8.8.3, §13.1.2;
RFC 9111 §5.2; issue 19, item 3).

What is immutable here is what the ledger wrote once and never rewrites: **one version of a
record** (``GET /v1/applications/{commitment}/versions/{version}``). A new version is a new
entry, never a change to an old one, so that answer is cacheable for a year
(``public, max-age=31536000, immutable``) — on a chain with final blocks, as the embedded chain,
anvil and a QBFT network have (docs/operations.md on confirmations). Everything else grows as the
chain does: a record gains versions, claims and its published number; a family gains members and
so its picture changes; the directory changes with governance. Those answers carry an ETag and
``Cache-Control: no-cache``: a client may keep them but asks again each time, and gets a bodiless
304 while nothing changed.

The ETag is a strong validator over the exact bytes of the answer (SHA-256, first 128 bits): two
answers with one ETag are the same bytes, whichever gateway or index rebuild produced them. A GET
or HEAD with ``If-None-Match`` naming it (or ``*``) is answered 304 with the same ETag and
Cache-Control. Only 200 answers of the routes in :data:`POLICIES` are touched; their bodies are a
few kilobytes, held once to hash.
"""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["IMMUTABLE", "POLICIES", "REVALIDATE", "Caching", "etag_matches"]

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

#: Route template → Cache-Control of its 200 answers.
POLICIES: dict[str, str] = {
    "/v1/applications/{commitment}/versions/{version}": IMMUTABLE,
    "/v1/applications/{commitment}": REVALIDATE,
    "/v1/applications/{commitment}/priority-claims": REVALIDATE,
    "/v1/families/{commitment}": REVALIDATE,
    "/v1/families/{commitment}.svg": REVALIDATE,
    "/v1/offices": REVALIDATE,
}


def etag_matches(header: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``etag`` (weak comparison, RFC 9110 §13.1.2)."""
    wanted = etag.removeprefix("W/")
    for item in header.split(","):
        item = item.strip()
        if item == "*" or item.removeprefix("W/") == wanted:
            return True
    return False


class Caching:
    """ASGI middleware adding ETag and Cache-Control to the answers of :data:`POLICIES`, and 304."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []
        policy: str | None = None

        async def caching_send(message: Message) -> None:
            nonlocal start, policy
            if message["type"] == "http.response.start":
                template = getattr(scope.get("route"), "path", None)
                policy = POLICIES.get(template) if message["status"] == 200 and isinstance(template, str) else None
                if policy is None:
                    await send(message)
                else:
                    start = message
                return
            if policy is None or start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await self._answer(scope, start, b"".join(chunks), policy, send)

        await self.app(scope, receive, caching_send)

    @staticmethod
    async def _answer(scope: Scope, start: Message, body: bytes, policy: str, send: Send) -> None:
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = [(k, v) for k, v in start.get("headers", ()) if k.lower() not in (b"etag", b"cache-control")]
        headers += [(b"etag", etag.encode()), (b"cache-control", policy.encode())]
        condition = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"if-none-match"), None)
        if condition is not None and etag_matches(condition, etag):
            kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
