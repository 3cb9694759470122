"""Every service-booking query; who may read which booking is decided here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, Select, Update, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.db import is_postgresql
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service.bookings.models import (
    BookingAnalysis,
    BookingEvent,
    BookingFee,
    BookingItem,
    BookingLink,
    BookingPart,
    BookingProgress,
    BookingStatus,
    ItemDecision,
    ServiceBooking,
)
from evcare.service.models import Address, Timeslot, WorkStatus

# Statuses that hold a place in a timeslot.
HOLDS_SLOT = tuple(s.value for s in BookingStatus if s is not BookingStatus.CANCELLED)


def readable(principal: Principal) -> ColumnElement[bool]:
    """Admins read every booking; a customer their own; a mechanic their assignments."""
    if principal.has(Scope.MANAGE_BOOKINGS):
        return ServiceBooking.id.is_not(None)
    own = ServiceBooking.customer_id == principal.user_id
    if principal.has(Scope.WORK_BOOKINGS):
        return own | (ServiceBooking.mechanic_id == principal.user_id)
    return own


async def get_booking(
    session: AsyncSession, booking_id: int, *, principal: Principal | None, lock: bool = False
) -> ServiceBooking | None:
    query = select(ServiceBooking).where(ServiceBooking.id == booking_id)
    if principal is not None:
        query = query.where(readable(principal))
    if lock:
        await _take_sqlite_write_lock(
            session,
            update(ServiceBooking)
            .where(ServiceBooking.id == booking_id)
            .values(status=ServiceBooking.status, updated_at=ServiceBooking.updated_at),
        )
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def _take_sqlite_write_lock(session: AsyncSession, no_op: Update) -> None:
    """Dialect helper. PostgreSQL locks rows with ``FOR UPDATE``; SQLite has no row locks,
    so a no-op write takes the database's write lock instead: a concurrent request waits
    here, then reads what this one committed (check-then-act stays safe on both)."""
    if not is_postgresql(session):
        await session.execute(no_op)


def _filtered(
    query: Select[ServiceBooking],
    *,
    status: str | None = None,
    customer_id: int | None = None,
    mechanic_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    vehicle_id: int | None = None,
) -> Select[ServiceBooking]:
    if vehicle_id is not None:
        query = query.where(ServiceBooking.vehicle_id == vehicle_id)
    if status:
        query = query.where(ServiceBooking.status == status)
    if customer_id is not None:
        query = query.where(ServiceBooking.customer_id == customer_id)
    if mechanic_id is not None:
        query = query.where(ServiceBooking.mechanic_id == mechanic_id)
    if date_from is not None:
        query = query.where(ServiceBooking.service_date >= date_from)
    if date_to is not None:
        query = query.where(ServiceBooking.service_date <= date_to)
    return query


async def list_bookings(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None = None,
    customer_id: int | None = None,
    mechanic_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    vehicle_id: int | None = None,
) -> Page[ServiceBooking]:
    query = _filtered(
        select(ServiceBooking),
        status=status,
        customer_id=customer_id,
        mechanic_id=mechanic_id,
        date_from=date_from,
        date_to=date_to,
        vehicle_id=vehicle_id,
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(ServiceBooking.id.desc()).offset(params.offset).limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def count_by_status(
    session: AsyncSession,
    *,
    customer_id: int | None = None,
    mechanic_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[str, int]:
    query = _filtered(
        select(ServiceBooking),
        customer_id=customer_id,
        mechanic_id=mechanic_id,
        date_from=date_from,
        date_to=date_to,
    ).subquery()
    rows = await session.execute(select(query.c.status, func.count()).group_by(query.c.status))
    return {str(status): int(count) for status, count in rows.all()}


async def items_of(session: AsyncSession, booking_ids: Sequence[int]) -> list[BookingItem]:
    if not booking_ids:
        return []
    query = (
        select(BookingItem)
        .where(BookingItem.booking_id.in_(booking_ids))
        .order_by(BookingItem.booking_id, BookingItem.id)
    )
    return list((await session.scalars(query)).all())


async def timeline_of(session: AsyncSession, booking_id: int) -> list[BookingEvent]:
    query = (
        select(BookingEvent)
        .where(BookingEvent.booking_id == booking_id)
        .order_by(BookingEvent.created_at, BookingEvent.id)
    )
    return list((await session.scalars(query)).all())


async def progress_of(session: AsyncSession, booking_id: int) -> list[BookingProgress]:
    query = (
        select(BookingProgress)
        .where(BookingProgress.booking_id == booking_id)
        .order_by(BookingProgress.created_at, BookingProgress.id)
    )
    return list((await session.scalars(query)).all())


async def get_progress(
    session: AsyncSession, progress_id: int, *, lock: bool = False
) -> BookingProgress | None:
    query = select(BookingProgress).where(BookingProgress.id == progress_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def get_analysis(session: AsyncSession, booking_id: int) -> BookingAnalysis | None:
    return await session.get(BookingAnalysis, booking_id)


async def lock_timeslot(session: AsyncSession, timeslot_id: int) -> Timeslot | None:
    """The slot, locked until commit so two bookings cannot both take its last place."""
    await _take_sqlite_write_lock(
        session,
        update(Timeslot)
        .where(Timeslot.id == timeslot_id)
        .values(capacity=Timeslot.capacity, updated_at=Timeslot.updated_at),
    )
    query = select(Timeslot).where(Timeslot.id == timeslot_id).with_for_update()
    return (await session.scalars(query)).one_or_none()


async def bookings_per_timeslot(
    session: AsyncSession, *, service_date: date, timeslot_ids: Sequence[int]
) -> dict[int, int]:
    """Bookings holding each of ``timeslot_ids`` on ``service_date`` (cancelled excluded)."""
    if not timeslot_ids:
        return {}
    query = (
        select(ServiceBooking.timeslot_id, func.count())
        .where(ServiceBooking.timeslot_id.in_(timeslot_ids))
        .where(ServiceBooking.service_date == service_date)
        .where(ServiceBooking.status.in_(HOLDS_SLOT))
        .group_by(ServiceBooking.timeslot_id)
    )
    counts = {int(slot): int(count) for slot, count in (await session.execute(query)).all()}
    return {slot: counts.get(slot, 0) for slot in timeslot_ids}


async def customer_completed_service(
    session: AsyncSession, *, user_id: int, service_id: int
) -> bool:
    """A completed (or paid) booking of ``user_id`` had ``service_id`` done, not declined."""
    query = (
        select(BookingItem.id)
        .join(ServiceBooking, ServiceBooking.id == BookingItem.booking_id)
        .where(ServiceBooking.customer_id == user_id)
        .where(ServiceBooking.status.in_((BookingStatus.COMPLETED, BookingStatus.PAID)))
        .where(BookingItem.service_id == service_id)
        .where(BookingItem.decision == ItemDecision.ACCEPTED)
        .limit(1)
    )
    return (await session.scalar(query)) is not None


async def customer_address(
    session: AsyncSession, *, customer_id: int, address_id: int | None
) -> Address | None:
    """The customer's address ``address_id``, or their default one when none is named."""
    query = select(Address).where(Address.user_id == customer_id)
    if address_id is not None:
        query = query.where(Address.id == address_id)
    else:
        query = query.order_by(Address.is_default.desc(), Address.id)
    return (await session.scalars(query.limit(1))).first()


async def work_statuses(session: AsyncSession, ids: Sequence[int]) -> dict[int, WorkStatus]:
    if not ids:
        return {}
    rows = await session.scalars(select(WorkStatus).where(WorkStatus.id.in_(set(ids))))
    return {row.id: row for row in rows.all()}


async def mechanic_jobs_in_slot(
    session: AsyncSession,
    *,
    mechanic_id: int,
    timeslot_id: int,
    service_date: date,
    except_booking: int | None = None,
) -> int:
    """Bookings the mechanic holds in one slot on one day (cancelled excluded)."""
    query = (
        select(func.count())
        .select_from(ServiceBooking)
        .where(ServiceBooking.mechanic_id == mechanic_id)
        .where(ServiceBooking.timeslot_id == timeslot_id)
        .where(ServiceBooking.service_date == service_date)
        .where(ServiceBooking.status.in_(HOLDS_SLOT))
    )
    if except_booking is not None:
        query = query.where(ServiceBooking.id != except_booking)
    return int(await session.scalar(query) or 0)


async def parts_of(session: AsyncSession, item_ids: Sequence[int]) -> dict[int, list[BookingPart]]:
    if not item_ids:
        return {}
    rows = await session.scalars(
        select(BookingPart).where(BookingPart.item_id.in_(item_ids)).order_by(BookingPart.id)
    )
    found: dict[int, list[BookingPart]] = {}
    for part in rows.all():
        found.setdefault(part.item_id, []).append(part)
    return found


async def fees_carried_to(
    session: AsyncSession, booking_ids: Sequence[int]
) -> dict[int, list[BookingFee]]:
    if not booking_ids:
        return {}
    rows = await session.scalars(
        select(BookingFee)
        .where(BookingFee.carried_to_booking_id.in_(booking_ids))
        .order_by(BookingFee.id)
    )
    found: dict[int, list[BookingFee]] = {}
    for fee in rows.all():
        assert fee.carried_to_booking_id is not None
        found.setdefault(fee.carried_to_booking_id, []).append(fee)
    return found


async def outstanding_fees(session: AsyncSession, customer_id: int) -> list[BookingFee]:
    query = (
        select(BookingFee)
        .where(BookingFee.customer_id == customer_id, BookingFee.status == "outstanding")
        .order_by(BookingFee.id)
        .with_for_update()
    )
    return list((await session.scalars(query)).all())


async def fees_of(session: AsyncSession, booking_id: int) -> list[BookingFee]:
    """The fees a booking gave rise to (its own cancellation or reschedules)."""
    query = select(BookingFee).where(BookingFee.booking_id == booking_id).order_by(BookingFee.id)
    return list((await session.scalars(query)).all())


async def live_link(session: AsyncSession, booking_id: int) -> BookingLink | None:
    """The booking's newest status link that is neither revoked nor expired."""
    query = (
        select(BookingLink)
        .where(BookingLink.booking_id == booking_id)
        .where(BookingLink.revoked_at.is_(None))
        .where(BookingLink.expires_at > utcnow())
        .order_by(BookingLink.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def live_links(session: AsyncSession, booking_id: int) -> list[BookingLink]:
    query = select(BookingLink).where(
        BookingLink.booking_id == booking_id, BookingLink.revoked_at.is_(None)
    )
    return list((await session.scalars(query)).all())


async def open_bookings_of(
    session: AsyncSession, *, customer_id: int | None = None, vehicle_id: int | None = None
) -> list[ServiceBooking]:
    """Bookings not yet closed (neither paid nor cancelled), oldest first."""
    query = select(ServiceBooking).where(
        ServiceBooking.status.not_in((BookingStatus.PAID, BookingStatus.CANCELLED))
    )
    if customer_id is not None:
        query = query.where(ServiceBooking.customer_id == customer_id)
    if vehicle_id is not None:
        query = query.where(ServiceBooking.vehicle_id == vehicle_id)
    return list((await session.scalars(query.order_by(ServiceBooking.id))).all())


async def timeslots_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Timeslot]:
    if not ids:
        return {}
    rows = await session.scalars(select(Timeslot).where(Timeslot.id.in_(ids)))
    return {slot.id: slot for slot in rows.all()}
