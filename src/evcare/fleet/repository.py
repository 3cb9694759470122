"""Every fleet query: assignments, odometer readings, settings, plans, due points."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.db import is_postgresql
from evcare.identity.models import OrganizationMember, User
from evcare.service.bookings.models import BookingStatus, ServiceBooking
from evcare.vehicles.fleet_models import (
    FleetSettings,
    MaintenanceDue,
    OdometerReading,
    VehicleDriver,
    VehicleServicePlan,
)
from evcare.vehicles.models import Vehicle


async def drivers_of(session: AsyncSession, vehicle_ids: list[int]) -> dict[int, list[str]]:
    """The account ids (``acc_...``) of each vehicle's assigned drivers, oldest first."""
    if not vehicle_ids:
        return {}
    rows = await session.execute(
        select(VehicleDriver.vehicle_id, OrganizationMember.id)
        .join(OrganizationMember, OrganizationMember.user_id == VehicleDriver.user_id)
        .where(VehicleDriver.vehicle_id.in_(vehicle_ids))
        .order_by(VehicleDriver.created_at, OrganizationMember.id)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for vehicle_id, account_id in rows.all():
        found[vehicle_id].append(account_id)
    return found


async def vehicles_of(session: AsyncSession, user_ids: list[int]) -> dict[int, list[int]]:
    """The vehicle ids each user is assigned to drive."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(VehicleDriver.user_id, VehicleDriver.vehicle_id)
        .where(VehicleDriver.user_id.in_(user_ids))
        .order_by(VehicleDriver.vehicle_id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for user_id, vehicle_id in rows.all():
        found[user_id].append(vehicle_id)
    return found


async def organization_vehicle_ids(
    session: AsyncSession, organization_id: str, vehicle_ids: list[int]
) -> set[int]:
    """Which of ``vehicle_ids`` belong to the organization's fleet."""
    if not vehicle_ids:
        return set()
    rows = await session.scalars(
        select(Vehicle.id)
        .where(Vehicle.id.in_(vehicle_ids))
        .where(Vehicle.organization_id == organization_id)
    )
    return set(rows.all())


async def replace_assignments(session: AsyncSession, user_id: int, vehicle_ids: list[int]) -> None:
    await session.execute(delete(VehicleDriver).where(VehicleDriver.user_id == user_id))
    session.add_all(VehicleDriver(vehicle_id=v, user_id=user_id) for v in vehicle_ids)
    await session.flush()


async def latest_readings(
    session: AsyncSession, vehicle_ids: list[int]
) -> dict[int, OdometerReading]:
    """Each vehicle's newest odometer reading."""
    if not vehicle_ids:
        return {}
    newest = (
        select(OdometerReading.vehicle_id, func.max(OdometerReading.id).label("newest"))
        .where(OdometerReading.vehicle_id.in_(vehicle_ids))
        .group_by(OdometerReading.vehicle_id)
        .subquery()
    )
    rows = await session.scalars(
        select(OdometerReading).join(newest, newest.c.newest == OdometerReading.id)
    )
    return {row.vehicle_id: row for row in rows.all()}


async def first_reading_km(session: AsyncSession, vehicle_id: int) -> int | None:
    query = (
        select(OdometerReading.km)
        .where(OdometerReading.vehicle_id == vehicle_id)
        .order_by(OdometerReading.id)
        .limit(1)
    )
    return await session.scalar(query)


async def add_reading(
    session: AsyncSession, *, vehicle_id: int, km: int, at: datetime
) -> OdometerReading:
    reading = OdometerReading(vehicle_id=vehicle_id, km=km, recorded_at=at)
    session.add(reading)
    await session.flush()
    return reading


async def get_settings(session: AsyncSession, organization_id: str) -> FleetSettings | None:
    return await session.get(FleetSettings, organization_id, populate_existing=True)


async def plans_of(session: AsyncSession, vehicle_ids: list[int]) -> dict[int, VehicleServicePlan]:
    if not vehicle_ids:
        return {}
    rows = await session.scalars(
        select(VehicleServicePlan).where(VehicleServicePlan.vehicle_id.in_(vehicle_ids))
    )
    return {row.vehicle_id: row for row in rows.all()}


async def get_plan(session: AsyncSession, vehicle_id: int) -> VehicleServicePlan | None:
    return await session.get(VehicleServicePlan, vehicle_id)


async def due_raised(session: AsyncSession, vehicle_id: int, due_point: str) -> bool:
    query = select(MaintenanceDue.id).where(
        MaintenanceDue.vehicle_id == vehicle_id, MaintenanceDue.due_point == due_point
    )
    return (await session.scalar(query)) is not None


async def last_service_completed_at(session: AsyncSession, vehicle_id: int) -> datetime | None:
    query = select(func.max(ServiceBooking.completed_at)).where(
        ServiceBooking.vehicle_id == vehicle_id,
        ServiceBooking.status == BookingStatus.COMPLETED,
    )
    return await session.scalar(query)


async def managers_of(session: AsyncSession, organization_id: str, roles: list[str]) -> list[int]:
    """The user ids of the organization's live accounts with one of ``roles``."""
    rows = await session.scalars(
        select(User.id)
        .join(OrganizationMember, OrganizationMember.user_id == User.id)
        .where(OrganizationMember.organization_id == organization_id)
        .where(OrganizationMember.role.in_(roles))
        .where(User.deleted_at.is_(None))
        .order_by(User.id)
    )
    return list(rows.all())


async def fleet_vehicles(session: AsyncSession, organization_id: str) -> list[Vehicle]:
    rows = await session.scalars(
        select(Vehicle).where(Vehicle.organization_id == organization_id).order_by(Vehicle.id)
    )
    return list(rows.all())


async def vehicles_with_months_plans(session: AsyncSession) -> list[int]:
    """Every fleet vehicle whose plan (its own, or its fleet's) counts months."""
    own = select(VehicleServicePlan.vehicle_id).where(VehicleServicePlan.every_months.is_not(None))
    fleets = select(FleetSettings.organization_id).where(
        FleetSettings.service_every_months.is_not(None)
    )
    rows = await session.scalars(
        select(Vehicle.id)
        .where(Vehicle.organization_id.is_not(None))
        .where(or_(Vehicle.id.in_(own), Vehicle.organization_id.in_(fleets)))
        .order_by(Vehicle.id)
    )
    return list(rows.all())


async def lock_vehicle(session: AsyncSession, vehicle_id: int) -> Vehicle | None:
    """Dialect helper: the vehicle, locked until commit, so two checks of its due points
    run one after the other. PostgreSQL locks the row (``FOR UPDATE``); SQLite has no row
    locks, so a no-op write takes the database's write lock first (a read-then-write
    transaction would fail its lock upgrade if another connection committed between)."""
    if not is_postgresql(session):
        await session.execute(update(Vehicle).where(Vehicle.id == vehicle_id).values(id=Vehicle.id))
    query = select(Vehicle).where(Vehicle.id == vehicle_id).with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))
