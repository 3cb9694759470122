"""A fleet's maintenance request is announced when its booking changes state.

It follows the committed booking status event (the booking's state machine is the one
source of the request's status): created -> ``scheduled``, completed -> ``completed``,
any other step -> ``updated``; each is a :data:`TOPIC` event naming the fleet's
organization, which the webhooks deliver (``maintenance.*``). A booking that is no fleet's
request is nobody's maintenance and announces nothing here. A redelivered booking event
is handled again in the dispatcher's savepoint with the rest of its handlers, so it
announces once per handling that commits.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, publish, subscribe
from evcare.core.ids import format_public_id, parse_key
from evcare.service import fleet_maintenance_repository as repository
from evcare.service.bookings.lifecycle import STATUS_TOPIC
from evcare.service.bookings.models import BookingStatus

TOPIC = "service.fleet_maintenance_changed"


def vehicle_public_id(vehicle_id: int | None) -> str | None:
    """``VEH000012``: how EV-CMS and the hub name a vehicle."""
    return None if vehicle_id is None else format_public_id("VEH", vehicle_id)


def change_of(status: str) -> str:
    """What a booking status means for the maintenance request: its webhook's suffix."""
    if status == BookingStatus.CREATED:
        return "scheduled"
    if status == BookingStatus.COMPLETED:
        return "completed"
    return "updated"


async def announce_maintenance(session: AsyncSession, event: OutboxEvent) -> None:
    payload = event.payload
    # The same topic tells a mechanic of an assignment: that is not a status change.
    if payload.get("category") != "booking":
        return
    data = payload.get("data") or {}
    booking_id = parse_key(data.get("booking_id"))
    if booking_id is None:
        return
    maintenance = await repository.maintenance_of_booking(session, booking_id)
    if maintenance is None:
        return
    booking = await repository.booking_of(session, booking_id)
    status = str(data.get("status"))
    await publish(
        session,
        TOPIC,
        {
            "organizationId": maintenance.organization_id,
            "change": change_of(status),
            "maintenance": {
                "id": maintenance.id,
                "status": status,
                "previousStatus": data.get("previous_status"),
                "bookingId": str(booking_id),
                "workshopId": maintenance.workshop_id,
                "vehicleId": vehicle_public_id(booking.vehicle_id if booking else None),
                "preferredDate": booking.service_date.isoformat() if booking else None,
            },
        },
    )


def register() -> None:
    subscribe(STATUS_TOPIC, announce_maintenance)
