"""Every query on franchises and their staff, with who-may-see-which in one place.

``readable_franchises``: admins every franchise, a brand its own, a franchise's staff
their own franchise; nobody else any.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, delete, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.franchises.models import (
    Franchise,
    FranchiseStaff,
    FranchiseStation,
    FranchiseStatus,
)
from evcare.charging.stations.models import Station
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal


@dataclass(frozen=True)
class FranchiseView:
    """A franchise and the counts its responses show."""

    franchise: Franchise
    stations: int
    staff: int


def readable_franchises(principal: Principal) -> ColumnElement[bool]:
    if principal.is_admin:
        return true()
    if principal.role == Role.BRAND:
        return Franchise.brand_id == principal.user_id
    if principal.role == Role.FRANCHISE:
        return Franchise.id.in_(
            select(FranchiseStaff.franchise_id).where(FranchiseStaff.user_id == principal.user_id)
        )
    return false()


def _views() -> Select[Franchise, int, int]:
    stations = (
        select(func.count(FranchiseStation.station_id))
        .join(Station, Station.id == FranchiseStation.station_id)
        .where(FranchiseStation.franchise_id == Franchise.id, Station.deleted_at.is_(None))
        .scalar_subquery()
    )
    staff = (
        select(func.count(FranchiseStaff.id))
        .where(FranchiseStaff.franchise_id == Franchise.id)
        .scalar_subquery()
    )
    return select(Franchise, stations, staff).execution_options(populate_existing=True)


async def get_franchise(
    session: AsyncSession, franchise_id: int, *, visible_to: Principal
) -> FranchiseView | None:
    query = _views().where(Franchise.id == franchise_id, readable_franchises(visible_to))
    row = (await session.execute(query)).one_or_none()
    return None if row is None else FranchiseView(row[0], row[1], row[2])


async def list_franchises(
    session: AsyncSession,
    params: PageParams,
    *,
    visible_to: Principal,
    status: str | None = None,
    search: str | None = None,
) -> Page[FranchiseView]:
    condition = readable_franchises(visible_to)
    if status:
        condition = and_(condition, Franchise.status == status)
    if search:
        pattern = f"%{search.lower()}%"
        condition = and_(
            condition,
            or_(
                func.lower(Franchise.name).like(pattern),
                func.lower(Franchise.location).like(pattern),
                func.lower(Franchise.contact_person).like(pattern),
            ),
        )
    total = await session.scalar(select(func.count(Franchise.id)).where(condition)) or 0
    rows = await session.execute(
        _views().where(condition).order_by(Franchise.id).offset(params.offset).limit(params.limit)
    )
    return Page(
        items=[FranchiseView(row[0], row[1], row[2]) for row in rows], total=total, params=params
    )


async def franchise_of_brand(
    session: AsyncSession, franchise_id: int, *, brand_id: int
) -> Franchise | None:
    query = select(Franchise).where(Franchise.id == franchise_id, Franchise.brand_id == brand_id)
    return (await session.scalars(query)).one_or_none()


async def active_franchise_of_staff(session: AsyncSession, user_id: int) -> Franchise | None:
    """The active franchise ``user_id`` works for, if any."""
    query = (
        select(Franchise)
        .join(FranchiseStaff, FranchiseStaff.franchise_id == Franchise.id)
        .where(FranchiseStaff.user_id == user_id, Franchise.status == FranchiseStatus.ACTIVE)
    )
    return (await session.scalars(query)).one_or_none()


async def active_franchises_of_stations(
    session: AsyncSession, station_ids: Collection[int]
) -> dict[int, int]:
    """station id -> the active franchise it is handed to, for the stations that are: whose
    staff hear the live events of those stations' chargers and sessions."""
    if not station_ids:
        return {}
    query = (
        select(FranchiseStation.station_id, FranchiseStation.franchise_id)
        .join(Franchise, Franchise.id == FranchiseStation.franchise_id)
        .where(
            FranchiseStation.station_id.in_(sorted(set(station_ids))),
            Franchise.status == FranchiseStatus.ACTIVE,
        )
    )
    return {int(station): int(franchise) for station, franchise in await session.execute(query)}


async def list_staff(session: AsyncSession, franchise_id: int) -> list[tuple[FranchiseStaff, User]]:
    query = (
        select(FranchiseStaff, User)
        .join(User, User.id == FranchiseStaff.user_id)
        .where(FranchiseStaff.franchise_id == franchise_id, User.deleted_at.is_(None))
        .order_by(FranchiseStaff.id)
    )
    return [(member, user) for member, user in await session.execute(query)]


async def get_staff_member(
    session: AsyncSession, franchise_id: int, user_id: int
) -> tuple[FranchiseStaff, User] | None:
    query = (
        select(FranchiseStaff, User)
        .join(User, User.id == FranchiseStaff.user_id)
        .where(FranchiseStaff.franchise_id == franchise_id, FranchiseStaff.user_id == user_id)
        .where(User.deleted_at.is_(None))
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def return_stations_to_brand(session: AsyncSession, franchise_id: int) -> None:
    """The franchise's stations go back to its brand."""
    handed = select(FranchiseStation.station_id).where(
        FranchiseStation.franchise_id == franchise_id
    )
    await session.execute(
        update(Station).where(Station.id.in_(handed)).values(owner_type=Role.BRAND)
    )
    await session.execute(
        delete(FranchiseStation).where(FranchiseStation.franchise_id == franchise_id)
    )


async def hand_station(session: AsyncSession, station: Station, franchise_id: int | None) -> None:
    """Hand ``station`` to ``franchise_id`` (``None``: back to its brand)."""
    await session.execute(delete(FranchiseStation).where(FranchiseStation.station_id == station.id))
    if franchise_id is not None:
        session.add(FranchiseStation(station_id=station.id, franchise_id=franchise_id))
    station.owner_type = Role.BRAND if franchise_id is None else Role.FRANCHISE
    await session.flush()
