"""Hub /v1/fleet/drivers through HTTP: drivers are the organization's DRIVER accounts
(the same accounts /v1/organizations/me/accounts lists) and the fleet vehicles each may
drive; a vehicle of another fleet is not found and nothing is written."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from evcare.core.events import OutboxEvent
from evcare.core.runtime import Runtime
from tests.factories.fleet import add_driver, add_vehicle, fleet_token

DRIVER_FIELDS = {"id", "userId", "email", "name", "status", "vehicleIds", "createdAt"}


async def test_a_driver_is_created_assigned_listed_renamed_and_removed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await fleet_token(
        client, runtime, bundles=["FLEET_MANAGER_ACCESS", "ORGANIZATION_ACCESS"]
    )
    first = await add_vehicle(client, token)
    second = await add_vehicle(client, token)
    driver = await add_driver(
        client, token, email="Dee@Fleet.example", name="Dee River", vehicleIds=[first["id"]]
    )
    assert set(driver) == DRIVER_FIELDS and driver["id"].startswith("acc_")
    assert (driver["email"], driver["vehicleIds"]) == ("dee@fleet.example", [first["id"]])
    # The same account as the organization's accounts API shows, role DRIVER.
    account = (
        await client.get(f"/v1/organizations/me/accounts/{driver['id']}", headers=token)
    ).json()
    assert (account["role"], account["userId"]) == ("DRIVER", driver["userId"])
    url = f"/v1/fleet/drivers/{driver['id']}"
    assigned = await client.put(
        f"{url}/vehicles",
        headers=token,
        json={"vehicleIds": [second["id"], first["id"], first["id"]]},
    )
    assert assigned.status_code == 200, assigned.text
    assert sorted(assigned.json()["vehicleIds"]) == sorted([first["id"], second["id"]])
    vehicle = (await client.get(f"/v1/fleet/vehicles/{first['id']}", headers=token)).json()
    assert vehicle["driverIds"] == [driver["id"]]
    # A fleet manager account is no driver: the drivers list keeps to DRIVER accounts.
    await client.post(
        "/v1/organizations/me/accounts",
        headers=token,
        json={"email": "boss@fleet.example", "name": "Boss", "role": "FLEET_MANAGER"},
    )
    listed = (await client.get("/v1/fleet/drivers", headers=token)).json()
    assert [d["id"] for d in listed["data"]] == [driver["id"]]
    assert listed["pagination"]["total"] == 1
    renamed = await client.patch(url, headers=token, json={"name": "Dee Rivers"})
    assert renamed.json()["name"] == "Dee Rivers"
    assert (await client.get(url, headers=token)).json() == renamed.json()
    assert (await client.delete(url, headers=token)).status_code == 204
    assert (await client.get(url, headers=token)).status_code == 404
    vehicle = (await client.get(f"/v1/fleet/vehicles/{first['id']}", headers=token)).json()
    assert vehicle["driverIds"] == []
    async with runtime.sessionmaker() as session:
        topics = list(
            await session.scalars(
                select(OutboxEvent.topic)
                .where(OutboxEvent.topic.like("fleet.driver_%"))
                .order_by(OutboxEvent.created_at)
            )
        )
    assert topics == [
        "fleet.driver_created",
        "fleet.driver_updated",
        "fleet.driver_updated",
        "fleet.driver_deleted",
    ]


async def test_a_vehicle_of_another_fleet_cannot_be_assigned(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, mine = await fleet_token(client, runtime)
    _, theirs = await fleet_token(client, runtime)
    own = await add_vehicle(client, mine)
    foreign = await add_vehicle(client, theirs)
    driver = await add_driver(client, mine, vehicleIds=[own["id"]])
    refused = await client.put(
        f"/v1/fleet/drivers/{driver['id']}/vehicles",
        headers=mine,
        json={"vehicleIds": [own["id"], foreign["id"]]},
    )
    assert (refused.status_code, refused.json()["code"]) == (404, "NOT_FOUND")
    assert foreign["id"] in refused.json()["message"]
    # Nothing half-written: the driver keeps the one assignment.
    kept = (await client.get(f"/v1/fleet/drivers/{driver['id']}", headers=mine)).json()
    assert kept["vehicleIds"] == [own["id"]]
    made = await client.post(
        "/v1/fleet/drivers",
        headers=mine,
        json={"email": "x@fleet.example", "name": "X", "vehicleIds": [foreign["id"]]},
    )
    assert made.status_code == 404
    listed = (await client.get("/v1/fleet/drivers", headers=mine)).json()
    assert [d["id"] for d in listed["data"]] == [driver["id"]]


async def test_another_organizations_driver_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, mine = await fleet_token(client, runtime)
    _, theirs = await fleet_token(client, runtime)
    driver = await add_driver(client, theirs)
    url = f"/v1/fleet/drivers/{driver['id']}"
    for method, path, body in (
        ("GET", url, None),
        ("PATCH", url, {"name": "X"}),
        ("DELETE", url, None),
        ("PUT", f"{url}/vehicles", {"vehicleIds": []}),
    ):
        response = await client.request(method, path, headers=mine, json=body)
        assert (response.status_code, response.json()["code"]) == (404, "NOT_FOUND"), path
    assert (await client.get(url, headers=theirs)).status_code == 200


async def test_driver_routes_refuse_anonymous_other_bundles_and_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await fleet_token(client, runtime)
    _, other_bundle = await fleet_token(client, runtime, bundles=["ORGANIZATION_ACCESS"])
    driver = await add_driver(client, token)
    url = f"/v1/fleet/drivers/{driver['id']}"
    for method, path in (
        ("GET", "/v1/fleet/drivers"),
        ("POST", "/v1/fleet/drivers"),
        ("GET", url),
        ("PATCH", url),
        ("DELETE", url),
        ("PUT", f"{url}/vehicles"),
    ):
        anonymous = await client.request(method, path, json={})
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED"), path
        refused = await client.request(method, path, headers=other_bundle, json={})
        assert (refused.status_code, refused.json()["code"]) == (403, "BUNDLE_FORBIDDEN"), path
    for body in (
        {"email": "not-an-email", "name": "X"},
        {"email": "a@b.example", "name": ""},
        {"email": "a@b.example", "name": "X", "vehicleIds": ["nope"]},
        {"email": "a@b.example", "name": "X", "role": "FLEET_MANAGER"},
    ):
        bad = await client.post("/v1/fleet/drivers", headers=token, json=body)
        assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_ERROR"), body
    bad = await client.put(f"{url}/vehicles", headers=token, json={})
    assert (bad.status_code, bad.json()["code"]) == (422, "VALIDATION_ERROR")
    taken = await client.post(
        "/v1/fleet/drivers", headers=token, json={"email": driver["email"], "name": "Twin"}
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "CONFLICT")


async def test_a_driver_signed_in_is_not_a_fleet_manager(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from tests.factories.integrations import partner_user

    created, _ = await fleet_token(client, runtime)
    driver = await partner_user(client, created, role_hint="DRIVER")
    headers = {"Authorization": f"Bearer {driver['accessToken']}"}
    refused = await client.get("/v1/fleet/vehicles", headers=headers)
    assert refused.status_code == 403
    manager = await partner_user(client, created, role_hint="FLEET_MANAGER")
    headers = {"Authorization": f"Bearer {manager['accessToken']}"}
    allowed = await client.get("/v1/fleet/vehicles", headers=headers)
    assert allowed.status_code == 200, allowed.text
