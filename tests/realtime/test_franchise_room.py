"""Franchise staff hear the live events of their franchise's stations, and nothing else of
the brand: a real socket.io client, a real OCPP charger."""

from __future__ import annotations

import asyncio

import httpx
from ocpp.v16 import call

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.franchises import hand, make_franchise, make_staff
from tests.factories.identity import login, make_user
from tests.factories.ocpp import connect, make_charger
from tests.factories.realtime import connected
from tests.realtime.test_session_events import driver_with_tag, start_session


async def status(cp: object, value: str) -> None:
    await cp.call(  # type: ignore[attr-defined]
        call.StatusNotification(connector_id=1, error_code="NoError", status=value)
    )


async def test_franchise_staff_hear_their_franchises_chargers_and_not_another_franchises(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise_a = await make_franchise(runtime, brand)
    franchise_b = await make_franchise(runtime, brand)
    charger_a = await make_charger(runtime, owner=brand)
    charger_b = await make_charger(runtime, owner=brand)
    brands_own = await make_charger(runtime, owner=brand)  # kept by the brand
    await hand(runtime, charger_a.station_id, franchise_a)
    await hand(runtime, charger_b.station_id, franchise_b)
    staff_a = await make_staff(runtime, franchise_a)
    staff_b = await make_staff(runtime, franchise_b)
    _, tag, _ = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=await login(client, staff_a)) as socket_a,
        connected(live_server, token=await login(client, staff_b)) as socket_b,
        connected(live_server, token=await login(client, brand)) as brand_socket,
        connect(live_server, charger_b.charge_point_id) as cp_b,
        connect(live_server, brands_own.charge_point_id) as cp_own,
        connect(live_server, charger_a.charge_point_id) as cp_a,
    ):
        await status(cp_b, "Faulted")
        await status(cp_own, "Faulted")
        await status(cp_a, "Preparing")
        heard_a = await socket_a.next("charger-status")
        assert heard_a["chargerId"] == charger_a.charge_point_id
        assert set(heard_a) == {"chargerId", "status", "connectors"}
        heard_b = await socket_b.next("charger-status")
        assert heard_b["chargerId"] == charger_b.charge_point_id
        await start_session(cp_a, tag)
        started = await socket_a.next("session-started")
        assert started["session"]["chargerId"] == charger_a.charge_point_id
        # The brand hears all three of its chargers, handed over or not.
        brand_heard: set[str] = set()
        while len(brand_heard) < 3:
            brand_heard.add((await brand_socket.next("charger-status"))["chargerId"])
        await asyncio.sleep(0.2)  # anything else on its way would have arrived by now
    heard_by_a = [heard_a, *socket_a.received("charger-status")]
    heard_by_b = [heard_b, *socket_b.received("charger-status")]
    assert {e["chargerId"] for e in heard_by_a} == {charger_a.charge_point_id}
    assert {e["chargerId"] for e in heard_by_b} == {charger_b.charge_point_id}
    assert socket_b.received("session-started") == []


async def test_staff_of_a_suspended_franchise_hear_nothing_of_its_stations(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    suspended = await make_franchise(runtime, brand, status="suspended")
    charger = await make_charger(runtime, owner=brand)
    await hand(runtime, charger.station_id, suspended)
    staff = await make_staff(runtime, suspended)
    admin = await make_user(runtime, role=Role.ADMIN)
    async with (
        connected(live_server, token=await login(client, staff)) as socket,
        connected(live_server, token=await login(client, admin)) as admin_socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        await status(cp, "Preparing")
        await admin_socket.next("charger-status")
        await asyncio.sleep(0.2)
    assert socket.received("charger-status") == []
