"""A rate limit per caller, in this process (issue 19, item 3; docs/api.md#errors: 429 ``TOO_MANY_REQUESTS``).

Who the caller is: the office of a valid bearer token; a request without one (verification, the
public reads) or with a token that is not valid counts for its client IP address. (Gateway calls,
signed by an office's key, will count for the signing office.) Each caller has a token bucket
holding up to ``per_minute`` requests and refilled at ``per_minute / 60`` a second: a burst of a
minute's allowance, then a steady rate. An empty bucket answers 429 with ``Retry-After``, the
whole seconds until one request is allowed again. ``prioreg serve --rate-limit N`` sets
``per_minute`` (default 600); 0 turns the limit off.

Only the API is limited (paths under ``/v1/``), health checks excepted: a load balancer probing
``/v1/health`` or Prometheus scraping ``/metrics`` must not lock out the callers behind the same
address. The check is a dictionary lookup and a few float operations on the event loop, no lock
(one event loop thread touches the buckets); buckets that have refilled completely are dropped once
there are more than :data:`MAX_BUCKETS`, so a scan from many addresses cannot grow memory without
bound. Behind a reverse proxy, run uvicorn with ``--proxy-headers`` so that the client address is
the caller's, not the proxy's (docs/operations.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.auth import TokenStore
from api.errors import envelope

__all__ = ["DEFAULT_PER_MINUTE", "MAX_BUCKETS", "RateLimit", "TokenBuckets"]

DEFAULT_PER_MINUTE = 600
MAX_BUCKETS = 100_000
_EXEMPT = frozenset({"/v1/health"})


class TokenBuckets:
    """One token bucket per key; :meth:`take` answers 0 (allowed) or the seconds to wait."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute <= 0:
            raise ValueError("a rate limit is a positive number of requests a minute")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key → (tokens, when counted)

    def take(self, key: str) -> float:
        """Spend one request of ``key``: 0.0 when allowed, else the seconds until one is."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._prune(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Forget callers whose bucket is full again: they are where a new caller starts."""
        full = self.capacity / self.rate
        for key in [k for k, (_t, then) in self._buckets.items() if now - then >= full]:
            del self._buckets[key]

    def __len__(self) -> int:
        return len(self._buckets)


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return (token.strip() or None) if scheme.lower() == "bearer" else None
    return None


class RateLimit:
    """ASGI middleware applying :class:`TokenBuckets` to the API (module docstring)."""

    def __init__(self, app: ASGIApp, buckets: TokenBuckets, tokens: Callable[[], TokenStore]) -> None:
        self.app = app
        self.buckets = buckets
        self.tokens = tokens

    def caller(self, scope: Scope) -> str:
        """The bucket a request counts against: ``office:JP`` or ``ip:192.0.2.1``."""
        token = _bearer(scope)
        if token is not None:
            office = self.tokens().office_for(token)
            if office is not None:
                return "office:" + office
        client = scope.get("client")
        return "ip:" + (client[0] if client else "unknown")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith("/v1/") or path in _EXEMPT or _from_own_worker(scope):
            await self.app(scope, receive, send)
            return
        wait = self.buckets.take(self.caller(scope))
        if not wait:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        message = f"too many requests from this caller; try again in {seconds} s"
        detail = {"code": "rateLimited", "message": message}
        await envelope(429, "TOO_MANY_REQUESTS", message, [detail], headers={"Retry-After": str(seconds)})(
            scope, receive, send
        )


def _from_own_worker(scope: Scope) -> bool:
    """A request handed on by one of this gateway's read workers (:mod:`api.forwarding`), which counted it.

    It arrives on the owner's Unix socket (``server`` is ``(path, None)``), which only the gateway's
    own processes can reach; counted again here, every caller behind a worker would share one bucket.
    """
    server = scope.get("server")
    return server is not None and server[1] is None
