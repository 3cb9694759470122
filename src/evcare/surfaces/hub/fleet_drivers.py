"""HUB.md "Organizations, fleets, clients": ``/v1/fleet/drivers``, the organization's
DRIVER accounts and the fleet vehicles each may drive (and charge on EV-CMS)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Response
from pydantic import EmailStr, Field

from evcare.core.ids import format_public_id
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.fleet import access
from evcare.fleet import drivers as fleet
from evcare.fleet.drivers import Driver
from evcare.surfaces.deps import CredentialsDep
from evcare.surfaces.hub.fleet_access import FleetRead, FleetWrite, fleet_write
from evcare.surfaces.hub.schemas import (
    DriverIdPath,
    HubModel,
    Paged,
    PaginationOut,
    StrictHubModel,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import VehicleRef

router = APIRouter(prefix="/fleet/drivers", tags=["fleet"], route_class=IdempotentRoute)

Name = Annotated[str, Field(min_length=1, max_length=200)]
VehicleIds = Annotated[list[VehicleRef], Field(max_length=100)]


class DriverIn(StrictHubModel):
    email: EmailStr
    name: Name
    vehicle_ids: VehicleIds = []


class DriverPatch(StrictHubModel):
    name: Name | None = None


class AssignmentIn(StrictHubModel):
    vehicle_ids: VehicleIds


class DriverOut(HubModel):
    id: str
    user_id: str
    email: str
    name: str
    status: str
    vehicle_ids: list[str]
    created_at: datetime

    @classmethod
    def of(cls, driver: Driver) -> DriverOut:
        member, user = driver.account
        return cls(
            id=member.id,
            user_id=str(user.id),
            email=user.email,
            name=user.name,
            status=user.status,
            vehicle_ids=[format_public_id("VEH", v) for v in driver.vehicle_ids],
            created_at=member.created_at,
        )


@router.get("", operation_id="hub_list_fleet_drivers")
async def list_drivers(
    principal: FleetRead, session: SessionDep, page: Pagination
) -> Paged[DriverOut]:
    organization_id = await access.fleet_of(session, principal)
    found = await fleet.list_drivers(session, organization_id, page)
    return Paged(
        data=[DriverOut.of(driver) for driver in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.post(
    "",
    status_code=201,
    operation_id="hub_create_fleet_driver",
    dependencies=[idempotent(fleet_write)],
)
async def create_driver(
    body: DriverIn, principal: FleetWrite, session: SessionDep, credentials: CredentialsDep
) -> DriverOut:
    organization_id = await access.fleet_of(session, principal)
    driver = await fleet.add_driver(
        session,
        credentials,
        organization_id,
        email=body.email,
        name=body.name,
        vehicle_ids=body.vehicle_ids,
    )
    return DriverOut.of(driver)


@router.get("/{driverId}", operation_id="hub_get_fleet_driver")
async def get_driver(
    driver_id: DriverIdPath, principal: FleetRead, session: SessionDep
) -> DriverOut:
    organization_id = await access.fleet_of(session, principal)
    return DriverOut.of(await fleet.get_driver(session, organization_id, driver_id))


@router.patch("/{driverId}", operation_id="hub_update_fleet_driver")
async def update_driver(
    driver_id: DriverIdPath, body: DriverPatch, principal: FleetWrite, session: SessionDep
) -> DriverOut:
    organization_id = await access.fleet_of(session, principal)
    return DriverOut.of(
        await fleet.rename_driver(session, organization_id, driver_id, name=body.name)
    )


@router.delete("/{driverId}", status_code=204, operation_id="hub_delete_fleet_driver")
async def delete_driver(
    driver_id: DriverIdPath, principal: FleetWrite, session: SessionDep
) -> Response:
    organization_id = await access.fleet_of(session, principal)
    await fleet.remove_driver(session, organization_id, driver_id)
    return Response(status_code=204)


@router.put("/{driverId}/vehicles", operation_id="hub_assign_fleet_driver_vehicles")
async def assign_vehicles(
    driver_id: DriverIdPath, body: AssignmentIn, principal: FleetWrite, session: SessionDep
) -> DriverOut:
    organization_id = await access.fleet_of(session, principal)
    driver = await fleet.assign_vehicles(session, organization_id, driver_id, body.vehicle_ids)
    return DriverOut.of(driver)
