"""Maintenance due: a fleet vehicle's service plan raises ``vehicle.maintenance_due`` once
per due point, from the odometer readings, the charging energy (6.5 km/kWh) and time;
the organization's webhook endpoint hears it, its fleet managers get a notice."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from evcare.charging import events as charging
from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from evcare.fleet import jobs, maintenance_due
from evcare.fleet.events import MAINTENANCE_DUE
from evcare.vehicles.fleet_models import MaintenanceDue
from evcare.vehicles.models import Vehicle
from tests.factories.fleet import add_vehicle, fleet_token
from tests.factories.ocpp import make_charger, make_driver, make_session
from tests.factories.webhooks import Receiver, create_webhook, deliver_all

BUNDLES = ["FLEET_MANAGER_ACCESS", "ORGANIZATION_ACCESS"]


async def _dues(runtime: Runtime, key: int) -> list[str]:
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(MaintenanceDue.due_point)
            .where(MaintenanceDue.vehicle_id == key)
            .order_by(MaintenanceDue.id)
        )
        return list(rows.all())


async def _announced(runtime: Runtime) -> list[dict]:  # type: ignore[type-arg]
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(OutboxEvent.payload)
            .where(OutboxEvent.topic == MAINTENANCE_DUE)
            .order_by(OutboxEvent.created_at)
        )
        return list(rows.all())


@pytest.mark.usefixtures("private_allowed")
async def test_odometer_readings_raise_each_due_point_once(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver
) -> None:
    created, fleet = await fleet_token(client, runtime, bundles=BUNDLES)
    integration_id = created["integration"]["id"]
    await create_webhook(
        client, fleet, integration_id, receiver.url(), events=["vehicle.maintenance_due"]
    )
    manager = await client.post(
        "/v1/organizations/me/accounts",
        headers=fleet,
        json={"email": "boss@fleet.example", "name": "Boss", "role": "FLEET_MANAGER"},
    )
    vehicle = await add_vehicle(client, fleet, odometerKm=9000, servicePlan={"everyKm": 10000})
    key = int(vehicle["id"][3:])
    url = f"/v1/fleet/vehicles/{vehicle['id']}"
    assert await _dues(runtime, key) == []
    for km in (10100, 10500, 10500):
        assert (await client.patch(url, headers=fleet, json={"odometerKm": km})).status_code == 200
    assert await _dues(runtime, key) == ["km:10000"]
    # A jump over several multiples raises the highest one.
    await client.patch(url, headers=fleet, json={"odometerKm": 31000})
    assert await _dues(runtime, key) == ["km:10000", "km:30000"]
    (first, _) = await _announced(runtime)
    assert first["id"] == vehicle["id"]
    assert first["resource"]["dueKm"] == 10000 and first["resource"]["reason"] == "distance"

    await deliver_all(runtime)
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["vehicle.maintenance_due"] * 2
    assert bodies[0]["data"]["resource"]["duePoint"] == "km:10000"
    async with runtime.sessionmaker() as session:
        notices = list(
            await session.scalars(
                select(Notification.title).where(
                    Notification.user_id == int(manager.json()["userId"]),
                    Notification.category == "maintenance",
                )
            )
        )
    assert len(notices) >= 2 and all(vehicle["registrationNumber"] in n for n in notices)


async def test_charging_energy_moves_the_estimate_past_a_due_point_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, fleet = await fleet_token(client, runtime, bundles=BUNDLES)
    put = await client.put(
        "/v1/fleet/settings", headers=fleet, json={"servicePlan": {"everyKm": 5000}}
    )
    assert put.status_code == 200, put.text
    vehicle = await add_vehicle(client, fleet, odometerKm=4950)
    key = int(vehicle["id"][3:])
    assert vehicle["servicePlan"] == {"everyKm": 5000, "everyMonths": None, "source": "fleet"}
    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    # 10 kWh after the reading: ~65 km, so about 5015 km.
    await make_session(
        runtime,
        charger,
        user=driver,
        started_at=utcnow() + timedelta(seconds=1),
        vehicle_id=key,
    )
    stopped = OutboxEvent(
        topic=charging.SESSION_STOPPED, payload={"session": {"vehicleId": str(key)}}
    )
    for _ in range(2):  # a redelivered event raises nothing twice
        async with runtime.sessionmaker() as session:
            await maintenance_due.check_after_session(session, stopped)
            await session.commit()
    assert await _dues(runtime, key) == ["km:5000"]
    facts = (await client.get(f"/v1/fleet/vehicles/{vehicle['id']}", headers=fleet)).json()
    assert facts["odometer"]["estimatedKm"] == 4950 + 65


async def test_a_months_plan_is_due_after_the_months_pass(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, fleet = await fleet_token(client, runtime, bundles=BUNDLES)
    vehicle = await add_vehicle(client, fleet)
    key = int(vehicle["id"][3:])
    url = f"/v1/fleet/vehicles/{vehicle['id']}"
    plan = {"servicePlan": {"everyMonths": 6}}
    assert (await client.patch(url, headers=fleet, json=plan)).status_code == 200
    assert await _dues(runtime, key) == []
    joined = utcnow() - timedelta(days=200)
    async with runtime.sessionmaker() as session:
        await session.execute(update(Vehicle).where(Vehicle.id == key).values(created_at=joined))
        await session.commit()
    # Time passed without any event: the periodic check finds it, once.
    assert [await jobs.check_once(runtime) for _ in range(2)] == [1, 0]
    assert (await client.patch(url, headers=fleet, json=plan)).status_code == 200
    due_on = maintenance_due.add_months(joined.date(), 6)
    assert await _dues(runtime, key) == [f"date:{due_on.isoformat()}"]
    (announced,) = await _announced(runtime)
    assert announced["resource"]["reason"] == "time"
    assert announced["resource"]["dueDate"] == due_on.isoformat()


def test_months_are_added_on_the_calendar() -> None:
    from datetime import date

    assert maintenance_due.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert maintenance_due.add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)


async def test_fleet_settings_refuse_anonymous_other_bundles_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, fleet = await fleet_token(client, runtime, bundles=BUNDLES)
    _, other = await fleet_token(client, runtime, bundles=["CLIENT_ACCESS"])
    default = await client.get("/v1/fleet/settings", headers=fleet)
    assert default.json() == {
        "chargingPaidBy": "driver",
        "payerAccountId": None,
        "servicePlan": None,
    }
    for method in ("GET", "PUT"):
        anonymous = await client.request(method, "/v1/fleet/settings", json={})
        assert anonymous.status_code == 401
        refused = await client.request(method, "/v1/fleet/settings", headers=other, json={})
        assert (refused.status_code, refused.json()["code"]) == (403, "BUNDLE_FORBIDDEN")
    driver = await client.post(
        "/v1/organizations/me/accounts",
        headers=fleet,
        json={"email": "d@fleet.example", "name": "D", "role": "DRIVER"},
    )
    _, theirs = await fleet_token(client, runtime, bundles=BUNDLES)
    foreign = await client.post(
        "/v1/organizations/me/accounts",
        headers=theirs,
        json={"email": "m@their.example", "name": "M", "role": "FLEET_MANAGER"},
    )
    for body in (
        {"chargingPaidBy": "organization"},
        {"chargingPaidBy": "organization", "payerAccountId": driver.json()["id"]},
        {"chargingPaidBy": "organization", "payerAccountId": foreign.json()["id"]},
        {"chargingPaidBy": "somebody"},
        {"servicePlan": {"everyMonths": 0}},
    ):
        bad = await client.put("/v1/fleet/settings", headers=fleet, json=body)
        assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_ERROR"), body
    assert (await client.get("/v1/fleet/settings", headers=fleet)).json() == default.json()
