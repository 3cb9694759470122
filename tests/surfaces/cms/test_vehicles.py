"""EV-CMS /api/v1/profile/vehicles: the documented vehicle object, ownership, defaults."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.scopes import Scope
from evcare.vehicles.models import Vehicle
from tests.factories.identity import bearer, login, make_user
from tests.factories.vehicles import make_vehicle, narrowed
from tests.surfaces.cms.test_auth import assert_cms_error

BASE = "/api/v1/profile/vehicles"
VEHICLE_FIELDS = {
    "id",
    "make",
    "model",
    "year",
    "batteryCapacity",
    "registrationNumber",
    "isDefault",
    "createdAt",
}
NEXON = {
    "make": "Tata",
    "model": "Nexon EV",
    "year": 2023,
    "batteryCapacity": 40.5,
    "registrationNumber": "MH 12 AB 1234",
}
# (method, path suffix, body): every route of the section.
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "", None),
    ("POST", "", NEXON),
    ("GET", "/{id}", None),
    ("PUT", "/{id}", {"make": "Tata Motors"}),
    ("DELETE", "/{id}", None),
    ("PATCH", "/{id}/set-default", None),
]


async def signed_in(runtime: Runtime, client: httpx.AsyncClient) -> tuple[Any, str]:
    user = await make_user(runtime)
    return user, await login(client, user)


async def add(client: httpx.AsyncClient, token: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(BASE, json={**NEXON, **overrides}, headers=bearer(token))
    assert response.status_code == 201, response.text
    vehicle: dict[str, Any] = response.json()["data"]["vehicle"]
    return vehicle


async def test_adding_a_vehicle_returns_the_documented_vehicle_object(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    response = await client.post(BASE, json=NEXON, headers=bearer(token))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    assert set(body["data"]) == {"vehicle"}
    vehicle = body["data"]["vehicle"]
    assert set(vehicle) == VEHICLE_FIELDS
    assert isinstance(vehicle["id"], str) and vehicle["id"].isdigit()
    assert vehicle["make"] == "Tata" and vehicle["model"] == "Nexon EV"
    assert vehicle["year"] == 2023
    assert vehicle["batteryCapacity"] == 40.5
    assert vehicle["registrationNumber"] == "MH12AB1234"
    assert vehicle["isDefault"] is True
    assert vehicle["createdAt"].endswith(("Z", "+00:00"))


async def test_the_list_holds_only_the_callers_vehicles_default_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    _, other_token = await signed_in(runtime, client)
    first = await add(client, token)
    second = await add(client, token, registrationNumber="MH12AB9999", model="Tiago EV")
    await add(client, other_token, registrationNumber="KA01XY0001")
    response = await client.get(BASE, headers=bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and set(body["data"]) == {"vehicles"}
    vehicles = body["data"]["vehicles"]
    assert [v["id"] for v in vehicles] == [first["id"], second["id"]]
    assert all(set(v) == VEHICLE_FIELDS for v in vehicles)
    assert [v["isDefault"] for v in vehicles] == [True, False]


async def test_get_and_update_a_vehicle(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, token = await signed_in(runtime, client)
    vehicle = await add(client, token)
    got = await client.get(f"{BASE}/{vehicle['id']}", headers=bearer(token))
    assert got.status_code == 200
    assert got.json()["data"] == {"vehicle": vehicle}
    updated = await client.put(
        f"{BASE}/{vehicle['id']}",
        json={"make": "Tata Motors", "model": "Nexon EV Max", "batteryCapacity": 45},
        headers=bearer(token),
    )
    assert updated.status_code == 200, updated.text
    changed = updated.json()["data"]["vehicle"]
    assert set(changed) == VEHICLE_FIELDS
    assert (changed["make"], changed["model"], changed["batteryCapacity"]) == (
        "Tata Motors",
        "Nexon EV Max",
        45,
    )
    assert changed["registrationNumber"] == vehicle["registrationNumber"]
    assert changed["isDefault"] is True


async def test_set_default_moves_the_default_to_the_chosen_vehicle(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    first = await add(client, token)
    second = await add(client, token, registrationNumber="MH12AB9999")
    response = await client.patch(f"{BASE}/{second['id']}/set-default", headers=bearer(token))
    assert response.status_code == 200, response.text
    chosen = response.json()["data"]["vehicle"]
    assert set(chosen) == VEHICLE_FIELDS and chosen["isDefault"] is True
    listed = (await client.get(BASE, headers=bearer(token))).json()["data"]["vehicles"]
    assert {v["id"]: v["isDefault"] for v in listed} == {first["id"]: False, second["id"]: True}


async def test_deleting_the_default_answers_success_and_promotes_another(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    first = await add(client, token)
    second = await add(client, token, registrationNumber="MH12AB9999")
    response = await client.delete(f"{BASE}/{first['id']}", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    assert response.json()["data"] == {"success": True}
    listed = (await client.get(BASE, headers=bearer(token))).json()["data"]["vehicles"]
    assert [(v["id"], v["isDefault"]) for v in listed] == [(second["id"], True)]
    gone = await client.get(f"{BASE}/{first['id']}", headers=bearer(token))
    assert_cms_error(gone, 404)


async def test_a_registration_number_already_on_the_road_is_a_conflict(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    _, other_token = await signed_in(runtime, client)
    await add(client, token)
    response = await client.post(
        BASE, json={**NEXON, "registrationNumber": "mh12-ab-1234"}, headers=bearer(other_token)
    )
    body = assert_cms_error(response, 409)
    assert "MH12AB1234" in str(body["message"])


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_every_route_refuses_anonymous_callers(
    client: httpx.AsyncClient,
    runtime: Runtime,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    owner = await make_user(runtime)
    vehicle = await make_vehicle(runtime, owner)
    url = BASE + suffix.format(id=vehicle.id)
    assert_cms_error(await client.request(method, url, json=body), 401)


@pytest.mark.parametrize(("method", "suffix", "body"), ROUTES)
async def test_every_route_needs_its_vehicle_scope(
    client: httpx.AsyncClient,
    runtime: Runtime,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    owner, token = await signed_in(runtime, client)
    vehicle = await make_vehicle(runtime, owner)
    needed = Scope.READ_VEHICLES if method == "GET" else Scope.WRITE_VEHICLES
    headers = narrowed(runtime, token, without=needed)
    url = BASE + suffix.format(id=vehicle.id)
    body_out = assert_cms_error(await client.request(method, url, json=body, headers=headers), 403)
    assert needed in str(body_out["message"])


@pytest.mark.parametrize(("method", "suffix", "body"), [r for r in ROUTES if "{id}" in r[1]])
async def test_another_users_vehicle_is_not_found_on_every_route(
    client: httpx.AsyncClient,
    runtime: Runtime,
    method: str,
    suffix: str,
    body: dict[str, Any] | None,
) -> None:
    owner = await make_user(runtime)
    vehicle = await make_vehicle(runtime, owner)
    _, token = await signed_in(runtime, client)
    url = BASE + suffix.format(id=vehicle.id)
    assert_cms_error(await client.request(method, url, json=body, headers=bearer(token)), 404)
    async with runtime.sessionmaker() as session:
        still = await session.get(Vehicle, vehicle.id)
    assert still is not None and still.make == "Tata" and still.is_default


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"make", "model", "year", "batteryCapacity", "registrationNumber"}),
        ({**NEXON, "year": 1989}, {"year"}),
        ({**NEXON, "batteryCapacity": 0}, {"batteryCapacity"}),
        ({**NEXON, "batteryCapacity": 501}, {"batteryCapacity"}),
        ({**NEXON, "registrationNumber": "A1"}, {"registrationNumber"}),
        ({**NEXON, "registrationNumber": "MH12/AB#1234"}, {"registrationNumber"}),
        ({**NEXON, "make": "x" * 61}, {"make"}),
        ({**NEXON, "colour": "red"}, {"colour"}),
    ],
)
async def test_bad_vehicle_input_is_422_naming_each_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], fields: set[str]
) -> None:
    _, token = await signed_in(runtime, client)
    response = await client.post(BASE, json=body, headers=bearer(token))
    errors = assert_cms_error(response, 422)["errors"]
    assert {error["field"] for error in errors} == fields  # type: ignore[attr-defined]


async def test_a_year_after_next_is_422_naming_the_year(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    response = await client.post(
        BASE, json={**NEXON, "year": utcnow().year + 2}, headers=bearer(token)
    )
    errors = assert_cms_error(response, 422)["errors"]
    assert [error["field"] for error in errors] == ["year"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("GET", "/abc"), ("GET", "/0"), ("DELETE", "/99999999999"), ("PATCH", "/x/set-default")],
)
async def test_malformed_vehicle_ids_in_the_path_are_404(
    client: httpx.AsyncClient, runtime: Runtime, method: str, suffix: str
) -> None:
    _, token = await signed_in(runtime, client)
    response = await client.request(method, BASE + suffix, headers=bearer(token))
    raw = suffix.split("/")[1]
    assert assert_cms_error(response, 404)["message"] == f"Vehicle {raw} not found"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"batteryCapacity": -1}, "batteryCapacity"), ({"isDefault": True}, "isDefault")],
)
async def test_bad_update_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, Any], field: str
) -> None:
    owner, token = await signed_in(runtime, client)
    vehicle = await make_vehicle(runtime, owner)
    response = await client.put(f"{BASE}/{vehicle.id}", json=body, headers=bearer(token))
    errors = assert_cms_error(response, 422)["errors"]
    assert [error["field"] for error in errors] == [field]  # type: ignore[attr-defined]


async def test_the_user_object_lists_the_users_vehicles_on_me_login_and_profile(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, token = await signed_in(runtime, client)
    vehicle = await add(client, token)
    me = await client.get("/api/v1/auth/me", headers=bearer(token))
    assert me.json()["data"]["user"]["vehicles"] == [vehicle]
    profile = await client.get("/api/v1/profile", headers=bearer(token))
    assert profile.json()["data"]["user"]["vehicles"] == [vehicle]
    updated = await client.put("/api/v1/profile", json={"name": "Asha"}, headers=bearer(token))
    assert updated.json()["data"]["user"]["vehicles"] == [vehicle]
    signed = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "Password@123"}
    )
    assert signed.json()["data"]["user"]["vehicles"] == [vehicle]


async def test_concurrent_first_vehicles_still_leave_exactly_one_default(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, token = await signed_in(runtime, client)
    responses = await asyncio.gather(
        *(
            client.post(
                BASE, json={**NEXON, "registrationNumber": f"TS09EV{n:04d}"}, headers=bearer(token)
            )
            for n in range(6)
        )
    )
    assert [r.status_code for r in responses] == [201] * 6
    listed = (await client.get(BASE, headers=bearer(token))).json()["data"]["vehicles"]
    assert len(listed) == 6
    assert [v["isDefault"] for v in listed].count(True) == 1
    switches = await asyncio.gather(
        *(client.patch(f"{BASE}/{v['id']}/set-default", headers=bearer(token)) for v in listed)
    )
    assert [r.status_code for r in switches] == [200] * 6
    listed = (await client.get(BASE, headers=bearer(token))).json()["data"]["vehicles"]
    assert [v["isDefault"] for v in listed].count(True) == 1
