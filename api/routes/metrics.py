"""``GET /metrics``: the gateway's Prometheus metrics (:mod:`api.observability`).

Not part of the OpenAPI contract (an operations endpoint, in Prometheus's text format); a reverse
proxy that faces the internet keeps it to the monitoring network (docs/operations.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from api.observability import GatewayMetrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Requests, latencies, chain head, index lag, anchoring and gateway-call counters."""
    registry: GatewayMetrics = request.app.state.metrics
    # The scrape asks the node for its head: a web3 call, so off the event loop.
    body = await run_in_threadpool(registry.render)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
