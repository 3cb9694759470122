"""The bookings' answers to what the catalogue asks (``service.booking_facts``),
registered when this package is imported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import Conflict
from evcare.service import booking_facts
from evcare.service.bookings import repository
from evcare.vehicles import holds


class _Facts:
    async def customer_completed_service(
        self, session: AsyncSession, *, user_id: int, service_id: int
    ) -> bool:
        return await repository.customer_completed_service(
            session, user_id=user_id, service_id=service_id
        )

    async def bookings_per_timeslot(
        self, session: AsyncSession, *, service_date: date, timeslot_ids: Sequence[int]
    ) -> dict[int, int]:
        return await repository.bookings_per_timeslot(
            session, service_date=service_date, timeslot_ids=timeslot_ids
        )


booking_facts.provide(_Facts())


async def _vehicle_in_open_booking(session: AsyncSession, vehicle_id: int) -> None:
    """A car with an open booking (neither paid nor cancelled) cannot be deleted."""
    open_bookings = await repository.open_bookings_of(session, vehicle_id=vehicle_id)
    if open_bookings:
        booking = open_bookings[0]
        raise Conflict(
            f"Vehicle {vehicle_id} is on open booking {booking.id} ({booking.status}): "
            "cancel or finish it first",
            booking_id=booking.id,
        )


holds.on_vehicle_deleting(_vehicle_in_open_booking)
