"""A fleet's vehicles: the one vehicle table's rows of the organization, with their
drivers, service plan, odometer and energy facts, sessions and service history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.sessions import control as sessions
from evcare.charging.sessions.records import SessionView
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.ids import format_public_id
from evcare.core.pagination import Page, PageParams
from evcare.fleet import events, maintenance_due, repository
from evcare.fleet.maintenance_due import Plan, effective_plan
from evcare.fleet.odometer import Odometer, odometers
from evcare.service.bookings import views as bookings
from evcare.service.bookings.views import BookingView
from evcare.vehicles import service as vehicles
from evcare.vehicles.fleet_models import VehicleServicePlan
from evcare.vehicles.models import Vehicle

MAX_KM = 10_000_000
MAX_PLAN_KM = 1_000_000
MAX_PLAN_MONTHS = 120


@dataclass(frozen=True)
class FleetVehicle:
    vehicle: Vehicle
    driver_ids: list[str]  # acc_... of the assigned drivers
    plan: Plan | None
    odometer: Odometer


@dataclass(frozen=True)
class PlanInput:
    """A service plan as sent: ``None`` values clear it."""

    every_km: int | None
    every_months: int | None


def public_id(vehicle_id: int) -> str:
    return format_public_id("VEH", vehicle_id)


async def _described(
    session: AsyncSession, organization_id: str, rows: list[Vehicle]
) -> list[FleetVehicle]:
    ids = [row.id for row in rows]
    drivers = await repository.drivers_of(session, ids)
    plans = await repository.plans_of(session, ids)
    settings = await repository.get_settings(session, organization_id)
    facts = await odometers(session, ids)
    return [
        FleetVehicle(
            row, drivers.get(row.id, []), effective_plan(plans.get(row.id), settings), facts[row.id]
        )
        for row in rows
    ]


async def list_vehicles(
    session: AsyncSession, organization_id: str, params: PageParams
) -> Page[FleetVehicle]:
    page = await vehicles.list_fleet_vehicles(
        session, organization_id=organization_id, params=params
    )
    items = await _described(session, organization_id, page.items)
    return Page(items=items, total=page.total, params=params)


async def get_vehicle(session: AsyncSession, organization_id: str, vehicle_id: int) -> FleetVehicle:
    row = await vehicles.get_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    (found,) = await _described(session, organization_id, [row])
    return found


def document(found: FleetVehicle) -> dict[str, Any]:
    """What a webhook event carries about a vehicle (the API's fields, in short)."""
    vehicle = found.vehicle
    return {
        "id": public_id(vehicle.id),
        "registrationNumber": vehicle.registration_number,
        "make": vehicle.make,
        "model": vehicle.model,
        "year": vehicle.year,
        "driverIds": found.driver_ids,
        "odometerKm": found.odometer.reading_km,
        "estimatedKm": found.odometer.estimated_km,
    }


async def add_vehicle(
    session: AsyncSession,
    organization_id: str,
    *,
    fields: dict[str, Any],
    odometer_km: int | None,
    plan: PlanInput | None,
) -> FleetVehicle:
    """Add a vehicle to the fleet (owned by the organization, no user), its first
    odometer reading and own service plan when given."""
    check_plan(plan)
    _check_km(odometer_km)
    row = await vehicles.add_fleet_vehicle(session, organization_id=organization_id, **fields)
    await _record(session, row, odometer_km=odometer_km, plan=plan)
    found = await get_vehicle(session, organization_id, row.id)
    await _announce(session, organization_id, "created", found)
    return found


async def update_vehicle(
    session: AsyncSession,
    organization_id: str,
    vehicle_id: int,
    *,
    changes: dict[str, Any],
    vehicle_model_id: int | None,
    odometer_km: int | None,
    plan: PlanInput | None,
) -> FleetVehicle:
    """Change a fleet vehicle; an odometer value is a new reading (never below the
    newest one); ``plan`` replaces its own service plan."""
    check_plan(plan)
    _check_km(odometer_km)
    row = await vehicles.update_fleet_vehicle(
        session,
        organization_id=organization_id,
        vehicle_id=vehicle_id,
        changes=changes,
        vehicle_model_id=vehicle_model_id,
    )
    if odometer_km is not None:
        newest = (await repository.latest_readings(session, [row.id])).get(row.id)
        if newest is not None and odometer_km < newest.km:
            problem = FieldError("odometerKm", f"must not be below the last reading, {newest.km}")
            raise ValidationFailed(f"{problem.field}: {problem.message}", fields=[problem])
    await _record(session, row, odometer_km=odometer_km, plan=plan)
    found = await get_vehicle(session, organization_id, row.id)
    await _announce(session, organization_id, "updated", found)
    return found


async def delete_vehicle(session: AsyncSession, organization_id: str, vehicle_id: int) -> None:
    found = await get_vehicle(session, organization_id, vehicle_id)
    await vehicles.delete_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    await _announce(session, organization_id, "deleted", found)


async def vehicle_sessions(
    session: AsyncSession, organization_id: str, vehicle_id: int, params: PageParams
) -> Page[SessionView]:
    """The EV-CMS charging sessions of the fleet's vehicle, newest first."""
    await vehicles.get_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    return await sessions.sessions_of_vehicle(session, params, vehicle_id=vehicle_id)


async def service_history(
    session: AsyncSession, organization_id: str, vehicle_id: int, params: PageParams
) -> Page[BookingView]:
    """The RevCare service bookings of the fleet's vehicle, newest first."""
    await vehicles.get_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    return await bookings.list_vehicle_bookings(session, params, vehicle_id=vehicle_id)


async def _record(
    session: AsyncSession, row: Vehicle, *, odometer_km: int | None, plan: PlanInput | None
) -> None:
    if odometer_km is not None:
        await repository.add_reading(session, vehicle_id=row.id, km=odometer_km, at=utcnow())
    if plan is not None:
        own = await repository.get_plan(session, row.id)
        if own is None:
            own = VehicleServicePlan(vehicle_id=row.id)
            session.add(own)
        own.every_km, own.every_months = plan.every_km, plan.every_months
        await session.flush()
    if odometer_km is not None or plan is not None:
        await maintenance_due.check_vehicle(session, row)


async def _announce(
    session: AsyncSession, organization_id: str, change: str, found: FleetVehicle
) -> None:
    await events.announce(
        session,
        events.VEHICLE_TOPICS[change],
        organization_id=organization_id,
        resource_id=public_id(found.vehicle.id),
        resource=document(found),
    )


def _check_km(km: int | None) -> None:
    if km is not None and not 0 <= km <= MAX_KM:
        problem = FieldError("odometerKm", f"must be 0..{MAX_KM}")
        raise ValidationFailed(f"{problem.field}: {problem.message}", fields=[problem])


def check_plan(plan: PlanInput | None) -> None:
    problems = []
    if plan is not None and plan.every_km is not None and not 1 <= plan.every_km <= MAX_PLAN_KM:
        problems.append(FieldError("servicePlan.everyKm", f"must be 1..{MAX_PLAN_KM}"))
    if (
        plan is not None
        and plan.every_months is not None
        and not 1 <= plan.every_months <= MAX_PLAN_MONTHS
    ):
        problems.append(FieldError("servicePlan.everyMonths", f"must be 1..{MAX_PLAN_MONTHS}"))
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), fields=problems
        )
