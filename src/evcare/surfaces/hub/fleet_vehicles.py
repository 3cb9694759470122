"""HUB.md "Organizations, fleets, clients": ``/v1/fleet/vehicles``, a fleet's vehicles on
the one vehicle table, with their charging sessions and service history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import Field

from evcare.charging.sessions.records import SessionView, energy_wh, public_session_id
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep
from evcare.fleet import access
from evcare.fleet import vehicles as fleet
from evcare.fleet.vehicles import FleetVehicle, PlanInput
from evcare.service.bookings.views import BookingView
from evcare.surfaces.hub.fleet_access import FleetRead, FleetWrite, fleet_write
from evcare.surfaces.hub.schemas import (
    HubModel,
    Paged,
    PaginationOut,
    StrictHubModel,
    VehicleIdPath,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import VehicleModelId
from evcare.vehicles import service as vehicle_rules

router = APIRouter(prefix="/fleet/vehicles", tags=["fleet"], route_class=IdempotentRoute)

Make = Annotated[str, Field(min_length=1, max_length=60)]
ModelName = Annotated[str, Field(min_length=1, max_length=80)]
Year = Annotated[int, Field(ge=vehicle_rules.MIN_YEAR, le=2100, description="up to next year")]
Battery = Annotated[
    Decimal,
    Field(
        ge=vehicle_rules.MIN_BATTERY_KWH,
        le=vehicle_rules.MAX_BATTERY_KWH,
        decimal_places=2,
        description="kWh",
    ),
]
Registration = Annotated[
    str, Field(min_length=4, max_length=24, pattern=vehicle_rules.REGISTRATION_INPUT)
]
Vin = Annotated[str, Field(pattern=vehicle_rules.VIN_INPUT)]
Color = Annotated[str, Field(min_length=1, max_length=30)]
Km = Annotated[int, Field(ge=0, le=fleet.MAX_KM)]


class ServicePlan(StrictHubModel):
    every_km: Annotated[int, Field(ge=1, le=fleet.MAX_PLAN_KM)] | None = None
    every_months: Annotated[int, Field(ge=1, le=fleet.MAX_PLAN_MONTHS)] | None = None

    def plan(self) -> PlanInput:
        return PlanInput(self.every_km, self.every_months)


class ServicePlanOut(HubModel):
    every_km: int | None
    every_months: int | None
    source: str  # vehicle | fleet


class VehicleIn(StrictHubModel):
    registration_number: Registration
    year: Year
    make: Make | None = None
    model: ModelName | None = None
    vehicle_model_id: VehicleModelId | None = None
    battery_capacity_kwh: Battery | None = None
    vin: Vin | None = None
    color: Color | None = None
    odometer_km: Km | None = None
    service_plan: ServicePlan | None = None


class VehiclePatch(StrictHubModel):
    registration_number: Registration | None = None
    year: Year | None = None
    make: Make | None = None
    model: ModelName | None = None
    vehicle_model_id: VehicleModelId | None = None
    battery_capacity_kwh: Battery | None = None
    vin: Vin | None = None
    color: Color | None = None
    odometer_km: Km | None = None
    service_plan: ServicePlan | None = None


class OdometerOut(HubModel):
    reading_km: int | None
    recorded_at: datetime | None
    estimated_km: int


class EnergyOut(HubModel):
    sessions: int
    energy_kwh: float


class VehicleOut(HubModel):
    id: str
    registration_number: str
    make: str
    model: str
    year: int
    battery_capacity_kwh: float | None
    vin: str | None
    color: str | None
    driver_ids: list[str]
    service_plan: ServicePlanOut | None
    odometer: OdometerOut
    charging: EnergyOut
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, found: FleetVehicle) -> VehicleOut:
        vehicle, plan, odometer = found.vehicle, found.plan, found.odometer
        battery = vehicle.battery_capacity_kwh
        return cls(
            id=fleet.public_id(vehicle.id),
            registration_number=vehicle.registration_number,
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.year,
            battery_capacity_kwh=None if battery is None else float(battery),
            vin=vehicle.vin,
            color=vehicle.color,
            driver_ids=found.driver_ids,
            service_plan=None
            if plan is None
            else ServicePlanOut(
                every_km=plan.every_km, every_months=plan.every_months, source=plan.source
            ),
            odometer=OdometerOut(
                reading_km=odometer.reading_km,
                recorded_at=odometer.recorded_at,
                estimated_km=odometer.estimated_km,
            ),
            charging=EnergyOut(
                sessions=odometer.sessions, energy_kwh=round(odometer.energy_wh / 1000, 3)
            ),
            created_at=vehicle.created_at,
            updated_at=vehicle.updated_at,
        )


class AmountOut(HubModel):
    amount: int  # minor units
    currency: str


class SessionOut(HubModel):
    id: str
    charger_id: str
    connector_id: int
    user_id: str | None
    status: str
    started_at: datetime
    ended_at: datetime | None
    energy_kwh: float | None
    cost: AmountOut | None
    payment_status: str

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        row = view.row
        energy = energy_wh(row)
        return cls(
            id=public_session_id(row.id),
            charger_id=view.charge_point_id,
            connector_id=row.connector_id,
            user_id=None if row.user_id is None else str(row.user_id),
            status=row.status,
            started_at=row.started_at,
            ended_at=row.ended_at,
            energy_kwh=None if energy is None else round(energy / 1000, 3),
            cost=None
            if row.cost_minor is None
            else AmountOut(amount=row.cost_minor, currency=row.currency),
            payment_status=row.payment_status,
        )


class ServiceLineOut(HubModel):
    service_id: str
    name: str
    quantity: int
    decision: str


class ServiceRecordOut(HubModel):
    id: str
    workshop_id: str
    status: str
    service_date: date
    services: list[ServiceLineOut]
    total: AmountOut
    payment_status: str
    created_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, view: BookingView) -> ServiceRecordOut:
        booking = view.booking
        return cls(
            id=str(booking.id),
            workshop_id=booking.workshop_id,
            status=booking.status,
            service_date=booking.service_date,
            services=[
                ServiceLineOut(
                    service_id=str(line.item.service_id),
                    name=line.item.service_name,
                    quantity=line.item.quantity,
                    decision=line.item.decision,
                )
                for line in view.lines
            ],
            total=AmountOut(amount=view.total.amount_minor, currency=view.total.currency),
            payment_status=view.payment_status,
            created_at=booking.created_at,
            completed_at=booking.completed_at,
            cancelled_at=booking.cancelled_at,
        )


def _paged(page: Page[Any], items: list[Any]) -> dict[str, Any]:
    return {"data": items, "pagination": PaginationOut.of(page)}


_FIELDS = ("registration_number", "year", "make", "model", "battery_capacity_kwh", "vin", "color")


@router.get("", operation_id="hub_list_fleet_vehicles")
async def list_vehicles(
    principal: FleetRead, session: SessionDep, page: Pagination
) -> Paged[VehicleOut]:
    organization_id = await access.fleet_of(session, principal)
    found = await fleet.list_vehicles(session, organization_id, page)
    return Paged(**_paged(found, [VehicleOut.of(item) for item in found.items]))


@router.post(
    "",
    status_code=201,
    operation_id="hub_create_fleet_vehicle",
    dependencies=[idempotent(fleet_write)],
)
async def create_vehicle(body: VehicleIn, principal: FleetWrite, session: SessionDep) -> VehicleOut:
    organization_id = await access.fleet_of(session, principal)
    fields = {name: getattr(body, name) for name in _FIELDS}
    fields["vehicle_model_id"] = body.vehicle_model_id
    found = await fleet.add_vehicle(
        session,
        organization_id,
        fields=fields,
        odometer_km=body.odometer_km,
        plan=None if body.service_plan is None else body.service_plan.plan(),
    )
    return VehicleOut.of(found)


@router.get("/{vehicleId}", operation_id="hub_get_fleet_vehicle")
async def get_vehicle(
    vehicle_id: VehicleIdPath, principal: FleetRead, session: SessionDep
) -> VehicleOut:
    organization_id = await access.fleet_of(session, principal)
    return VehicleOut.of(await fleet.get_vehicle(session, organization_id, vehicle_id))


@router.patch("/{vehicleId}", operation_id="hub_update_fleet_vehicle")
async def update_vehicle(
    vehicle_id: VehicleIdPath, body: VehiclePatch, principal: FleetWrite, session: SessionDep
) -> VehicleOut:
    organization_id = await access.fleet_of(session, principal)
    sent = body.model_fields_set
    changes = {name: getattr(body, name) for name in _FIELDS if name in sent}
    # Required columns cannot be cleared; optional ones (battery, vin, color) may be.
    for required in ("registration_number", "year", "make", "model"):
        if changes.get(required, "") is None:
            del changes[required]
    found = await fleet.update_vehicle(
        session,
        organization_id,
        vehicle_id,
        changes=changes,
        vehicle_model_id=body.vehicle_model_id,
        odometer_km=body.odometer_km,
        plan=None if body.service_plan is None else body.service_plan.plan(),
    )
    return VehicleOut.of(found)


@router.delete("/{vehicleId}", status_code=204, operation_id="hub_delete_fleet_vehicle")
async def delete_vehicle(
    vehicle_id: VehicleIdPath, principal: FleetWrite, session: SessionDep
) -> Response:
    organization_id = await access.fleet_of(session, principal)
    await fleet.delete_vehicle(session, organization_id, vehicle_id)
    return Response(status_code=204)


@router.get("/{vehicleId}/sessions", operation_id="hub_list_fleet_vehicle_sessions")
async def vehicle_sessions(
    vehicle_id: VehicleIdPath, principal: FleetRead, session: SessionDep, page: Pagination
) -> Paged[SessionOut]:
    organization_id = await access.fleet_of(session, principal)
    found = await fleet.vehicle_sessions(session, organization_id, vehicle_id, page)
    return Paged(**_paged(found, [SessionOut.of(view) for view in found.items]))


@router.get("/{vehicleId}/service-history", operation_id="hub_fleet_vehicle_service_history")
async def service_history(
    vehicle_id: VehicleIdPath, principal: FleetRead, session: SessionDep, page: Pagination
) -> Paged[ServiceRecordOut]:
    organization_id = await access.fleet_of(session, principal)
    found = await fleet.service_history(session, organization_id, vehicle_id, page)
    return Paged(**_paged(found, [ServiceRecordOut.of(view) for view in found.items]))
