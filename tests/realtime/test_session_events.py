"""Live charging events reach the right sockets: driven by a real OCPP 1.6 charge point.

"Does not receive" is asserted without waiting on the clock: the other party's event is
caused first, then the listener's own; events are delivered in commit order, so the first
event the listener gets is its own exactly when nothing of the other party's reached it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from ocpp.v16 import call

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.identity import login, make_user
from tests.factories.ocpp import connect, iso, make_charger, make_driver, make_id_tag
from tests.factories.realtime import connected

START = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


async def start_session(cp: Any, tag: str, *, meter_start: int = 10_000) -> int:
    started = await cp.call(
        call.StartTransaction(
            connector_id=1, id_tag=tag, meter_start=meter_start, timestamp=iso(START)
        )
    )
    assert started.id_tag_info["status"] == "Accepted"
    transaction_id: int = started.transaction_id
    return transaction_id


async def report_meter(cp: Any, transaction_id: int, *, wh: int, kw: str) -> None:
    await cp.call(
        call.MeterValues(
            connector_id=1,
            transaction_id=transaction_id,
            meter_value=[
                {
                    "timestamp": iso(START + timedelta(minutes=10)),
                    "sampled_value": [
                        {"value": str(wh), "measurand": "Energy.Active.Import.Register"},
                        {"value": kw, "measurand": "Power.Active.Import", "unit": "kW"},
                    ],
                }
            ],
        )
    )


async def stop_session(cp: Any, transaction_id: int, *, meter_stop: int) -> None:
    await cp.call(
        call.StopTransaction(
            meter_stop=meter_stop,
            timestamp=iso(START + timedelta(minutes=30)),
            transaction_id=transaction_id,
            reason="Local",
        )
    )


async def driver_with_tag(runtime: Runtime, client: httpx.AsyncClient) -> tuple[User, str, str]:
    driver = await make_driver(runtime)
    return driver, await make_id_tag(runtime, driver), await login(client, driver)


async def test_driver_follows_their_session_from_start_to_stop(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    driver, tag, token = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        transaction_id = await start_session(cp, tag)
        started = await socket.next("session-started")
        session = started["session"]
        assert session["userId"] == str(driver.id)
        assert session["chargerId"] == charger.charge_point_id
        assert session["status"] == "active"

        await report_meter(cp, transaction_id, wh=13_000, kw="22.5")
        update = await socket.next("session-update")
        assert update["sessionId"] == session["sessionId"]
        assert update["status"] == "active"
        assert update["meterValue"] == 13_000
        assert update["power"] == 22.5

        await stop_session(cp, transaction_id, meter_stop=16_000)
        stopped = await socket.next("session-stopped")
    assert set(stopped) == {"session", "cdr"}
    assert stopped["session"]["sessionId"] == session["sessionId"]
    assert stopped["session"]["status"] == "completed"
    assert stopped["cdr"] is not None


async def test_driver_does_not_hear_another_drivers_session(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    first, second = await make_charger(runtime), await make_charger(runtime)
    _, other_tag, _ = await driver_with_tag(runtime, client)
    driver, tag, token = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, first.charge_point_id) as other_cp,
        connect(live_server, second.charge_point_id) as own_cp,
    ):
        other_transaction = await start_session(other_cp, other_tag)
        await report_meter(other_cp, other_transaction, wh=11_000, kw="7.0")
        await stop_session(other_cp, other_transaction, meter_stop=12_000)
        await start_session(own_cp, tag)
        started = await socket.next("session-started")
        assert started["session"]["userId"] == str(driver.id)
    assert socket.received("session-update") == []
    assert socket.received("session-stopped") == []


async def test_brand_hears_sessions_and_status_of_its_own_chargers_only(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    own = await make_charger(runtime, owner=brand)
    foreign = await make_charger(runtime)
    _, tag, _ = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=await login(client, brand)) as socket,
        connect(live_server, foreign.charge_point_id) as foreign_cp,
        connect(live_server, own.charge_point_id) as own_cp,
    ):
        await foreign_cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Faulted")
        )
        await start_session(foreign_cp, tag)
        await own_cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        status = await socket.next("charger-status")
        assert status["chargerId"] == own.charge_point_id
        assert set(status) == {"chargerId", "status", "connectors"}
        assert isinstance(status["connectors"], list)
        await start_session(own_cp, tag)
        started = await socket.next("session-started")
    assert started["session"]["chargerId"] == own.charge_point_id


async def test_admin_hears_every_chargers_status(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    charger = await make_charger(runtime)
    async with (
        connected(live_server, token=await login(client, admin)) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        status = await socket.next("charger-status")
    assert status["chargerId"] == charger.charge_point_id


async def test_driver_hears_nothing_of_charger_status(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    _, tag, token = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, charger.charge_point_id) as cp,
    ):
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing")
        )
        await start_session(cp, tag)
        await socket.next("session-started")
    assert socket.received("charger-status") == []


async def test_driver_follows_a_201_session_from_started_to_ended(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    driver, tag, token = await driver_with_tag(runtime, client)
    async with (
        connected(live_server, token=token) as socket,
        connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs,
    ):
        await cs.transaction_event("Started", "tx-live-201", energy_wh=4000, id_token=tag, at=START)
        started = await socket.next("session-started")
        session = started["session"]
        assert (session["userId"], session["status"]) == (str(driver.id), "active")
        await cs.transaction_event(
            "Updated",
            "tx-live-201",
            energy_wh=9000,
            power_w=11000,
            at=START + timedelta(minutes=20),
        )
        first = await socket.next("session-update")  # the reading Started carried
        update = await socket.next("session-update")
        assert first["sessionId"] == update["sessionId"] == session["sessionId"]
        assert first["meterValue"] == 4000
        assert (update["meterValue"], update["power"]) == (9000, 11.0)
        await cs.transaction_event(
            "Ended", "tx-live-201", energy_wh=12000, at=START + timedelta(minutes=40)
        )
        stopped = await socket.next("session-stopped")
    assert stopped["session"]["status"] == "completed"
    assert stopped["cdr"]["energyConsumed"] == 8.0
    view = await client.get(
        f"/api/v1/sessions/{session['sessionId']}", headers={"Authorization": f"Bearer {token}"}
    )
    assert view.status_code == 200
    assert view.json()["data"]["session"]["status"] == "completed"
