"""The FastAPI application: ``create_app`` builds it around one :class:`RegistryService`.

The service is built once, before the app (by ``prioreg serve`` from its state directory, or by a
test); the lifespan brings the index up to date, moves everything alive at that point out of the
cyclic garbage collector's sight (:func:`gc.freeze`), keeps the index current in a background
thread while serving, and closes the ledger on shutdown. Web3 calls and SQLite work run in the
thread pool, not on the event loop; verification alone, a few indexed reads, runs on the loop
itself (see :mod:`api.routes.verification`).
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.auth import TokenStore
from api.caching import Caching
from api.docs import install_docs
from api.errors import install_error_handlers
from api.forwarding import ForwardToOwner
from api.head import HeadAsGet
from api.limits import MAX_BODY_BYTES, BodyGuard, BodyLimits
from api.negotiation import Negotiation, RouteTable
from api.observability import GatewayMetrics, Observability
from api.openapi import install_openapi, operation_id
from api.ratelimit import DEFAULT_PER_MINUTE, RateLimit, TokenBuckets
from api.routes import (
    applications,
    documents,
    families,
    filings,
    health,
    metrics,
    notifications,
    offices,
    packages,
    page,
    publications,
    reports,
    verification,
    versions,
)
from registry import __version__
from registry.errors import RegistryError
from registry.service import RegistryService

__all__ = ["MAX_BODY_BYTES", "create_app"]

log = logging.getLogger("prioreg.api")

SYNC_INTERVAL = 0.5


class _IndexFollower:
    """Keeps the index at the chain head while the server runs."""

    def __init__(self, service: RegistryService, interval: float) -> None:
        self.service = service
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.service.sync()
            except RegistryError as exc:  # the node may be down for a while; health says so
                log.warning("index sync failed: %s", exc.message)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def create_app(
    service: RegistryService,
    tokens: TokenStore,
    *,
    follow_index: bool = True,
    on_shutdown: Callable[[], None] | None = None,
    body_limits: BodyLimits | None = None,
    rate_limit: int = DEFAULT_PER_MINUTE,
    stream_keepalive: float = 15.0,
    owner_socket: str | None = None,
) -> FastAPI:
    """The API over ``service``, authenticating offices with ``tokens``; request bodies are bounded
    by ``body_limits`` (default: 16 MB, 65 MB for the package endpoints, and the JSON limits of
    :mod:`registry.domain.bounded_json`) before any route sees them; each caller may send ``rate_limit``
    requests a minute (0: no limit, :mod:`api.ratelimit`). With ``owner_socket`` the app is a read
    worker of ``prioreg serve --workers N``: what the index alone cannot answer goes to the owner
    process listening there (:mod:`api.forwarding`). A notification stream writes a comment line
    after ``stream_keepalive`` quiet seconds (docs/api.md#notifications)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.sync()
        # The embedded chain keeps every block in this process: a full collection walks that whole
        # object graph, 100-200 ms in which no request is answered, and under load the requests in
        # flight promote enough young objects to set one off about every half second (bench: p99
        # 93 ms). What exists now lives as long as the server: the collector need not walk it again.
        gc.collect()
        gc.freeze()
        follower = _IndexFollower(service, SYNC_INTERVAL) if follow_index else None
        if follower:
            follower.start()
        try:
            yield
        finally:
            if follower:
                follower.stop()
            gc.unfreeze()  # what the server held may be garbage now (an app per test, say)
            if on_shutdown:
                on_shutdown()

    app = FastAPI(
        title="Priority registry",
        version=__version__,
        summary="A distributed register of IP application numbers and priority claims (WIPO R12/R15).",
        description=(
            "Offices anchor filings as hashed commitments; examiners verify priority claims; anyone sees "
            "families before publication. Errors use one envelope (WIPO DAS style). Names follow WIPO ST.90.\n\n"
            "Bodies are bounded before any work: over 16 MB (65 MB for priority-document packages) is 413 "
            "PAYLOAD_TOO_LARGE; a body that stops arriving for 5 s (or comes slower than 1 KiB/s) is 408 "
            "REQUEST_TIMEOUT; JSON deeper than 32 levels, with more than 10,000 items in one array or object, "
            "more than 1,000,000 values, a string over 1 MiB or a key over 256 characters is 422 with the detail "
            "code tooDeep, tooManyItems, tooManyValues, stringTooLong, keyTooLong, numberOutOfRange or jsonInvalid. "
            "Anchoring refuses weakAccessCode (an office-chosen code with fewer than 8 distinct symbols, 5 identical "
            "or 6 consecutive symbols in a row) and notAPlausibleDate (before 1883-03-20, after the latest block's "
            "day + 1, or a claim after its filing); a batch with an application already anchored is 409 "
            "alreadyAnchored naming filings[i]."
        ),
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        # FastAPI's own pages load Swagger UI and ReDoc from CDNs: api/docs.py serves them from here.
        docs_url=None,
        redoc_url=None,
    )
    install_openapi(app)
    app.state.service = service
    app.state.tokens = tokens
    app.state.stream_keepalive = stream_keepalive
    app.state.metrics = GatewayMetrics(service)
    install_error_handlers(app)

    # Starlette runs the middleware added last first. From the outside in: the request id and the
    # access log see every answer, 413s and 429s included; the rate limit, then the media types
    # (406, 415) refuse before a body is read; the body is bounded before any route or parser sees
    # it (docs/design.md#p10-no-request-can-take-the-gateway-down); a HEAD is served as its GET (api.head).
    app.add_middleware(Caching)  # ETag, Cache-Control and 304 on what the ledger says
    if owner_socket is not None:  # a read worker: outside Caching, so the owner's answers pass as they are
        app.add_middleware(ForwardToOwner, socket_path=owner_socket)
    # HEAD of every GET resource: outside Caching, whose ETag comes from the body this drops.
    app.add_middleware(HeadAsGet, routes=app.router.routes)
    app.add_middleware(BodyGuard, limits=body_limits or BodyLimits())
    routes = RouteTable(app.router.routes)
    app.add_middleware(Negotiation, table=routes)  # 406 / 415 before the body is read
    if rate_limit:
        app.add_middleware(RateLimit, buckets=TokenBuckets(rate_limit), tokens=lambda: app.state.tokens)
    app.add_middleware(Observability, metrics=app.state.metrics, routes=routes)

    # The routers are tried in order, and a verification (the examiner's call, the one served at
    # scale) was matched against every route of the five routers before it: first, it costs ~5 % less
    # CPU a request (258 -> 246 us, whole app in process, tests/api's service).
    for module in (
        verification,
        offices,
        filings,
        applications,
        versions,
        families,
        publications,
        documents,
        packages,
        notifications,
        reports,
        health,
        metrics,
    ):
        app.include_router(module.router)
    # The examiner's page and its script and style: served here, so the page needs no other host.
    app.include_router(page.router)
    install_docs(app)  # before /static: its /static/docs mount must match first
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
