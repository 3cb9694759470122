"""``booking-reminder {booking}``: the driver's sockets hear it 15 minutes before the
start, once, however many job runs (or server processes) race for it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from evcare.charging.bookings import jobs
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.ocpp.registry import registry_of
from tests.factories.connector_bookings import BOOKINGS, book, driver
from tests.factories.ocpp import make_charger
from tests.factories.realtime import connected


async def tick(runtime: Runtime) -> jobs.Outcome:
    """One run of the bookings job, reaching the chargers through this process's registry."""
    return await jobs.run_once(runtime, registry_of(runtime))


async def test_the_reminder_reaches_the_driver_15_minutes_before_the_start_once(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient, frozen_clock: None
) -> None:
    who, bystander = await driver(runtime, client), await driver(runtime, client)
    charger = await make_charger(runtime)
    booking = await book(client, who, charger, at=utcnow() + timedelta(minutes=20), minutes=30)
    cancelled = await book(client, who, charger, at=utcnow() + timedelta(minutes=55))
    await client.put(
        f"{BOOKINGS}/{cancelled['id']}/cancel", json={"reason": "x"}, headers=who.headers
    )
    async with (
        connected(live_server, token=who.token) as socket,
        connected(live_server, token=bystander.token) as other,
    ):
        assert (await tick(runtime)).reminded == []  # 20 minutes ahead: not yet
        clock.advance(timedelta(minutes=5, seconds=1))
        # Several processes' jobs at once: one conditional UPDATE each, one winner.
        runs = await asyncio.gather(*[jobs.send_reminders(runtime) for _ in range(4)])
        assert sorted(key for run in runs for key in run) == [int(booking["id"])]
        reminder = await socket.next("booking-reminder")
        assert reminder["booking"]["id"] == booking["id"]
        assert reminder["booking"]["bookingNumber"] == booking["bookingNumber"]
        assert reminder["booking"]["status"] == "confirmed"
        assert reminder["booking"]["scheduledTime"] == booking["scheduledTime"]
        assert reminder["booking"]["logs"][-1]["event"] == "reminder-sent"
        clock.advance(timedelta(minutes=30))  # the cancelled one is never reminded
        assert (await tick(runtime)).reminded == []
        await runtime.outbox.drain()
        await asyncio.sleep(0.3)
        assert socket.received("booking-reminder") == []
        assert other.received("booking-reminder") == []
