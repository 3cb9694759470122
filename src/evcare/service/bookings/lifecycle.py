"""The booking state machine: every status change checked, written on the booking's
timeline and announced to the customer; and loading a booking for the actor who may move it.

A step asked of a booking in the wrong state is a 409 that names the state it is in.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, NotFound
from evcare.core.events import publish
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service.bookings import repository
from evcare.service.bookings.models import BookingEvent, BookingStatus, ServiceBooking

S = BookingStatus

STATUS_TOPIC = "service.booking_status_changed"
# News within a status the customer should hear of: an item's progress, a supplementary
# estimate awaiting approval, a reschedule.
UPDATE_TOPIC = "service.booking_updated"
MESSAGES = {
    S.CREATED: ("Booking received", "We have your booking and will assign a mechanic soon."),
    S.MECHANIC_ASSIGNED: ("Mechanic assigned", "A mechanic has been assigned to your booking."),
    S.ANALYSIS_SUBMITTED: ("Inspection done", "The mechanic has inspected your vehicle."),
    S.ANALYSIS_APPROVED: (
        "Estimate ready",
        "Your estimate is ready: confirm the services you want and how you will pay.",
    ),
    S.SERVICES_CONFIRMED: ("Services confirmed", "Thank you: the work is scheduled."),
    S.IN_PROGRESS: ("Work started", "Work on your vehicle has started."),
    S.COMPLETED: ("Ready for delivery", "Your vehicle is ready for delivery; payment is now due."),
    S.PAID: ("Payment received", "Thank you, your payment has been received."),
    S.CANCELLED: ("Booking cancelled", "Your booking has been cancelled."),
}


def refuse(booking: ServiceBooking, action: str) -> Conflict:
    return Conflict(
        f"Booking {booking.id} is {booking.status}: cannot {action}",
        current_status=booking.status,
    )


def require(booking: ServiceBooking, allowed: set[BookingStatus], action: str) -> None:
    if booking.status not in allowed:
        raise refuse(booking, action)


async def record(
    session: AsyncSession,
    booking: ServiceBooking,
    to: BookingStatus,
    *,
    actor: int | None,
    note: str = "",
    first: bool = False,
    message: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Move ``booking`` to ``to``: timeline row, and the customer is told (after commit)."""
    previous = None if first else booking.status
    booking.status = to
    booking.updated_at = utcnow()
    await session.flush()
    session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=previous,
            to_status=to,
            actor_id=actor,
            note=note[:500],
        )
    )
    title, default = MESSAGES[to]
    await publish(
        session,
        STATUS_TOPIC,
        {
            "user_id": booking.customer_id,
            "category": "booking",
            "title": title,
            "message": message or default,
            "data": {
                "booking_id": booking.id,
                "status": str(to),
                "previous_status": previous,
                **(data or {}),
            },
        },
    )


async def tell_customer(
    session: AsyncSession,
    booking: ServiceBooking,
    *,
    title: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> None:
    """News within the booking's status, through the customer's channels (after commit)."""
    await publish(
        session,
        UPDATE_TOPIC,
        {
            "user_id": booking.customer_id,
            "category": "booking",
            "title": title,
            "message": message,
            "data": {"booking_id": booking.id, "status": booking.status, **(data or {})},
        },
    )


async def note(session: AsyncSession, booking: ServiceBooking, *, actor: int, note: str) -> None:
    """A timeline entry within the current status (an edit, a validated progress report)."""
    session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=booking.status,
            to_status=booking.status,
            actor_id=actor,
            note=note[:500],
        )
    )
    booking.updated_at = utcnow()
    await session.flush()


async def load(
    session: AsyncSession, principal: Principal, booking_id: int, *, lock: bool = True
) -> ServiceBooking:
    booking = await repository.get_booking(session, booking_id, principal=principal, lock=lock)
    if booking is None:
        raise NotFound(f"Booking {booking_id} not found")
    return booking


async def load_as_customer(
    session: AsyncSession, principal: Principal, booking_id: int
) -> ServiceBooking:
    """The caller's own booking (admins may act for the customer)."""
    booking = await load(session, principal, booking_id)
    if booking.customer_id != principal.user_id and not principal.has(Scope.MANAGE_BOOKINGS):
        raise NotFound(f"Booking {booking_id} not found")
    return booking


async def load_as_mechanic(
    session: AsyncSession, principal: Principal, booking_id: int
) -> ServiceBooking:
    """A booking assigned to the calling mechanic; anyone else's is a 404."""
    booking = await repository.get_booking(session, booking_id, principal=None, lock=True)
    if booking is None or booking.mechanic_id != principal.user_id:
        raise NotFound(f"Booking {booking_id} not found")
    return booking
