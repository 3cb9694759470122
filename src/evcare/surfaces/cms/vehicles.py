"""EV-CMS section 2, Vehicle Management (``/api/v1/profile/vehicles``).

The caller's own vehicles only; another user's vehicle id answers 404. The charging
history and statistics of a vehicle (``/:vehicleId/history``, ``/:vehicleId/stats``)
belong to this router too and join it with the charging sessions.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces import ids
from evcare.surfaces.cms.schemas import CamelModel, Done, Envelope, StrictCamelModel
from evcare.surfaces.deps import Authenticator
from evcare.vehicles import service as vehicles
from evcare.vehicles.models import Vehicle
from evcare.vehicles.repository import VehicleSummary

router = APIRouter(prefix="/profile/vehicles", tags=["vehicles"], route_class=TransactionalRoute)

VehiclesRead = Annotated[Principal, Depends(Authenticator(Scope.READ_VEHICLES))]
VehiclesWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_VEHICLES))]
VehicleId = Annotated[ids.VehicleId, Path(alias="vehicleId")]

Make = Annotated[str, Field(min_length=1, max_length=60)]
ModelName = Annotated[str, Field(min_length=1, max_length=80)]
Year = Annotated[int, Field(ge=vehicles.MIN_YEAR, le=2100, description="up to next year")]
BatteryCapacity = Annotated[
    Decimal,
    Field(
        ge=vehicles.MIN_BATTERY_KWH,
        le=vehicles.MAX_BATTERY_KWH,
        decimal_places=2,
        description="kWh",
    ),
]
Registration = Annotated[
    str, Field(min_length=4, max_length=24, pattern=vehicles.REGISTRATION_INPUT)
]


class VehicleOut(CamelModel):
    id: str
    make: str
    model: str
    year: int
    battery_capacity: float | None
    registration_number: str
    is_default: bool
    created_at: datetime

    @classmethod
    def of(cls, vehicle: Vehicle | VehicleSummary) -> VehicleOut:
        battery = vehicle.battery_capacity_kwh
        return cls(
            id=str(vehicle.id),
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.year,
            battery_capacity=None if battery is None else float(battery),
            registration_number=vehicle.registration_number,
            is_default=vehicle.is_default,
            created_at=vehicle.created_at,
        )


class VehicleIn(StrictCamelModel):
    make: Make
    model: ModelName
    year: Year
    battery_capacity: BatteryCapacity
    registration_number: Registration


class VehicleUpdate(StrictCamelModel):
    make: Make | None = None
    model: ModelName | None = None
    battery_capacity: BatteryCapacity | None = None
    year: Year | None = None
    registration_number: Registration | None = None


class VehicleBody(CamelModel):
    vehicle: VehicleOut


class VehiclesBody(CamelModel):
    vehicles: list[VehicleOut]


@router.get("", operation_id="cms_list_vehicles")
@router.get("/", include_in_schema=False)
async def list_vehicles(principal: VehiclesRead, session: SessionDep) -> Envelope[VehiclesBody]:
    rows = await vehicles.list_vehicle_summaries(session, principal)
    return Envelope(data=VehiclesBody(vehicles=[VehicleOut.of(row) for row in rows]))


@router.post("", status_code=201, operation_id="cms_add_vehicle")
@router.post("/", status_code=201, include_in_schema=False)
async def add_vehicle(
    body: VehicleIn, principal: VehiclesWrite, session: SessionDep
) -> Envelope[VehicleBody]:
    vehicle = await vehicles.add_vehicle(
        session,
        principal,
        make=body.make,
        model=body.model,
        year=body.year,
        battery_capacity_kwh=body.battery_capacity,
        registration_number=body.registration_number,
    )
    return Envelope(message="Vehicle added", data=VehicleBody(vehicle=VehicleOut.of(vehicle)))


@router.get("/{vehicleId}", operation_id="cms_get_vehicle")
async def get_vehicle(
    vehicle_id: VehicleId, principal: VehiclesRead, session: SessionDep
) -> Envelope[VehicleBody]:
    vehicle = await vehicles.get_owned_vehicle(session, principal, vehicle_id=vehicle_id)
    return Envelope(data=VehicleBody(vehicle=VehicleOut.of(vehicle)))


@router.put("/{vehicleId}", operation_id="cms_update_vehicle")
async def update_vehicle(
    vehicle_id: VehicleId, body: VehicleUpdate, principal: VehiclesWrite, session: SessionDep
) -> Envelope[VehicleBody]:
    vehicle = await vehicles.update_vehicle(
        session,
        principal,
        vehicle_id=vehicle_id,
        make=body.make,
        model=body.model,
        year=body.year,
        battery_capacity_kwh=body.battery_capacity,
        registration_number=body.registration_number,
    )
    return Envelope(message="Vehicle updated", data=VehicleBody(vehicle=VehicleOut.of(vehicle)))


@router.delete("/{vehicleId}", operation_id="cms_delete_vehicle")
async def delete_vehicle(
    vehicle_id: VehicleId, principal: VehiclesWrite, session: SessionDep
) -> Envelope[Done]:
    await vehicles.delete_vehicle(session, principal, vehicle_id=vehicle_id)
    return Envelope(message="Vehicle deleted", data=Done())


@router.patch("/{vehicleId}/set-default", operation_id="cms_set_default_vehicle")
async def set_default_vehicle(
    vehicle_id: VehicleId, principal: VehiclesWrite, session: SessionDep
) -> Envelope[VehicleBody]:
    vehicle = await vehicles.set_default_vehicle(session, principal, vehicle_id=vehicle_id)
    return Envelope(
        message="Default vehicle updated", data=VehicleBody(vehicle=VehicleOut.of(vehicle))
    )
