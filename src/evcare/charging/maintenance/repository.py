"""Every maintenance query; who may see a record follows its charger's station: admins
all, operators their own stations' chargers (anyone who may see a charger reads its
history through :func:`history_of`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from evcare.charging.chargers.models import Charger
from evcare.charging.maintenance.models import OPEN, MaintenanceRecord, MaintenanceStatus
from evcare.charging.stations.models import Station
from evcare.charging.stations.repository import page_of
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal


def managed_by(principal: Principal) -> ColumnElement[bool]:
    """Records of chargers ``principal`` manages: all for admins, else its stations'."""
    if principal.is_admin:
        return true()
    return and_(Station.owner_id == principal.user_id, Station.deleted_at.is_(None))


def _records() -> Select[MaintenanceRecord]:
    return (
        select(MaintenanceRecord)
        .join(Charger, Charger.id == MaintenanceRecord.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .options(contains_eager(MaintenanceRecord.charger))
        .execution_options(populate_existing=True)
    )


async def get_record(
    session: AsyncSession, record_id: int, *, principal: Principal
) -> MaintenanceRecord | None:
    query = _records().where(MaintenanceRecord.id == record_id).where(managed_by(principal))
    return (await session.scalars(query)).one_or_none()


async def list_records(
    session: AsyncSession,
    params: PageParams,
    *,
    principal: Principal,
    status: str | None,
    charger_id: int | None,
) -> Page[MaintenanceRecord]:
    query = _records().where(managed_by(principal))
    if status is not None:
        query = query.where(MaintenanceRecord.status == status)
    if charger_id is not None:
        query = query.where(MaintenanceRecord.charger_id == charger_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(MaintenanceRecord.scheduled_at.desc(), MaintenanceRecord.id.desc())
    return await page_of(session, ordered, total=total, params=params)


async def history_of(session: AsyncSession, charger_id: int) -> Sequence[MaintenanceRecord]:
    """A charger's records, newest scheduled first (the caller checked it may see it)."""
    query = (
        _records()
        .where(MaintenanceRecord.charger_id == charger_id)
        .order_by(MaintenanceRecord.scheduled_at.desc(), MaintenanceRecord.id.desc())
        .limit(200)
    )
    return (await session.scalars(query)).all()


@dataclass(frozen=True)
class Counts:
    total: int
    scheduled: int
    in_progress: int
    completed: int
    overdue: int


async def counts(session: AsyncSession, *, principal: Principal, now: datetime) -> Counts:
    """By status, and how many open ones are past their scheduled date; one query."""
    status = MaintenanceRecord.status

    def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        select(
            func.count(MaintenanceRecord.id),
            count_if(status == MaintenanceStatus.SCHEDULED),
            count_if(status == MaintenanceStatus.IN_PROGRESS),
            count_if(status == MaintenanceStatus.COMPLETED),
            count_if(and_(status.in_(OPEN), MaintenanceRecord.scheduled_at < now)),
        )
        .select_from(MaintenanceRecord)
        .join(Charger, Charger.id == MaintenanceRecord.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .where(managed_by(principal))
    )
    total, scheduled, in_progress, completed, overdue = (await session.execute(query)).one()
    return Counts(int(total), int(scheduled), int(in_progress), int(completed), int(overdue))


async def others_in_progress(session: AsyncSession, charger_id: int, record_id: int) -> int:
    query = (
        select(func.count())
        .select_from(MaintenanceRecord)
        .where(MaintenanceRecord.charger_id == charger_id)
        .where(MaintenanceRecord.status == MaintenanceStatus.IN_PROGRESS)
        .where(MaintenanceRecord.id != record_id)
    )
    return await session.scalar(query) or 0


async def open_fault_record(session: AsyncSession, charger_id: int) -> int | None:
    """The open record a fault of this charger already opened, if any."""
    return await session.scalar(
        select(MaintenanceRecord.id)
        .where(MaintenanceRecord.charger_id == charger_id)
        .where(MaintenanceRecord.opened_by_fault.is_(True))
        .where(MaintenanceRecord.status.in_(OPEN))
        .limit(1)
    )


async def lock_charger(session: AsyncSession, charge_point_id: str) -> tuple[int, str, int] | None:
    """Take the charger's row first (a no-op UPDATE: on SQLite the write lock before any
    read, on PostgreSQL the row lock); its (id, name, station owner)."""
    await session.execute(
        update(Charger)
        .where(Charger.charge_point_id == charge_point_id)
        .values(updated_at=Charger.updated_at)
        .execution_options(synchronize_session=False)
    )
    row = (
        await session.execute(
            select(Charger.id, Charger.name, Station.owner_id)
            .join(Station, Station.id == Charger.station_id)
            .where(Charger.charge_point_id == charge_point_id)
        )
    ).one_or_none()
    return None if row is None else (row[0], row[1], row[2])
