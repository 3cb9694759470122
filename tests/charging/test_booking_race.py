"""Bookings racing for one slot (meant for PostgreSQL, where the requests really run in
parallel; SQLite serialises writers and must give the same answer): one wins."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from evcare.charging.bookings.models import ConnectorBooking
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from tests.factories.connector_bookings import BOOKINGS, booking_body, driver
from tests.factories.ocpp import make_charger
from tests.factories.wallet import balance_minor


async def test_of_bookings_racing_for_one_slot_exactly_one_wins_and_only_it_pays(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    drivers = [await driver(runtime, client) for _ in range(8)]
    charger = await make_charger(runtime)
    at = utcnow() + timedelta(hours=1)
    # Overlapping windows, none the same: only the lock on the connector keeps them apart.
    responses = await asyncio.gather(
        *[
            client.post(
                BOOKINGS,
                json=booking_body(charger, who.vehicle, at=at + timedelta(minutes=n), minutes=30),
                headers=who.headers,
            )
            for n, who in enumerate(drivers)
        ]
    )
    statuses = [r.status_code for r in responses]
    assert sorted(statuses) == [201] + [409] * 7, [r.text for r in responses]
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ConnectorBooking))).all()
    winner = drivers[statuses.index(201)]
    assert [row.user_id for row in rows] == [winner.user.id]
    for who in drivers:
        expected = 95_000 if who is winner else 100_000
        assert await balance_minor(runtime, who.user) == expected
