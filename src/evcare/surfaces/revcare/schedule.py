"""RevCare utility endpoints: ``/utils/status`` (work-status master) and
``/utils/timeslot`` (slots with capacity; ``GET`` gives availability for a date)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends, Query
from pydantic import BeforeValidator, Field, field_validator

from evcare.core.clock import utcnow
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import scheduling
from evcare.service.models import Timeslot, WorkStatus
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import TimeslotId
from evcare.surfaces.revcare.booking_schemas import spelled
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel
from evcare.surfaces.revcare.visitor import Visitor
from evcare.surfaces.times import IsoDate, UtcTimeOfDay

router = APIRouter(prefix="/utils", tags=["utils"], route_class=TransactionalRoute)

SettingsAdmin = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_SETTINGS))]
Capacity = Annotated[int, Field(ge=0, le=1000)]


def _slug(value: object) -> object:
    """Either spelling is accepted (``waiting_for_parts`` or ``waiting-for-parts``); the
    master keeps one (hyphens) so both name the same status."""
    return value.strip().lower().replace("_", "-") if isinstance(value, str) else value


class StatusIn(RevIn):
    code: Annotated[
        str,
        BeforeValidator(_slug),
        Field(pattern=r"^[a-z][a-z0-9-]{1,39}$", description="e.g. waiting_for_parts"),
    ]
    name: str = Field(min_length=1, max_length=80)
    description: str = Field(default="", max_length=500)
    sort_order: int = Field(default=0, ge=0, le=1000)
    is_final: bool = False


class StatusOut(RevModel):
    id: int
    code: str
    name: str
    description: str
    sort_order: int
    is_final: bool

    @classmethod
    def of(cls, status: WorkStatus) -> StatusOut:
        """Shown in the one spelling of every RevCare status (``in_progress``)."""
        shown = cls.model_validate(status)
        shown.code = spelled(status.code)
        return shown


class TimeslotIn(RevIn):
    start_time: UtcTimeOfDay
    end_time: UtcTimeOfDay
    capacity: Capacity
    is_active: bool = True


class TimeslotUpdate(RevIn):
    start_time: UtcTimeOfDay | None = None
    end_time: UtcTimeOfDay | None = None
    capacity: Capacity | None = None
    is_active: bool | None = None


class TimeslotOut(RevModel):
    id: int
    start_time: str
    end_time: str
    capacity: int
    is_active: bool

    @classmethod
    def of(cls, slot: Timeslot) -> TimeslotOut:
        return cls(
            id=slot.id,
            start_time=f"{slot.start_time:%H:%M}",
            end_time=f"{slot.end_time:%H:%M}",
            capacity=slot.capacity,
            is_active=slot.is_active,
        )


class SlotAvailabilityOut(TimeslotOut):
    date: dt.date
    booked: int
    available: int
    time_zone: str = Field(description="the workshop's time zone (IANA)")
    starts_at: dt.datetime = Field(description="in the workshop's time zone, with its offset")
    ends_at: dt.datetime
    begun: bool = Field(description="a slot that has begun cannot be booked")

    @classmethod
    def of_availability(
        cls, item: scheduling.SlotAvailability, on: dt.date, zone: str
    ) -> SlotAvailabilityOut:
        return cls(
            **TimeslotOut.of(item.timeslot).model_dump(),
            date=on,
            booked=item.booked,
            available=item.available,
            time_zone=zone,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            begun=item.begun,
        )


class TimeZoneIn(RevIn):
    time_zone: str = Field(max_length=64, description="IANA time zone, e.g. Asia/Kolkata")

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in available_timezones():
            raise ValueError("not an IANA time zone (such as Asia/Kolkata)")
        return value


class TimeZoneOut(RevModel):
    time_zone: str
    utc_offset: str = Field(description="the offset in force now, e.g. +05:30")
    local_time: dt.datetime


def _zone_out(zone: ZoneInfo) -> TimeZoneOut:
    now = utcnow().astimezone(zone)
    return TimeZoneOut(time_zone=zone.key, utc_offset=now.isoformat()[-6:], local_time=now)


# -- statuses ------------------------------------------------------------------------------


@router.get("/status", operation_id="revcare_list_statuses")
async def list_statuses(session: SessionDep) -> list[StatusOut]:
    return [StatusOut.of(status) for status in await scheduling.list_statuses(session)]


@router.post("/status", status_code=201, operation_id="revcare_create_status")
async def create_status(body: StatusIn, principal: SettingsAdmin, session: SessionDep) -> StatusOut:
    return StatusOut.of(await scheduling.create_status(session, principal, **body.model_dump()))


# -- timeslots -----------------------------------------------------------------------------


@router.get("/timeslot", operation_id="revcare_timeslot_availability")
async def timeslot_availability(
    session: SessionDep,
    visitor: Visitor,
    on: Annotated[
        IsoDate | None,
        Query(alias="date", description="YYYY-MM-DD in the workshop's time zone; today there"),
    ] = None,
    include_inactive: Annotated[bool, Query(description="admins only")] = False,
) -> list[SlotAvailabilityOut]:
    day, zone, slots = await scheduling.availability(
        session,
        service_date=on,
        include_inactive=include_inactive and visitor is not None and visitor.is_admin,
    )
    return [SlotAvailabilityOut.of_availability(item, day, zone.key) for item in slots]


@router.get("/time-zone", operation_id="revcare_workshop_time_zone")
async def workshop_time_zone(session: SessionDep) -> TimeZoneOut:
    """The workshop's time zone: slots are shown and taken in it."""
    return _zone_out(await scheduling.workshop_zone(session))


@router.put("/time-zone", operation_id="revcare_set_workshop_time_zone")
async def set_workshop_time_zone(
    body: TimeZoneIn, principal: SettingsAdmin, session: SessionDep
) -> TimeZoneOut:
    return _zone_out(await scheduling.set_workshop_zone(session, principal, name=body.time_zone))


@router.post("/timeslot", status_code=201, operation_id="revcare_create_timeslot")
async def create_timeslot(
    body: TimeslotIn, principal: SettingsAdmin, session: SessionDep
) -> TimeslotOut:
    return TimeslotOut.of(await scheduling.create_timeslot(session, principal, **body.model_dump()))


@router.put("/timeslot/{timeslot_id}", operation_id="revcare_update_timeslot")
async def update_timeslot(
    timeslot_id: TimeslotId, body: TimeslotUpdate, principal: SettingsAdmin, session: SessionDep
) -> TimeslotOut:
    slot = await scheduling.update_timeslot(
        session, principal, timeslot_id=timeslot_id, **body.model_dump(exclude_none=True)
    )
    return TimeslotOut.of(slot)


@router.delete("/timeslot/{timeslot_id}", operation_id="revcare_delete_timeslot")
async def delete_timeslot(
    timeslot_id: TimeslotId, principal: SettingsAdmin, session: SessionDep
) -> Message:
    await scheduling.delete_timeslot(session, principal, timeslot_id=timeslot_id)
    return Message(message="Timeslot deleted")
