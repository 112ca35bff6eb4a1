"""The FastAPI application: ``create_app`` builds it around one :class:`RegistryService`.

The lifespan opens the deployment once (or takes the one given, for tests), keeps the index
current in a background thread while serving, and closes the ledger on shutdown. Blocking web3
and SQLite calls run in the thread pool, never on the event loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

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
        follower = _IndexFollower(service, SYNC_INTERVAL) if follow_index else None
        if follower:
            follower.start()
        try:
            yield
        finally:
            if follower:
                follower.stop()
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

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return envelope(413, "PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES // 2**20} MB")
        return await call_next(request)

    for module in (offices, filings, applications, verification, families, publications, documents, health):
        app.include_router(module.router)
    # The examiner's page and its script and style: served here, so the page needs no other host.
    app.include_router(page.router)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    return app
