"""Moving a booking to another free slot before work starts: free while no mechanic is
assigned, after that the cancellation fee (collected the same way, ``fees``); the new slot
must not have begun, must have room, and must fit the assigned mechanic's jobs per slot."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import BusinessRuleViolation, FieldError
from evcare.identity.principal import Principal
from evcare.service import scheduling
from evcare.service.bookings import fees, lifecycle
from evcare.service.bookings.cancellation import CANCELLABLE
from evcare.service.bookings.intake import check_service_date, take_slot
from evcare.service.bookings.models import BookingStatus, FeeKind
from evcare.service.bookings.views import BookingView, view_of

S = BookingStatus


async def reschedule_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    timeslot_id: int,
    service_date: date | None,
    reason: str,
    fee_percent: int,
) -> BookingView:
    """The customer (or an admin) moves the booking; the timeline says from where to where."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    if booking.status not in CANCELLABLE:
        raise lifecycle.refuse(booking, "reschedule (work has started or the booking is closed)")
    zone = await scheduling.workshop_zone(session)
    day = check_service_date(service_date or booking.service_date, zone)
    if (timeslot_id, day) == (booking.timeslot_id, booking.service_date):
        raise BusinessRuleViolation(
            "The booking is already in that slot",
            fields=[FieldError("timeslot_id", "choose another slot or date")],
        )
    await take_slot(
        session, timeslot_id=timeslot_id, day=day, zone=zone, mechanic_id=booking.mechanic_id
    )
    before = f"{booking.service_date.isoformat()} slot {booking.timeslot_id}"
    charged = ""
    if booking.status != S.CREATED:
        amount, gst = fees.fee_of(await view_of(session, booking), fee_percent)
        fee = await fees.charge_fee(
            session, booking, kind=FeeKind.RESCHEDULE, amount=amount, gst=gst
        )
        if fee is not None:
            charged = f"; fee {booking.currency} {amount.to_major():,} ({fee.status})"
    booking.timeslot_id = timeslot_id
    booking.service_date = day
    after = f"{day.isoformat()} slot {timeslot_id}"
    text = f"rescheduled from {before} to {after}{charged}" + (f": {reason}" if reason else "")
    await lifecycle.note(session, booking, actor=principal.user_id, note=text)
    await lifecycle.tell_customer(
        session,
        booking,
        title="Booking rescheduled",
        message=f"Booking {booking.id} is now on {day.isoformat()} (slot {timeslot_id}).",
        data={"service_date": day.isoformat(), "timeslot_id": timeslot_id},
    )
    return await view_of(session, booking)
