"""What the catalogue needs to know about bookings, answered by the bookings module.

Reviews need "did this customer complete a booking that included this service?" and
timeslot availability needs "how many bookings hold each slot on a date?". Bookings live
in their own module (which itself depends on the catalogue), so instead of importing it
here the bookings module registers its answers once with :func:`provide`. Until it has,
asking raises :class:`BookingFactsMissing`: a wiring error, never a silent "no".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


class BookingFacts(Protocol):
    async def customer_completed_service(
        self, session: AsyncSession, *, user_id: int, service_id: int
    ) -> bool:
        """True when ``user_id`` has a completed booking that included ``service_id``."""
        ...

    async def bookings_per_timeslot(
        self, session: AsyncSession, *, service_date: date, timeslot_ids: Sequence[int]
    ) -> dict[int, int]:
        """Bookings that hold each timeslot on ``service_date`` (cancelled ones excluded)."""
        ...


class BookingFactsMissing(RuntimeError):
    """The bookings module has not registered its answers (it was never imported)."""


_provider: BookingFacts | None = None


def provide(facts: BookingFacts) -> None:
    """Called once by the bookings module when it is imported."""
    global _provider
    _provider = facts


def _facts() -> BookingFacts:
    if _provider is None:
        raise BookingFactsMissing("no bookings module registered with evcare.service.booking_facts")
    return _provider


async def customer_completed_service(
    session: AsyncSession, *, user_id: int, service_id: int
) -> bool:
    return await _facts().customer_completed_service(
        session, user_id=user_id, service_id=service_id
    )


async def bookings_per_timeslot(
    session: AsyncSession, *, service_date: date, timeslot_ids: Sequence[int]
) -> dict[int, int]:
    if not timeslot_ids:
        return {}
    return await _facts().bookings_per_timeslot(
        session, service_date=service_date, timeslot_ids=timeslot_ids
    )
