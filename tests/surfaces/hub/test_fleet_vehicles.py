"""Hub /v1/fleet/vehicles through HTTP: a fleet's vehicles are rows of the one vehicle
table owned by its organization (no user), with odometer and energy facts, sessions and
service history; another organization's vehicle is not found."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from evcare.service.workshops import DEFAULT_WORKSHOP_ID
from evcare.vehicles.models import Vehicle
from tests.factories.fleet import add_vehicle, fleet_token, plate
from tests.factories.ocpp import make_charger, make_driver, make_session

VEHICLE_FIELDS = {
    "id",
    "registrationNumber",
    "make",
    "model",
    "year",
    "batteryCapacityKwh",
    "vin",
    "color",
    "driverIds",
    "servicePlan",
    "odometer",
    "charging",
    "createdAt",
    "updatedAt",
}


async def test_a_fleet_vehicle_is_created_listed_changed_and_deleted(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created, token = await fleet_token(client, runtime)
    made = await add_vehicle(
        client,
        token,
        registrationNumber="mh 12-fl 0001",
        batteryCapacityKwh=40.5,
        odometerKm=12000,
        servicePlan={"everyKm": 10000},
    )
    assert set(made) == VEHICLE_FIELDS and made["id"].startswith("VEH")
    assert made["registrationNumber"] == "MH12FL0001"
    assert made["batteryCapacityKwh"] == 40.5 and made["driverIds"] == []
    assert made["odometer"]["readingKm"] == 12000 and made["odometer"]["estimatedKm"] == 12000
    assert made["charging"] == {"sessions": 0, "energyKwh": 0}
    assert made["servicePlan"] == {"everyKm": 10000, "everyMonths": None, "source": "vehicle"}
    async with runtime.sessionmaker() as session:
        row = await session.get(Vehicle, int(made["id"][3:]))
    assert row is not None and row.owner_id is None
    assert row.organization_id == created["integration"]["organizationId"]

    listed = (await client.get("/v1/fleet/vehicles", headers=token)).json()
    assert [v["id"] for v in listed["data"]] == [made["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 10, "total": 1, "totalPages": 1}
    url = f"/v1/fleet/vehicles/{made['id']}"
    assert (await client.get(url, headers=token)).json() == made
    # EV-CMS's bare key names the same vehicle.
    assert (await client.get(f"/v1/fleet/vehicles/{int(made['id'][3:])}", headers=token)).json()[
        "id"
    ] == made["id"]

    changed = await client.patch(url, headers=token, json={"color": "Blue", "odometerKm": 12500})
    assert changed.status_code == 200, changed.text
    assert changed.json()["color"] == "Blue" and changed.json()["odometer"]["readingKm"] == 12500
    backwards = await client.patch(url, headers=token, json={"odometerKm": 100})
    assert (backwards.status_code, backwards.json()["code"]) == (422, "VALIDATION_ERROR")
    assert backwards.json()["details"][0]["field"] == "odometerKm"

    assert (await client.delete(url, headers=token)).status_code == 204
    assert (await client.get(url, headers=token)).status_code == 404
    async with runtime.sessionmaker() as session:
        topics = list(
            await session.scalars(
                select(OutboxEvent.topic)
                .where(OutboxEvent.topic.like("fleet.vehicle_%"))
                .order_by(OutboxEvent.created_at)
            )
        )
    assert topics == ["fleet.vehicle_created", "fleet.vehicle_updated", "fleet.vehicle_deleted"]


async def test_fleet_vehicle_routes_refuse_anonymous_other_bundles_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await fleet_token(client, runtime)
    _, client_only = await fleet_token(client, runtime, bundles=["CLIENT_ACCESS"])
    made = await add_vehicle(client, token)
    paths = [
        ("GET", "/v1/fleet/vehicles"),
        ("POST", "/v1/fleet/vehicles"),
        ("GET", f"/v1/fleet/vehicles/{made['id']}"),
        ("PATCH", f"/v1/fleet/vehicles/{made['id']}"),
        ("DELETE", f"/v1/fleet/vehicles/{made['id']}"),
        ("GET", f"/v1/fleet/vehicles/{made['id']}/sessions"),
        ("GET", f"/v1/fleet/vehicles/{made['id']}/service-history"),
    ]
    for method, path in paths:
        anonymous = await client.request(method, path, json={})
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED"), path
        refused = await client.request(method, path, headers=client_only, json={})
        assert (refused.status_code, refused.json()["code"]) == (403, "BUNDLE_FORBIDDEN"), path
    for body in (
        {"year": 2024, "make": "Tata", "model": "X"},
        {"registrationNumber": plate(), "year": 1800, "make": "Tata", "model": "X"},
        {
            "registrationNumber": plate(),
            "year": 2024,
            "make": "Tata",
            "model": "X",
            "odometerKm": -1,
        },
        {"registrationNumber": plate(), "year": 2024, "make": "T", "model": "X", "owner": 1},
        {
            "registrationNumber": plate(),
            "year": 2024,
            "make": "T",
            "model": "X",
            "servicePlan": {"everyKm": 0},
        },
    ):
        bad = await client.post("/v1/fleet/vehicles", headers=token, json=body)
        assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_ERROR"), body
    no_make = await client.post(
        "/v1/fleet/vehicles", headers=token, json={"registrationNumber": plate(), "year": 2024}
    )
    assert no_make.status_code == 422
    taken = await client.post(
        "/v1/fleet/vehicles",
        headers=token,
        json={
            "registrationNumber": made["registrationNumber"],
            "year": 2024,
            "make": "A",
            "model": "B",
        },
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "CONFLICT")


async def test_another_organizations_vehicle_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, mine = await fleet_token(client, runtime)
    _, theirs = await fleet_token(client, runtime)
    their_vehicle = await add_vehicle(client, theirs)
    url = f"/v1/fleet/vehicles/{their_vehicle['id']}"
    for method, path in (
        ("GET", url),
        ("PATCH", url),
        ("DELETE", url),
        ("GET", f"{url}/sessions"),
        ("GET", f"{url}/service-history"),
    ):
        response = await client.request(method, path, headers=mine, json={"color": "Red"})
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), path
    assert (await client.get("/v1/fleet/vehicles", headers=mine)).json()["data"] == []
    assert (await client.get(url, headers=theirs)).status_code == 200


@pytest.mark.parametrize("raw", ["VEH", "VEHx1", "veh_1", "99999999999999999999"])
async def test_malformed_vehicle_ids_are_404(
    client: httpx.AsyncClient, runtime: Runtime, raw: str
) -> None:
    _, token = await fleet_token(client, runtime)
    response = await client.get(f"/v1/fleet/vehicles/{raw}", headers=token)
    assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND")


async def test_a_customer_cannot_reach_a_fleet_vehicle_through_ev_cms(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from tests.factories.identity import bearer, login

    _, token = await fleet_token(client, runtime)
    made = await add_vehicle(client, token)
    driver = await make_driver(runtime)
    headers = bearer(await login(client, driver))
    key = int(made["id"][3:])
    assert (await client.get("/api/v1/profile/vehicles", headers=headers)).json()["data"][
        "vehicles"
    ] == []
    gone = await client.delete(f"/api/v1/profile/vehicles/{key}", headers=headers)
    assert gone.status_code == 404


async def test_sessions_and_energy_of_a_fleet_vehicle_come_from_its_charging(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await fleet_token(client, runtime)
    made = await add_vehicle(client, token)
    key = int(made["id"][3:])
    charger = await make_charger(runtime)
    driver = await make_driver(runtime)
    start = utcnow() - timedelta(hours=3)
    await make_session(runtime, charger, user=driver, started_at=start, vehicle_id=key)
    await make_session(
        runtime, charger, user=driver, started_at=start + timedelta(hours=1), vehicle_id=key
    )
    await make_session(runtime, charger, user=driver, started_at=start)  # another vehicle's
    listed = await client.get(f"/v1/fleet/vehicles/{made['id']}/sessions", headers=token)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["pagination"]["total"] == 2
    first = body["data"][0]
    assert set(first) == {
        "id",
        "chargerId",
        "connectorId",
        "userId",
        "status",
        "startedAt",
        "endedAt",
        "energyKwh",
        "cost",
        "paymentStatus",
    }
    assert first["id"].startswith("SES") and first["energyKwh"] == 10.0
    assert first["chargerId"] == charger.charge_point_id and first["userId"] == str(driver.id)
    facts = (await client.get(f"/v1/fleet/vehicles/{made['id']}", headers=token)).json()
    assert facts["charging"] == {"sessions": 2, "energyKwh": 20.0}
    # No odometer reading: 20 kWh at the documented 6.5 km/kWh.
    assert facts["odometer"] == {"readingKm": None, "recordedAt": None, "estimatedKm": 130}
    history = await client.get(f"/v1/fleet/vehicles/{made['id']}/service-history", headers=token)
    assert history.json() == {
        "data": [],
        "pagination": {"page": 1, "limit": 10, "total": 0, "totalPages": 0},
    }


async def test_service_history_lists_the_vehicles_workshop_bookings(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from sqlalchemy import update

    from tests.factories.bookings import book, make_workshop

    created, token = await fleet_token(client, runtime)
    shop = await make_workshop(runtime, client)
    # A customer's car that is also in the fleet: one row, one history.
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(Vehicle)
            .where(Vehicle.id == shop.vehicle_id)
            .values(organization_id=created["integration"]["organizationId"])
        )
        await session.commit()
    booking = await book(client, shop)
    url = f"/v1/fleet/vehicles/VEH{shop.vehicle_id:06d}/service-history"
    history = await client.get(url, headers=token)
    assert history.status_code == 200, history.text
    (record,) = history.json()["data"]
    assert set(record) == {
        "id",
        "workshopId",
        "status",
        "serviceDate",
        "services",
        "total",
        "paymentStatus",
        "createdAt",
        "completedAt",
        "cancelledAt",
    }
    assert record["id"] == str(booking["id"]) and record["status"] == booking["status"]
    assert record["workshopId"] == DEFAULT_WORKSHOP_ID
    assert [s["name"] for s in record["services"]] == [s.name for s in shop.services]
    assert record["total"]["currency"] == "INR" and record["total"]["amount"] > 0


async def test_a_replayed_create_with_the_same_idempotency_key_makes_one_vehicle(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await fleet_token(client, runtime)
    headers = {**token, "Idempotency-Key": "fleet-vehicle-1"}
    body = {"registrationNumber": plate(), "year": 2024, "make": "Tata", "model": "Nexon EV"}
    first = await client.post("/v1/fleet/vehicles", headers=headers, json=body)
    again = await client.post("/v1/fleet/vehicles", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert (await client.get("/v1/fleet/vehicles", headers=token)).json()["pagination"][
        "total"
    ] == 1
