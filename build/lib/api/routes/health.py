"""``GET /v1/health``: is the ledger reachable, and how far has the index read it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import HealthOut
from registry.errors import LedgerError
from registry.service import RegistryService

router = APIRouter(tags=["health"])


def _health(service: RegistryService) -> dict[str, object]:
    indexed = service.index.last_block()
    try:
        chain_id, block = service.chain.chain_id, service.chain.block_number()
    except LedgerError:
        return {
            "status": "degraded",
            "chainId": None,
            "blockNumber": None,
            "contract": service.contract,
            "indexedBlock": indexed,
        }
    lagging = indexed is None or block - indexed > 64
    return {
        "status": "degraded" if lagging else "ok",
        "chainId": chain_id,
        "blockNumber": block,
        "contract": service.contract,
        "indexedBlock": indexed,
    }


@router.get("/v1/health", response_model=HealthOut, summary="Ledger and index status")
async def health(service: Service) -> JSONResponse:
    """``ok`` when the node answers and the index is within 64 blocks of its head."""
    return JSONResponse(await run_in_threadpool(_health, service))
