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

from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import TokenStore
from api.errors import envelope, install_error_handlers
from api.routes import (
    applications,
    documents,
    families,
    filings,
    health,
    offices,
    page,
    publications,
    verification,
)
from registry import __version__
from registry.errors import RegistryError
from registry.service import RegistryService

__all__ = ["MAX_BODY_BYTES", "create_app"]

log = logging.getLogger("prioreg.api")

#: A batch of 10,000 filings with claims is a few MB of JSON; anything far larger is refused unread.
MAX_BODY_BYTES = 16 * 1024 * 1024
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


def _too_large(limit: int) -> Response:
    return envelope(413, "PAYLOAD_TOO_LARGE", f"the body is larger than {limit // 2**20} MB")


class _BodyTooLarge(Exception):
    """Raised into the app by the guarded ``receive`` once the body passes the limit."""


class _BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, however it travels.

    A declared ``Content-Length`` over the limit is refused before anything is read. A chunked body
    (no ``Content-Length``) is counted as it is read, and reading stops at the limit: whatever the
    route makes of the interrupted read (a parse error, an unreadable upload), the client gets the
    413, provided no answer has started yet.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _too_large(self.limit)(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def guarded_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a cut-off body is replaced by the 413 below
            started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, guarded_send)
        except Exception:
            if not exceeded or started:
                raise
        if exceeded and not started:
            await _too_large(self.limit)(scope, receive, send)


def create_app(
    service: RegistryService,
    tokens: TokenStore,
    *,
    follow_index: bool = True,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """The API over ``service``, authenticating offices with ``tokens``."""

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
            "families before publication. Errors use one envelope (WIPO DAS style). Names follow WIPO ST.90."
        ),
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.tokens = tokens
    install_error_handlers(app)

    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES)

    for module in (offices, filings, applications, verification, families, publications, documents, health):
        app.include_router(module.router)
    # The examiner's page and its script and style: served here, so the page needs no other host.
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
