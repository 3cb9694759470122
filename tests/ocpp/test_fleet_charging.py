"""A fleet's driver charges an assigned fleet vehicle over real OCPP: the operator's
remote start names the vehicle, the session is the vehicle's (GET /v1/fleet/vehicles/
{id}/sessions), and when the organization pays its payer account's wallet is charged."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.fleet import add_driver, add_vehicle, fleet_token
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import connect, make_charger
from tests.factories.wallet import balance_minor, fund


async def _user(runtime: Runtime, user_id: str) -> User:
    async with runtime.sessionmaker() as session:
        user = await session.scalar(select(User).where(User.id == int(user_id)))
    assert user is not None
    return user


async def _charge(
    client: httpx.AsyncClient, cp: Any, operator: dict[str, str], body: dict[str, Any]
) -> dict[str, Any]:
    started = await client.post("/api/v1/sessions", json=body, headers=operator)
    assert started.status_code == 201, started.text
    session: dict[str, Any] = started.json()["data"]["session"]
    await cp.started.get()
    stopped = await client.post(f"/api/v1/sessions/{session['id']}/stop", headers=operator)
    assert stopped.status_code == 200, stopped.text
    closed: dict[str, Any] = stopped.json()["data"]["session"]
    return closed


async def test_an_assigned_driver_charges_a_fleet_vehicle_billed_to_the_fleet(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, fleet = await fleet_token(
        client, runtime, bundles=["FLEET_MANAGER_ACCESS", "ORGANIZATION_ACCESS"]
    )
    vehicle = await add_vehicle(client, fleet, odometerKm=1000)
    driver = await add_driver(client, fleet, vehicleIds=[vehicle["id"]])
    manager = await client.post(
        "/v1/organizations/me/accounts",
        headers=fleet,
        json={"email": "payer@fleet.example", "name": "Payer", "role": "FLEET_MANAGER"},
    )
    assert manager.status_code == 201, manager.text
    settings = await client.put(
        "/v1/fleet/settings",
        headers=fleet,
        json={"chargingPaidBy": "organization", "payerAccountId": manager.json()["id"]},
    )
    assert settings.status_code == 200, settings.text
    assert settings.json() == {
        "chargingPaidBy": "organization",
        "payerAccountId": manager.json()["id"],
        "servicePlan": None,
    }
    payer = await _user(runtime, manager.json()["userId"])
    await fund(runtime, payer, 50_000)
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand, base_price_minor=1500)
    operator = bearer(await login(client, brand))
    body = {
        "chargerId": str(charger.id),
        "connectorId": 1,
        "userId": driver["userId"],
        "vehicleId": vehicle["id"],
    }
    async with connect(live_server, charger.charge_point_id) as cp:
        session = await _charge(client, cp, operator, body)
    # The charger's 3.5 kWh at Rs 15 from the payer's wallet; the driver's (empty) one
    # is untouched.
    assert session["energyConsumed"] == 3.5 and session["cost"] == 52.5
    assert await balance_minor(runtime, payer) == 50_000 - 5_250
    assert await balance_minor(runtime, await _user(runtime, driver["userId"])) == 0
    listed = await client.get(f"/v1/fleet/vehicles/{vehicle['id']}/sessions", headers=fleet)
    assert listed.status_code == 200, listed.text
    (shown,) = listed.json()["data"]
    assert (shown["id"], shown["userId"], shown["status"]) == (
        session["sessionId"],
        driver["userId"],
        "completed",
    )
    assert shown["energyKwh"] == 3.5 and shown["cost"] == {"amount": 5_250, "currency": "INR"}
    assert shown["paymentStatus"] == "paid"
    facts = (await client.get(f"/v1/fleet/vehicles/{vehicle['id']}", headers=fleet)).json()
    assert facts["charging"] == {"sessions": 1, "energyKwh": 3.5}
    assert facts["odometer"]["estimatedKm"] == 1000 + 22  # 3.5 kWh x 6.5 km/kWh, rounded down


async def test_a_driver_cannot_charge_another_fleets_vehicle(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, mine = await fleet_token(client, runtime)
    _, theirs = await fleet_token(client, runtime)
    foreign = await add_vehicle(client, theirs)
    unassigned = await add_vehicle(client, mine)
    driver = await add_driver(client, mine)
    await fund(runtime, await _user(runtime, driver["userId"]), 50_000)
    brand = await make_user(runtime, role=Role.BRAND)
    charger = await make_charger(runtime, owner=brand)
    operator = bearer(await login(client, brand))
    for vehicle in (foreign, unassigned):
        refused = await client.post(
            "/api/v1/sessions",
            json={
                "chargerId": str(charger.id),
                "connectorId": 1,
                "userId": driver["userId"],
                "vehicleId": vehicle["id"],
            },
            headers=operator,
        )
        assert refused.status_code == 404, refused.text
