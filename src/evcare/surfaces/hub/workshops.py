"""HUB.md "Organizations, fleets, clients": ``GET /v1/workshops``, the workshops
(organizations of kind ``workshop``) and the services each offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import workshops
from evcare.service.models import Service
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.hub.schemas import HubModel, Paged, PaginationOut

router = APIRouter(tags=["workshops"], route_class=TransactionalRoute)

ServicesRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SERVICES))]


class WorkshopServiceOut(HubModel):
    id: str
    name: str
    description: str
    category_id: str
    # Minor units of ``currency`` (paise for INR), as every hub amount.
    price: int
    currency: str
    duration_minutes: int

    @classmethod
    def of(cls, service: Service) -> WorkshopServiceOut:
        return cls(
            id=str(service.id),
            name=service.name,
            description=service.description,
            category_id=str(service.category_id),
            price=service.price_minor,
            currency=service.currency,
            duration_minutes=service.duration_minutes,
        )


class WorkshopOut(HubModel):
    id: str
    name: str
    kind: str
    email: str | None
    phone: str | None
    address: str | None
    services: list[WorkshopServiceOut]
    created_at: datetime

    @classmethod
    def of(cls, workshop: workshops.Workshop) -> WorkshopOut:
        organization = workshop.organization
        return cls(
            id=organization.id,
            name=organization.name,
            kind=organization.kind,
            email=organization.email,
            phone=organization.phone,
            address=organization.address,
            services=[WorkshopServiceOut.of(service) for service in workshop.services],
            created_at=organization.created_at,
        )


def paged_workshops(page: Page[workshops.Workshop]) -> Paged[WorkshopOut]:
    return Paged(
        data=[WorkshopOut.of(workshop) for workshop in page.items],
        pagination=PaginationOut.of(page),  # type: ignore[arg-type]
    )


@router.get("/workshops", operation_id="hub_list_workshops")
async def list_workshops(
    principal: ServicesRead, session: SessionDep, page: Pagination
) -> Paged[WorkshopOut]:
    """Every active workshop, by name, with the services it offers."""
    return paged_workshops(await workshops.list_workshops(session, page))
