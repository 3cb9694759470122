"""Every query of a fleet's maintenance: its selection settings and its requests, each
scoped to the fleet's organization here (another fleet's request is not found)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.service.bookings.models import ServiceBooking
from evcare.service.fleet_maintenance_models import (
    FleetAllowedWorkshop,
    FleetMaintenance,
    FleetMaintenanceSettings,
)

# -- a fleet's selection -------------------------------------------------------------------


async def get_settings(
    session: AsyncSession, organization_id: str, *, lock: bool = False
) -> FleetMaintenanceSettings | None:
    query = select(FleetMaintenanceSettings).where(
        FleetMaintenanceSettings.organization_id == organization_id
    )
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def allowed_workshop_ids(session: AsyncSession, organization_id: str) -> list[str]:
    rows = await session.scalars(
        select(FleetAllowedWorkshop.workshop_id)
        .where(FleetAllowedWorkshop.organization_id == organization_id)
        .order_by(FleetAllowedWorkshop.workshop_id)
    )
    return list(rows.all())


async def replace_allowed_workshops(
    session: AsyncSession, organization_id: str, workshop_ids: Sequence[str]
) -> None:
    await session.execute(
        delete(FleetAllowedWorkshop).where(FleetAllowedWorkshop.organization_id == organization_id)
    )
    session.add_all(
        FleetAllowedWorkshop(organization_id=organization_id, workshop_id=workshop_id)
        for workshop_id in workshop_ids
    )
    await session.flush()


# -- a fleet's maintenance requests --------------------------------------------------------


async def get_maintenance(
    session: AsyncSession, organization_id: str, maintenance_id: str
) -> tuple[FleetMaintenance, ServiceBooking] | None:
    """One request of the fleet with its booking; another fleet's is not found."""
    query = (
        select(FleetMaintenance, ServiceBooking)
        .join(ServiceBooking, ServiceBooking.id == FleetMaintenance.booking_id)
        .where(
            FleetMaintenance.id == maintenance_id,
            FleetMaintenance.organization_id == organization_id,
        )
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def list_maintenance(
    session: AsyncSession,
    organization_id: str,
    params: PageParams,
    *,
    vehicle_id: int | None = None,
    statuses: Sequence[str] | None = None,
) -> Page[tuple[FleetMaintenance, ServiceBooking]]:
    """The fleet's requests, newest first."""
    query = (
        select(FleetMaintenance, ServiceBooking)
        .join(ServiceBooking, ServiceBooking.id == FleetMaintenance.booking_id)
        .where(FleetMaintenance.organization_id == organization_id)
    )
    if vehicle_id is not None:
        query = query.where(ServiceBooking.vehicle_id == vehicle_id)
    if statuses is not None:
        query = query.where(ServiceBooking.status.in_(list(statuses)))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(FleetMaintenance.created_at.desc(), FleetMaintenance.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=[(row[0], row[1]) for row in rows], total=total, params=params)


async def maintenance_of_booking(session: AsyncSession, booking_id: int) -> FleetMaintenance | None:
    query = select(FleetMaintenance).where(FleetMaintenance.booking_id == booking_id)
    return (await session.scalars(query)).one_or_none()


async def booking_of(session: AsyncSession, booking_id: int) -> ServiceBooking | None:
    return await session.get(ServiceBooking, booking_id)
