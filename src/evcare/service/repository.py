"""Every query of the workshop catalogue side; a customer's rows are scoped to them here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import TypeVar

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.db import Base
from evcare.core.errors import NotFound
from evcare.core.names import name_key
from evcare.core.pagination import Page, PageParams
from evcare.service.models import (
    Address,
    CartItem,
    FavouriteService,
    MechanicAssignmentType,
    MechanicProfile,
    Service,
    ServiceArea,
    ServiceCategory,
    ServiceReview,
    Timeslot,
    WorkStatus,
)

Row = TypeVar("Row", bound=Base)


async def load(session: AsyncSession, model: type[Row], key: int, *, what: str) -> Row:
    """The row of ``model`` with primary key ``key``, or a 404 naming ``what``."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"{what} {key} not found")
    return row


# -- categories and services ---------------------------------------------------------------


async def list_categories(session: AsyncSession, *, active_only: bool) -> list[ServiceCategory]:
    query = select(ServiceCategory).order_by(ServiceCategory.name)
    if active_only:
        query = query.where(ServiceCategory.is_active.is_(True))
    return list((await session.scalars(query)).all())


async def category_name_taken(
    session: AsyncSession, name: str, *, except_id: int | None = None
) -> bool:
    query = select(ServiceCategory.id).where(ServiceCategory.name_key == name_key(name))
    if except_id is not None:
        query = query.where(ServiceCategory.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


async def category_has_services(session: AsyncSession, category_id: int) -> bool:
    query = select(Service.id).where(Service.category_id == category_id).limit(1)
    return (await session.scalar(query)) is not None


async def list_services(
    session: AsyncSession,
    params: PageParams,
    *,
    category_id: int | None,
    search: str | None,
    active: bool | None,
    workshop_id: str | None = None,
) -> Page[Service]:
    query = select(Service)
    if workshop_id is not None:
        query = query.where(Service.workshop_id == workshop_id)
    if category_id is not None:
        query = query.where(Service.category_id == category_id)
    if active is not None:
        query = query.where(Service.is_active.is_(active))
    if search and (key := name_key(search)):
        query = query.where(Service.search_key.like(f"%{_escape_like(key)}%", escape="\\"))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Service.name, Service.id).offset(params.offset).limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def get_services(session: AsyncSession, service_ids: Sequence[int]) -> list[Service]:
    if not service_ids:
        return []
    query = select(Service).where(Service.id.in_(service_ids)).order_by(Service.id)
    return list((await session.scalars(query)).all())


async def rating_summaries(
    session: AsyncSession, service_ids: Sequence[int]
) -> dict[int, tuple[float, int]]:
    """Average rating and count of approved reviews, per service, in one query."""
    if not service_ids:
        return {}
    query = (
        select(ServiceReview.service_id, func.avg(ServiceReview.rating), func.count())
        .where(ServiceReview.service_id.in_(service_ids))
        .where(ServiceReview.status == "approved")
        .group_by(ServiceReview.service_id)
    )
    return {
        service_id: (round(float(average), 2), int(count))
        for service_id, average, count in (await session.execute(query)).all()
    }


# -- reviews -------------------------------------------------------------------------------


async def get_review_of(
    session: AsyncSession, *, service_id: int, user_id: int
) -> ServiceReview | None:
    query = select(ServiceReview).where(
        ServiceReview.service_id == service_id, ServiceReview.user_id == user_id
    )
    return (await session.scalars(query)).one_or_none()


async def list_reviews(
    session: AsyncSession, params: PageParams, *, service_id: int, statuses: Sequence[str] | None
) -> list[ServiceReview]:
    query = select(ServiceReview).where(ServiceReview.service_id == service_id)
    if statuses is not None:
        query = query.where(ServiceReview.status.in_(statuses))
    query = query.order_by(ServiceReview.created_at.desc(), ServiceReview.id.desc())
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return list(rows.all())


# -- cart and favourites -------------------------------------------------------------------


async def saved_services(
    session: AsyncSession, model: type[CartItem] | type[FavouriteService], user_id: int
) -> list[Service]:
    """The services in one of ``user_id``'s saved lists, oldest addition first."""
    query = (
        select(Service)
        .join(model, model.service_id == Service.id)
        .where(model.user_id == user_id)
        .order_by(model.added_at, Service.id)
    )
    return list((await session.scalars(query)).all())


async def remove_saved(
    session: AsyncSession,
    model: type[CartItem] | type[FavouriteService],
    *,
    user_id: int,
    service_id: int,
) -> bool:
    result = await session.execute(
        delete(model).where(model.user_id == user_id, model.service_id == service_id)
    )
    return bool(getattr(result, "rowcount", 0))


# -- mechanics -----------------------------------------------------------------------------


async def mechanic_profiles(
    session: AsyncSession, user_ids: Sequence[int]
) -> dict[int, MechanicProfile]:
    if not user_ids:
        return {}
    query = select(MechanicProfile).where(MechanicProfile.user_id.in_(user_ids))
    return {profile.user_id: profile for profile in (await session.scalars(query)).all()}


async def list_assignment_types(session: AsyncSession) -> list[MechanicAssignmentType]:
    query = select(MechanicAssignmentType).order_by(MechanicAssignmentType.name)
    return list((await session.scalars(query)).all())


async def assignment_type_name_taken(
    session: AsyncSession, name: str, *, except_id: int | None = None
) -> bool:
    query = select(MechanicAssignmentType.id).where(
        MechanicAssignmentType.name_key == name_key(name)
    )
    if except_id is not None:
        query = query.where(MechanicAssignmentType.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


# -- addresses and areas -------------------------------------------------------------------


def _owned_by(user_id: int) -> ColumnElement[bool]:
    return Address.user_id == user_id


async def get_own_address(
    session: AsyncSession, *, user_id: int, address_id: int
) -> Address | None:
    query = select(Address).where(Address.id == address_id, _owned_by(user_id))
    return (await session.scalars(query)).one_or_none()


async def list_own_addresses(session: AsyncSession, user_id: int) -> list[Address]:
    query = select(Address).where(_owned_by(user_id)).order_by(Address.id)
    return list((await session.scalars(query)).all())


async def clear_default_address(
    session: AsyncSession, *, user_id: int, except_id: int | None
) -> None:
    for address in await list_own_addresses(session, user_id):
        if address.id != except_id and address.is_default:
            address.is_default = False


async def serviceable_pincodes(session: AsyncSession, pincodes: Sequence[str]) -> set[str]:
    """Which of ``pincodes`` an active service area covers (one query for a whole list)."""
    if not pincodes:
        return set()
    query = select(ServiceArea.pincode).where(
        ServiceArea.pincode.in_(set(pincodes)), ServiceArea.is_active.is_(True)
    )
    return set((await session.scalars(query)).all())


async def list_areas(
    session: AsyncSession, params: PageParams, *, city: str | None, active_only: bool
) -> list[ServiceArea]:
    query = select(ServiceArea)
    if city:
        query = query.where(func.lower(ServiceArea.city) == city.lower())
    if active_only:
        query = query.where(ServiceArea.is_active.is_(True))
    query = query.order_by(ServiceArea.city, ServiceArea.pincode)
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return list(rows.all())


async def area_pincode_taken(
    session: AsyncSession, pincode: str, *, except_id: int | None = None
) -> bool:
    query = select(ServiceArea.id).where(ServiceArea.pincode == pincode)
    if except_id is not None:
        query = query.where(ServiceArea.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


# -- timeslots and statuses ----------------------------------------------------------------


async def list_timeslots(session: AsyncSession, *, active_only: bool) -> list[Timeslot]:
    query = select(Timeslot).order_by(Timeslot.start_time, Timeslot.id)
    if active_only:
        query = query.where(Timeslot.is_active.is_(True))
    return list((await session.scalars(query)).all())


async def timeslot_taken(
    session: AsyncSession, *, start: time, end: time, except_id: int | None = None
) -> bool:
    query = select(Timeslot.id).where(Timeslot.start_time == start, Timeslot.end_time == end)
    if except_id is not None:
        query = query.where(Timeslot.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


async def list_statuses(session: AsyncSession) -> list[WorkStatus]:
    query = select(WorkStatus).order_by(WorkStatus.sort_order, WorkStatus.id)
    return list((await session.scalars(query)).all())


async def status_code_taken(session: AsyncSession, code: str) -> bool:
    query = select(WorkStatus.id).where(WorkStatus.code == code).limit(1)
    return (await session.scalar(query)) is not None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
