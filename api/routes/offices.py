"""``GET /v1/offices``: the office directory as the index holds it."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.schemas import OfficeOut

router = APIRouter(prefix="/v1/offices", tags=["offices"])


@router.get(
    "", response_model=list[OfficeOut], summary="The admitted offices and their keys", operation_id="listOffices"
)
async def list_offices(service: Service) -> list[OfficeOut]:
    """Every office of the directory: its ST.3 code, its current signing key, whether it may write."""
    offices = await run_in_threadpool(service.index.offices)
    return [OfficeOut.of(o) for o in offices]
