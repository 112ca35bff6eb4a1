"""``GET /v1/health``: is the ledger reachable, and how far has the index read it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import HealthOut
from registry.errors import LedgerError
from registry.service import RegistryService

router = APIRouter(tags=["health"])


def _health(service: RegistryService) -> HealthOut:
    indexed = service.index.last_block()
    try:
        chain_id, block = service.chain.chain_id, service.chain.block_number()
    except LedgerError:
        return HealthOut(
            status="degraded", chain_id=None, block_number=None, contract=service.contract, indexed_block=indexed
        )
    lagging = indexed is None or block - indexed > 64
    return HealthOut(
        status="degraded" if lagging else "ok",
        chain_id=chain_id,
        block_number=block,
        contract=service.contract,
        indexed_block=indexed,
    )


@router.get("/v1/health", response_model=HealthOut, summary="Ledger and index status", operation_id="getHealth")
async def health(service: Service, response: Response) -> HealthOut:
    """``ok`` when the node answers and the index is within 64 blocks of its head."""
    response.headers["Cache-Control"] = "no-store"
    return await run_in_threadpool(_health, service)


@router.head(
    "/v1/health",
    summary="Ledger and index status, headers only",
    operation_id="headHealth",
    responses={
        200: {
            "description": "The gateway answers; X-Health-Status is the status GET would show.",
            "content": {"application/json": {}},
        }
    },
)
async def health_head(service: Service) -> Response:
    """What a load balancer's probe asks: 200 while the gateway answers, with no body to read."""
    found = await run_in_threadpool(_health, service)
    # The headers GET would send (RFC 9110 §9.3.2), its Content-Length included, without the body.
    length = str(len(found.model_dump_json(by_alias=True).encode()))
    headers = {"Cache-Control": "no-store", "X-Health-Status": found.status, "Content-Length": length}
    return Response(status_code=200, media_type="application/json", headers=headers)
