"""RevCare cart and favourites: ``/customers/cart/{service_id}`` and
``/customers/favourite/{service_id}`` (adding twice keeps one entry), plus reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from evcare.core.db import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import catalogue
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.revcare.schemas import Message
from evcare.surfaces.revcare.services import ServiceOut

router = APIRouter(prefix="/customers", tags=["customers"], route_class=TransactionalRoute)

Shopper = Annotated[Principal, Depends(Authenticator(Scope.SHOP_SERVICES))]


@router.get("/cart", operation_id="revcare_get_cart")
async def get_cart(principal: Shopper, session: SessionDep) -> list[ServiceOut]:
    return [ServiceOut.of(view) for view in await catalogue.cart(session, principal)]


@router.post("/cart/{service_id}", operation_id="revcare_add_to_cart")
async def add_to_cart(service_id: int, principal: Shopper, session: SessionDep) -> Message:
    await catalogue.add_to_cart(session, principal, service_id=service_id)
    return Message(message="Service added to cart")


@router.delete("/cart/{service_id}", operation_id="revcare_remove_from_cart")
async def remove_from_cart(service_id: int, principal: Shopper, session: SessionDep) -> Message:
    await catalogue.remove_from_cart(session, principal, service_id=service_id)
    return Message(message="Service removed from cart")


@router.get("/favourite", operation_id="revcare_get_favourites")
async def get_favourites(principal: Shopper, session: SessionDep) -> list[ServiceOut]:
    return [ServiceOut.of(view) for view in await catalogue.favourites(session, principal)]


@router.post("/favourite/{service_id}", operation_id="revcare_add_favourite")
async def add_favourite(service_id: int, principal: Shopper, session: SessionDep) -> Message:
    await catalogue.add_favourite(session, principal, service_id=service_id)
    return Message(message="Service added to favourites")


@router.delete("/favourite/{service_id}", operation_id="revcare_remove_favourite")
async def remove_favourite(service_id: int, principal: Shopper, session: SessionDep) -> Message:
    await catalogue.remove_favourite(session, principal, service_id=service_id)
    return Message(message="Service removed from favourites")
