"""Maintenance due: a fleet vehicle's service plan (every N km and/or every N months, the
vehicle's own or its fleet's) raises ``vehicle.maintenance_due`` once per due point.

- Distance: due at every multiple of N km of the odometer the platform knows
  (:mod:`evcare.fleet.odometer`: the newest reading, plus the estimate from the energy
  charged since). Multiples at or below the first reading the platform had are behind
  the vehicle already and are not raised; a jump over several raises the highest.
- Time: due N months after the vehicle's last completed service booking (or, without
  one, after it joined the fleet).

Checked whenever what it reads changes: an odometer reading, a plan change, and a
charging session of the vehicle completing (the ``session-stopped`` event); and hourly for
months plans (:mod:`evcare.fleet.jobs`). Each due
point is written once (``maintenance_due``, unique per vehicle), with a webhook event
for the organization and a notice to each of its fleet managers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events as charging
from evcare.core.clock import as_utc, utcnow
from evcare.core.errors import NotFound
from evcare.core.events import OutboxEvent, publish, subscribe
from evcare.core.ids import format_public_id, parse_key
from evcare.fleet import events, repository
from evcare.fleet.access import MANAGING_ROLES
from evcare.fleet.odometer import odometers
from evcare.vehicles import service as vehicles
from evcare.vehicles.fleet_models import FleetSettings, MaintenanceDue, VehicleServicePlan
from evcare.vehicles.models import Vehicle


@dataclass(frozen=True)
class Plan:
    every_km: int | None
    every_months: int | None
    source: str  # "vehicle" | "fleet"


def effective_plan(
    vehicle_plan: VehicleServicePlan | None, settings: FleetSettings | None
) -> Plan | None:
    """The vehicle's own plan, else its fleet's; None when neither says anything."""
    if vehicle_plan is not None and (vehicle_plan.every_km or vehicle_plan.every_months):
        return Plan(vehicle_plan.every_km, vehicle_plan.every_months, "vehicle")
    if settings is not None and (settings.service_every_km or settings.service_every_months):
        return Plan(settings.service_every_km, settings.service_every_months, "fleet")
    return None


def add_months(day: date, months: int) -> date:
    """``day`` + ``months`` calendar months, the day clamped to the month's last."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


async def check_vehicle(session: AsyncSession, vehicle: Vehicle) -> list[str]:
    """Raise every due point the vehicle has reached and not raised yet; the new ones."""
    if vehicle.organization_id is None:
        return []
    plan = effective_plan(
        await repository.get_plan(session, vehicle.id),
        await repository.get_settings(session, vehicle.organization_id),
    )
    if plan is None:
        return []
    odometer = (await odometers(session, [vehicle.id]))[vehicle.id]
    points: list[str] = []
    if plan.every_km:
        reached = odometer.estimated_km // plan.every_km
        behind = (await repository.first_reading_km(session, vehicle.id) or 0) // plan.every_km
        if reached > behind:
            points.append(f"km:{reached * plan.every_km}")
    if plan.every_months:
        since = await repository.last_service_completed_at(session, vehicle.id)
        baseline = as_utc(since or vehicle.created_at).date()
        due_on = add_months(baseline, plan.every_months)
        if utcnow().date() >= due_on:
            points.append(f"date:{due_on.isoformat()}")
    raised = []
    for point in points:
        if await repository.due_raised(session, vehicle.id, point):
            continue
        session.add(
            MaintenanceDue(
                vehicle_id=vehicle.id, due_point=point, estimated_km=odometer.estimated_km
            )
        )
        await session.flush()
        await _announce(session, vehicle, point, odometer.estimated_km, plan)
        raised.append(point)
    return raised


async def _announce(
    session: AsyncSession, vehicle: Vehicle, point: str, estimated_km: int, plan: Plan
) -> None:
    assert vehicle.organization_id is not None
    public_id = format_public_id("VEH", vehicle.id)
    kind, _, value = point.partition(":")
    resource = {
        "vehicleId": public_id,
        "registrationNumber": vehicle.registration_number,
        "duePoint": point,
        "reason": "distance" if kind == "km" else "time",
        "dueKm": int(value) if kind == "km" else None,
        "dueDate": value if kind == "date" else None,
        "estimatedKm": estimated_km,
        "planSource": plan.source,
    }
    await events.announce(
        session,
        events.MAINTENANCE_DUE,
        organization_id=vehicle.organization_id,
        resource_id=public_id,
        resource=resource,
    )
    why = f"{value} km reached" if kind == "km" else f"due since {value}"
    managers = await repository.managers_of(
        session, vehicle.organization_id, [str(role) for role in MANAGING_ROLES]
    )
    for user_id in managers:
        await publish(
            session,
            events.MAINTENANCE_DUE_NOTICE,
            {
                "user_id": user_id,
                "category": "maintenance",
                "title": f"Maintenance due: {vehicle.registration_number}",
                "message": f"Fleet vehicle {vehicle.registration_number} is due for "
                f"maintenance ({why}; about {estimated_km} km).",
                "data": resource,
            },
        )


async def check_after_session(session: AsyncSession, event: OutboxEvent) -> None:
    """A completed charging session adds energy, so maybe distance, to its vehicle."""
    document = event.payload.get("session") or {}
    vehicle_id = parse_key(document.get("vehicleId"))
    if vehicle_id is None:
        return
    try:
        vehicle = await vehicles.get_vehicle(session, vehicle_id)
    except NotFound:
        return  # deleted since
    await check_vehicle(session, vehicle)


def register() -> None:
    subscribe(charging.SESSION_STOPPED, check_after_session)
