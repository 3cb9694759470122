"""Timeslots with capacity, their availability on a date, and the work-status master."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings
from evcare.service import booking_facts, repository
from evcare.service.models import Timeslot, WorkStatus


@dataclass(frozen=True)
class SlotAvailability:
    timeslot: Timeslot
    booked: int
    starts_at: datetime  # in the workshop's time zone
    ends_at: datetime

    @property
    def available(self) -> int:
        return max(self.timeslot.capacity - self.booked, 0)

    @property
    def begun(self) -> bool:
        return self.starts_at <= utcnow()


# -- the workshop's time zone ---------------------------------------------------------------


async def workshop_zone(session: AsyncSession) -> ZoneInfo:
    """The time zone RevCare slots are shown and taken in (setting ``workshop_time_zone``)."""
    return ZoneInfo((await system_settings.current(session)).workshop_time_zone)


async def set_workshop_zone(session: AsyncSession, principal: Principal, *, name: str) -> ZoneInfo:
    await system_settings.update_settings(session, principal, {"workshop_time_zone": name})
    return ZoneInfo(name)


def local_today(zone: ZoneInfo) -> date:
    return utcnow().astimezone(zone).date()


def slot_window(slot: Timeslot, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """When ``slot`` runs on the workshop's local ``day``, in that zone.

    Slots are stored as UTC times of day; on a local day a slot is the one instant of that
    UTC time of day within the day (so a slot belongs to the local day it falls in)."""
    midnight = datetime.combine(day, time(0), zone).astimezone(UTC)
    start = datetime.combine(midnight.date(), slot.start_time, UTC)
    if start < midnight:
        start += timedelta(days=1)
    end = datetime.combine(start.date(), slot.end_time, UTC)
    return start.astimezone(zone), end.astimezone(zone)


# -- timeslots -----------------------------------------------------------------------------


async def availability(
    session: AsyncSession,
    *,
    service_date: date | None,
    include_inactive: bool = False,
) -> tuple[date, ZoneInfo, list[SlotAvailability]]:
    """Each slot's capacity minus the bookings already holding it on ``service_date`` (a
    day of the workshop's time zone; today there by default). A slot that has begun shows
    nothing available: it cannot be booked any more."""
    zone = await workshop_zone(session)
    day = service_date or local_today(zone)
    slots = await repository.list_timeslots(session, active_only=not include_inactive)
    booked = await booking_facts.bookings_per_timeslot(
        session, service_date=day, timeslot_ids=[slot.id for slot in slots]
    )
    found = []
    for slot in slots:
        start, end = slot_window(slot, day, zone)
        found.append(SlotAvailability(slot, booked.get(slot.id, 0), start, end))
    return day, zone, found


async def get_timeslot(session: AsyncSession, *, timeslot_id: int) -> Timeslot:
    return await repository.load(session, Timeslot, timeslot_id, what="Timeslot")


async def create_timeslot(
    session: AsyncSession,
    principal: Principal,
    *,
    start_time: time,
    end_time: time,
    capacity: int,
    is_active: bool,
) -> Timeslot:
    await _check_window(session, start_time, end_time, except_id=None)
    slot = Timeslot(
        start_time=start_time, end_time=end_time, capacity=capacity, is_active=is_active
    )
    session.add(slot)
    await session.flush()
    return slot


async def update_timeslot(
    session: AsyncSession,
    principal: Principal,
    *,
    timeslot_id: int,
    start_time: time | None = None,
    end_time: time | None = None,
    capacity: int | None = None,
    is_active: bool | None = None,
) -> Timeslot:
    """Lowering capacity below what is booked is allowed: availability shows 0, never less."""
    slot = await get_timeslot(session, timeslot_id=timeslot_id)
    start, end = start_time or slot.start_time, end_time or slot.end_time
    if (start, end) != (slot.start_time, slot.end_time):
        await _check_window(session, start, end, except_id=slot.id)
        slot.start_time, slot.end_time = start, end
    if capacity is not None:
        slot.capacity = capacity
    if is_active is not None:
        slot.is_active = is_active
    slot.updated_at = utcnow()
    await session.flush()
    return slot


async def delete_timeslot(session: AsyncSession, principal: Principal, *, timeslot_id: int) -> None:
    """A slot that bookings refer to cannot be deleted; deactivate it instead."""
    await session.delete(await get_timeslot(session, timeslot_id=timeslot_id))
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"Timeslot {timeslot_id} is used by bookings; deactivate it instead"
        ) from error


async def _check_window(
    session: AsyncSession, start: time, end: time, *, except_id: int | None
) -> None:
    if end <= start:
        raise BusinessRuleViolation(
            "A timeslot must end after it starts",
            fields=[FieldError("end_time", "must be after start_time")],
        )
    if await repository.timeslot_taken(session, start=start, end=end, except_id=except_id):
        raise Conflict(f"A timeslot {start:%H:%M}-{end:%H:%M} already exists")


# -- work statuses -------------------------------------------------------------------------


async def list_statuses(session: AsyncSession) -> list[WorkStatus]:
    return await repository.list_statuses(session)


async def get_status(session: AsyncSession, *, status_id: int) -> WorkStatus:
    """For progress updates: the status named by ``status_id`` (404 when unknown)."""
    return await repository.load(session, WorkStatus, status_id, what="Status")


async def create_status(
    session: AsyncSession,
    principal: Principal,
    *,
    code: str,
    name: str,
    description: str,
    sort_order: int,
    is_final: bool,
) -> WorkStatus:
    """Status codes are unique slugs (``in-progress``)."""
    if await repository.status_code_taken(session, code):
        raise Conflict(f"Status '{code}' already exists")
    status = WorkStatus(
        code=code, name=name, description=description, sort_order=sort_order, is_final=is_final
    )
    session.add(status)
    await session.flush()
    return status
