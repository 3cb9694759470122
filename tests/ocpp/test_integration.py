"""A charger registered over REST connects with its shown-once password; its session is
announced through the event contract the realtime fan-out builds on."""

from __future__ import annotations

import httpx
from ocpp.v16 import call
from sqlalchemy import select

from evcare.charging import events
from evcare.charging.chargers.models import Charger
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, make_charger, make_driver


async def test_a_charger_registered_over_rest_connects_with_its_password(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    existing = await make_charger(runtime, owner=brand)
    headers = bearer(await login(client, brand))
    registered = await client.post(
        "/api/v1/chargers",
        json={
            "chargerId": "EVC-REST-001",
            "name": "Bay 2",
            "stationId": str(existing.station_id),
            "manufacturer": "Delta",
            "model": "DC Wallbox",
        },
        headers=headers,
    )
    assert registered.status_code == 201, registered.text
    password = registered.json()["data"]["ocppPassword"]
    async with connect(live_server, "EVC-REST-001", password=password) as cp:
        boot = await cp.call(
            call.BootNotification(charge_point_model="DC Wallbox", charge_point_vendor="Delta")
        )
        assert boot.status == "Accepted"
        async with runtime.sessionmaker() as session:
            row = await session.scalar(
                select(Charger).where(Charger.charge_point_id == "EVC-REST-001")
            )
        assert row is not None and row.status == "Online" and row.ocpp_protocol == "ocpp1.6"


async def test_a_remote_started_16_session_is_announced_started_updated_and_stopped(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand, base_price_minor=1500)
    driver = await make_driver(runtime)
    headers = bearer(await login(client, brand))
    async with connect(live_server, charger.charge_point_id) as cp:
        started = await client.post(
            "/api/v1/sessions",
            json={
                "chargerId": str(charger.id),
                "connectorId": 2,
                "userId": str(driver.id),
            },
            headers=headers,
        )
        assert started.status_code == 201, started.text
        session = started.json()["data"]["session"]
        assert session["connectorId"] == 2 and session["meterStart"] == 1000
        transaction = await cp.started.get()
        assert session["ocppTransactionId"] == transaction
        await cp.call(
            call.MeterValues(
                connector_id=2,
                transaction_id=transaction,
                meter_value=[
                    {
                        "timestamp": session["startTime"],
                        "sampled_value": [
                            {"value": "2500", "unit": "Wh"},
                            {"value": "7400", "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            )
        )
        stopped = await client.post(f"/api/v1/sessions/{session['id']}/stop", headers=headers)
    assert stopped.status_code == 200, stopped.text
    cdr = stopped.json()["data"]["cdr"]
    assert cdr["energyConsumed"] == 3.5 and cdr["totalCost"] == 52.5
    async with runtime.sessionmaker() as db:
        published = (
            await db.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.topic.like("charging.session_%"))
                .order_by(OutboxEvent.created_at)
            )
        ).all()
    topics = [event.topic for event in published]
    assert topics == [events.SESSION_STARTED, events.SESSION_UPDATED, events.SESSION_STOPPED]
    first, update, last = (event.payload for event in published)
    assert first["sessionId"] == session["sessionId"]
    assert first["userId"] == str(driver.id) and first["ownerId"] == str(brand.id)
    assert first["chargerId"] == charger.charge_point_id
    assert first["session"]["status"] == "active"
    assert (update["meterValue"], update["power"], update["status"]) == (2500, 7.4, "active")
    assert last["session"]["status"] == "completed"
    assert last["cdr"]["totalCost"] == 52.5
