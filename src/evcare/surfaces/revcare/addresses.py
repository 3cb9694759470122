"""RevCare addresses: ``/address/`` CRUD over one's own addresses (others' are 404), and
``/address/area`` serviceable areas (public list; admins create, update, delete)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import places
from evcare.service.models import ServiceArea
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import AddressId, AreaId
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel
from evcare.surfaces.revcare.visitor import Visitor

router = APIRouter(prefix="/address", tags=["address"], route_class=TransactionalRoute)

AddressOwner = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_ADDRESSES))]
AreasWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_SERVICES))]

Pincode = Annotated[str, Field(pattern=r"^[1-9][0-9]{5}$", description="6-digit PIN code")]
Line = Annotated[str, Field(max_length=200)]
Place = Annotated[str, Field(min_length=1, max_length=100)]


class AddressIn(RevIn):
    label: str = Field(default="home", min_length=1, max_length=50)
    line1: Annotated[str, Field(min_length=1, max_length=200)]
    line2: Line = ""
    landmark: Line = ""
    city: Place
    state: Place
    pincode: Pincode
    is_default: bool = False


class AddressUpdate(RevIn):
    label: str | None = Field(default=None, min_length=1, max_length=50)
    line1: str | None = Field(default=None, min_length=1, max_length=200)
    line2: Line | None = None
    landmark: Line | None = None
    city: Place | None = None
    state: Place | None = None
    pincode: Pincode | None = None
    is_default: bool | None = None


class AddressOut(RevModel):
    id: int
    label: str
    line1: str
    line2: str
    landmark: str
    city: str
    state: str
    pincode: str
    is_default: bool
    serviceable: bool
    created_at: datetime

    @classmethod
    def of(cls, view: places.AddressView) -> AddressOut:
        a = view.address
        return cls(
            id=a.id,
            label=a.label,
            line1=a.line1,
            line2=a.line2,
            landmark=a.landmark,
            city=a.city,
            state=a.state,
            pincode=a.pincode,
            is_default=a.is_default,
            serviceable=view.serviceable,
            created_at=a.created_at,
        )


class AreaIn(RevIn):
    name: Place
    city: Place
    pincode: Pincode
    is_active: bool = True


class AreaUpdate(RevIn):
    name: Place | None = None
    city: Place | None = None
    pincode: Pincode | None = None
    is_active: bool | None = None


class AreaOut(RevModel):
    id: int
    name: str
    city: str
    pincode: str
    is_active: bool

    @classmethod
    def of(cls, area: ServiceArea) -> AreaOut:
        return cls.model_validate(area)


# -- serviceable areas (fixed path first, before /{address_id}) ----------------------------


@router.get("/area", operation_id="revcare_list_service_areas")
async def list_areas(
    session: SessionDep,
    visitor: Visitor,
    page: Pagination,
    city: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> list[AreaOut]:
    areas = await places.list_areas(session, visitor, page, city=city)
    return [AreaOut.of(area) for area in areas]


@router.post("/area", status_code=201, operation_id="revcare_create_service_area")
async def create_area(body: AreaIn, principal: AreasWrite, session: SessionDep) -> AreaOut:
    return AreaOut.of(await places.create_area(session, principal, **body.model_dump()))


@router.put("/area/{area_id}", operation_id="revcare_update_service_area")
async def update_area(
    area_id: AreaId, body: AreaUpdate, principal: AreasWrite, session: SessionDep
) -> AreaOut:
    area = await places.update_area(
        session, principal, area_id=area_id, changes=body.model_dump(exclude_none=True)
    )
    return AreaOut.of(area)


@router.delete("/area/{area_id}", operation_id="revcare_delete_service_area")
async def delete_area(area_id: AreaId, principal: AreasWrite, session: SessionDep) -> Message:
    await places.delete_area(session, principal, area_id=area_id)
    return Message(message="Service area deleted")


# -- one's own addresses -------------------------------------------------------------------


@router.get("/", operation_id="revcare_list_addresses")
async def list_addresses(principal: AddressOwner, session: SessionDep) -> list[AddressOut]:
    return [AddressOut.of(view) for view in await places.list_addresses(session, principal)]


@router.post("/", status_code=201, operation_id="revcare_create_address")
async def create_address(
    body: AddressIn, principal: AddressOwner, session: SessionDep
) -> AddressOut:
    return AddressOut.of(await places.create_address(session, principal, fields=body.model_dump()))


@router.get("/{address_id}", operation_id="revcare_get_address")
async def get_address(
    address_id: AddressId, principal: AddressOwner, session: SessionDep
) -> AddressOut:
    return AddressOut.of(await places.get_address(session, principal, address_id=address_id))


@router.put("/{address_id}", operation_id="revcare_update_address")
async def update_address(
    address_id: AddressId, body: AddressUpdate, principal: AddressOwner, session: SessionDep
) -> AddressOut:
    view = await places.update_address(
        session, principal, address_id=address_id, changes=body.model_dump(exclude_none=True)
    )
    return AddressOut.of(view)


@router.delete("/{address_id}", operation_id="revcare_delete_address")
async def delete_address(
    address_id: AddressId, principal: AddressOwner, session: SessionDep
) -> Message:
    await places.delete_address(session, principal, address_id=address_id)
    return Message(message="Address deleted")
