"""``GET /v1/families/{commitment}``: simple (DOCDB) and extended (INPADOC) family, with the links
that join them — visible before publication, which is the point of WIPO R15.

``GET /v1/families/{commitment}.svg`` draws the same answer (:mod:`registry.domain.family_svg`). It is declared
first: ``/{commitment}`` would otherwise take ``0x….svg`` as a commitment and refuse it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from api.routes.applications import CommitmentPath, OfficeQuery, commitment_from_path
from api.schemas import ErrorEnvelope, FamilyOut
from registry.domain.family_svg import family_svg
from registry.domain.types import Commitment
from registry.service import RegistryService
from registry.service.family_view import family_view

router = APIRouter(prefix="/v1/families", tags=["families"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorEnvelope, "description": "Nothing is anchored or claimed under this commitment."},
    422: {"model": ErrorEnvelope, "description": "Not a commitment."},
}
SVG_MEDIA_TYPE = "image/svg+xml"


def _family(service: RegistryService, commitment: Commitment, office: str | None = None) -> FamilyOut:
    return family_view(service.index, commitment, office)


def _family_picture(service: RegistryService, commitment: Commitment, office: str | None = None) -> str:
    # Drawn from the JSON body itself, so the picture and the answer can never disagree.
    return family_svg(_family(service, commitment, office).body())


@router.get(
    "/{commitment}.svg",
    response_class=Response,
    responses={200: {"content": {SVG_MEDIA_TYPE: {}}, "description": "The family as an SVG picture."}, **_ERRORS},
    summary="The family of an application, as a picture",
    operation_id="getFamilyPicture",
)
async def get_family_svg(commitment: CommitmentPath, service: Service, ip_office_code: OfficeQuery = None) -> Response:
    """Members as boxes layered left to right by filing date, an arrow for each priority link."""
    key = commitment_from_path(commitment)
    # Laying out a family is CPU work: keep it off the event loop like the index reads.
    svg = await run_in_threadpool(_family_picture, service, key, ip_office_code)
    return Response(svg, media_type=SVG_MEDIA_TYPE)


@router.get(
    "/{commitment}",
    response_model=FamilyOut,
    responses=_ERRORS,
    summary="The family of an application",
    operation_id="getFamily",
)
async def get_family(commitment: CommitmentPath, service: Service, ip_office_code: OfficeQuery = None) -> FamilyOut:
    """Members linked by priority claims, earliest first, and why each link joins them."""
    key = commitment_from_path(commitment)
    return await run_in_threadpool(_family, service, key, ip_office_code)
