"""The bookings' answers to what the catalogue asks (``service.booking_facts``),
registered when this package is imported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.service import booking_facts
from evcare.service.bookings import repository


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
