"""RevCare cart and favourites: ``/customers/cart/{service_id}`` and
``/customers/favourite/{service_id}`` (adding twice keeps one entry), plus reads.

Both lists behave the same, so one set of handlers serves each of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import catalogue
from evcare.service.catalogue import SavedList
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import ServiceId
from evcare.surfaces.revcare.schemas import Message
from evcare.surfaces.revcare.services import ServiceOut

router = APIRouter(prefix="/customers", tags=["customers"], route_class=TransactionalRoute)

Shopper = Annotated[Principal, Depends(Authenticator(Scope.SHOP_SERVICES))]


def _add_list_routes(path: str, into: SavedList) -> None:
    noun = into.value

    @router.get(f"/{path}", operation_id=f"revcare_list_{path}")
    async def list_saved(principal: Shopper, session: SessionDep) -> list[ServiceOut]:
        views = await catalogue.saved_services(session, principal, into=into)
        return [ServiceOut.of(view) for view in views]

    @router.post(f"/{path}/{{service_id}}", operation_id=f"revcare_add_to_{path}")
    async def add(service_id: ServiceId, principal: Shopper, session: SessionDep) -> Message:
        await catalogue.save_service(session, principal, into=into, service_id=service_id)
        return Message(message=f"Service added to {noun}")

    @router.delete(f"/{path}/{{service_id}}", operation_id=f"revcare_remove_from_{path}")
    async def remove(service_id: ServiceId, principal: Shopper, session: SessionDep) -> Message:
        await catalogue.unsave_service(session, principal, into=into, service_id=service_id)
        return Message(message=f"Service removed from {noun}")


_add_list_routes("cart", SavedList.CART)
_add_list_routes("favourite", SavedList.FAVOURITES)
