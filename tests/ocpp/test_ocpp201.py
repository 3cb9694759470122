"""OCPP 2.0.1 end to end: TransactionEvent makes and closes sessions; remote start/stop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from ocpp.v201 import call
from sqlalchemy import func, select

from evcare.charging import events
from evcare.charging.sessions.models import ChargingSession, MeterValue
from evcare.charging.stations.models import Connector
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.ocpp.registry import registry_of
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, make_charger, make_driver, make_id_tag


async def test_transaction_events_make_a_session_with_the_chargers_times_and_energy(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime, base_price_minor=2400)
    driver = await make_driver(runtime)
    tag = await make_id_tag(runtime, driver)
    start = datetime(2026, 4, 2, 8, 30, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        boot = await cs.call(
            call.BootNotification(
                charging_station={"model": "Terra DC", "vendor_name": "ABB"}, reason="PowerUp"
            )
        )
        assert boot.status == "Accepted"
        await cs.call(
            call.StatusNotification(
                timestamp="2026-04-02T08:29:00Z",
                connector_status="Occupied",
                evse_id=1,
                connector_id=1,
            )
        )
        auth = await cs.call(call.Authorize(id_token={"id_token": tag, "type": "ISO14443"}))
        assert auth.id_token_info["status"] == "Accepted"
        started = await cs.transaction_event(
            "Started", "tx-201-a", energy_wh=5000, id_token=tag, at=start
        )
        assert started.id_token_info["status"] == "Accepted"
        await cs.transaction_event(
            "Updated", "tx-201-a", energy_wh=9000, power_w=11000, at=start + timedelta(minutes=20)
        )
        await cs.transaction_event(
            "Ended",
            "tx-201-a",
            energy_wh=15000,
            at=start + timedelta(minutes=50),
            stopped_reason="EVDisconnected",
        )
    async with runtime.sessionmaker() as session:
        row = (await session.scalars(select(ChargingSession))).one()
        connector = await session.scalar(
            select(Connector).where(
                Connector.charger_id == charger.id, Connector.connector_number == 1
            )
        )
    assert connector is not None and connector.status == "Occupied"
    assert row.transaction_id == "tx-201-a"
    assert (row.started_at, row.ended_at) == (start, start + timedelta(minutes=50))
    assert (row.meter_start_wh, row.meter_stop_wh, row.energy_wh) == (5000, 15000, 10000)
    assert row.cost_minor == 24_000
    assert row.stop_reason == "EVDisconnected"
    token = await login(client, driver)
    cdr = await client.get(f"/api/v1/sessions/{row.id}/cdr", headers=bearer(token))
    assert cdr.status_code == 200, cdr.text
    body = cdr.json()["data"]["cdr"]
    assert body["energyConsumed"] == 10.0
    assert body["duration"] == 50.0
    assert body["totalCost"] == 240
    assert body["pricing"] == {
        "energyRate": 24,
        "totalEnergyCost": 240,
        "parkingFee": 0,
        "gst": 36.61,  # prices include GST: 240 x 18/118
    }


async def test_brand_starts_and_stops_a_session_through_a_201_charger(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    driver = await make_driver(runtime)
    headers = bearer(await login(client, brand))
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        started = await client.post(
            "/api/v1/sessions",
            json={"chargerId": charger.charge_point_id, "connectorId": 1, "userId": str(driver.id)},
            headers=headers,
        )
        assert started.status_code == 201, started.text
        session = started.json()["data"]["session"]
        assert session["status"] == "active"
        assert session["userId"] == str(driver.id)
        assert session["meterStart"] == 2000
        assert cs.received[0][0] == "RequestStartTransaction"
        stopped = await client.post(
            f"/api/v1/sessions/{session['sessionId']}/stop",
            json={"reason": "Operator"},
            headers=headers,
        )
        assert stopped.status_code == 200, stopped.text
    data = stopped.json()["data"]
    assert data["session"]["status"] == "completed"
    assert data["session"]["meterStop"] == 9000
    assert data["session"]["stopReason"] == "Operator"
    assert data["cdr"]["energyConsumed"] == 7.0
    assert data["cdr"]["totalCost"] == 140


async def test_replayed_transaction_events_change_nothing(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime, base_price_minor=1000)
    tag = await make_id_tag(runtime, await make_driver(runtime))
    start = datetime(2026, 4, 5, 12, 0, tzinfo=UTC)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        for _ in range(2):
            await cs.transaction_event("Started", "tx-r", energy_wh=1000, id_token=tag, at=start)
        for _ in range(2):
            await cs.transaction_event(
                "Ended", "tx-r", energy_wh=4000, at=start + timedelta(minutes=15)
            )
        await cs.transaction_event("Ended", "tx-r", energy_wh=9000, at=start + timedelta(hours=1))
    async with runtime.sessionmaker() as session:
        rows = (await session.scalars(select(ChargingSession))).all()
        topics = (
            await session.scalars(
                select(OutboxEvent.topic).where(OutboxEvent.topic.like("charging.session_%"))
            )
        ).all()
        readings = await session.scalar(select(func.count()).select_from(MeterValue))
    assert len(rows) == 1
    assert (rows[0].energy_wh, rows[0].cost_minor) == (3000, 3000)
    assert rows[0].ended_at == start + timedelta(minutes=15)
    assert readings == 2
    assert sorted(topics) == sorted(
        [
            events.SESSION_STARTED,
            events.SESSION_UPDATED,
            events.SESSION_UPDATED,
            events.SESSION_STOPPED,
        ]
    )


async def test_boot_and_status_announce_the_charger_with_its_connectors(
    live_server: str, runtime: Runtime
) -> None:
    charger = await make_charger(runtime)
    async with connect(live_server, charger.charge_point_id, subprotocol="ocpp2.0.1") as cs:
        await cs.call(
            call.StatusNotification(
                timestamp="2026-04-02T08:29:00Z",
                connector_status="Faulted",
                evse_id=2,
                connector_id=1,
            )
        )
    assert await registry_of(runtime).wait_idle()  # the server has noticed the close
    async with runtime.sessionmaker() as session:
        payloads = (
            await session.scalars(
                select(OutboxEvent.payload)
                .where(OutboxEvent.topic == events.CHARGER_STATUS)
                .order_by(OutboxEvent.created_at)
            )
        ).all()
    statuses = [p["status"] for p in payloads]
    assert "Online" in statuses and statuses[-1] == "Offline"
    faulted = next(p for p in payloads if any(c["status"] == "Faulted" for c in p["connectors"]))
    assert faulted["chargerId"] == charger.charge_point_id
    assert {c["connectorId"]: c["status"] for c in faulted["connectors"]} == {
        1: "Available",
        2: "Faulted",
    }
