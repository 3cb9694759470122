"""Hub basics: health and "who am I" for a partner's token."""

from __future__ import annotations

from fastapi import APIRouter

from evcare import __version__
from evcare.core.transactions import TransactionalRoute
from evcare.surfaces.deps import Authenticated
from evcare.surfaces.hub.schemas import HubModel

router = APIRouter(tags=["system"], route_class=TransactionalRoute)


class HealthOut(HubModel):
    status: str
    version: str


class IdentityOut(HubModel):
    user_id: str
    role: str
    scopes: list[str]


@router.get("/health", operation_id="hub_health")
async def health() -> HealthOut:
    return HealthOut(status="ok", version=__version__)


@router.get("/me", operation_id="hub_identity")
async def identity(principal: Authenticated) -> IdentityOut:
    return IdentityOut(
        user_id=str(principal.user_id), role=principal.role, scopes=sorted(principal.scopes)
    )
