"""Stations handed to a franchise: its staff operate them and their chargers, and nothing
else of the brand (one scoping, so every station, charger, session and pricing route)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from evcare.charging.stations.models import Station
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories import charging, franchises
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.ocpp import make_session
from tests.surfaces.cms.test_auth import assert_cms_error
from tests.surfaces.cms.test_stations import NEW_STATION

START = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


async def _brand_with_franchise(
    runtime: Runtime, client: httpx.AsyncClient
) -> tuple[User, dict[str, str], Station, Station, dict[str, str]]:
    """A brand, its headers, a station handed to its franchise, one it kept, staff headers."""
    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    handed = await charging.make_station(runtime, brand)
    kept = await charging.make_station(runtime, brand)
    await franchises.hand(runtime, handed, franchise)
    staff = await franchises.make_staff(runtime, franchise)
    return brand, brand_headers, handed, kept, bearer(await login(client, staff))


async def test_the_brand_hands_a_station_over_and_takes_it_back(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    station = await charging.make_station(runtime, brand)
    path = f"/api/v1/stations/{station.id}"
    handed = await client.put(path, json={"franchiseId": str(franchise.id)}, headers=headers)
    assert handed.status_code == 200, handed.text
    body = handed.json()["data"]["station"]
    assert body["ownerType"] == "franchise" and body["franchiseId"] == str(franchise.id)
    assert body["ownerId"] == str(brand.id)  # the brand still owns it
    counted = await client.get(f"/api/v1/franchises/{franchise.id}", headers=headers)
    assert counted.json()["data"]["franchise"]["stationCount"] == 1
    back = await client.put(path, json={"franchiseId": None}, headers=headers)
    assert back.status_code == 200, back.text
    body = back.json()["data"]["station"]
    assert body["ownerType"] == "brand" and body["franchiseId"] is None


async def test_a_station_goes_only_to_a_franchise_of_its_own_brand(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await charging.make_station(runtime, brand)
    foreign = await franchises.make_franchise(runtime, await make_user(runtime, role=Role.BRAND))
    refused = await client.put(
        f"/api/v1/stations/{station.id}", json={"franchiseId": str(foreign.id)}, headers=headers
    )
    errors = assert_cms_error(refused, 422)["errors"]
    assert errors == [{"field": "franchiseId", "message": "not a franchise of the station's brand"}]
    created = await client.post(
        "/api/v1/stations", json={**NEW_STATION, "franchiseId": str(foreign.id)}, headers=headers
    )
    assert_cms_error(created, 422)
    own = await franchises.make_franchise(runtime, brand)
    created = await client.post(
        "/api/v1/stations", json={**NEW_STATION, "franchiseId": str(own.id)}, headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"]["station"]["franchiseId"] == str(own.id)


async def test_staff_see_and_operate_their_stations_and_get_404_on_the_brands_others(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, brand_headers, handed, kept, staff = await _brand_with_franchise(runtime, client)
    listed = await client.get("/api/v1/stations", headers=staff)
    assert [s["id"] for s in listed.json()["data"]["stations"]] == [str(handed.id)]
    brand_listed = await client.get("/api/v1/stations", headers=brand_headers)
    assert {s["id"] for s in brand_listed.json()["data"]["stations"]} == {
        str(handed.id),
        str(kept.id),
    }
    assert (await client.get(f"/api/v1/stations/{handed.id}", headers=staff)).status_code == 200
    updated = await client.put(
        f"/api/v1/stations/{handed.id}", json={"name": "Staff renamed"}, headers=staff
    )
    assert updated.status_code == 200, updated.text
    for method, path, body in [
        ("GET", f"/api/v1/stations/{kept.id}", None),
        ("GET", f"/api/v1/stations/{kept.id}/availability", None),
        ("PUT", f"/api/v1/stations/{kept.id}", {"name": "Not mine"}),
    ]:
        response = await client.request(method, path, json=body, headers=staff)
        assert assert_cms_error(response, 404)["message"] == f"Station {kept.id} not found"
    near = await client.get(
        "/api/v1/stations/nearby?latitude=12.9716&longitude=77.5946", headers=staff
    )
    assert [s["id"] for s in near.json()["data"]["stations"]] == [str(handed.id)]


async def test_staff_operate_the_chargers_of_their_stations_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, _, handed, kept, staff = await _brand_with_franchise(runtime, client)
    mine = await charging.make_charger(runtime, handed)
    other = await charging.make_charger(runtime, kept)
    listed = await client.get("/api/v1/chargers", headers=staff)
    assert [c["id"] for c in listed.json()["data"]["chargers"]] == [str(mine.id)]
    renamed = await client.put(f"/api/v1/chargers/{mine.id}", json={"name": "Bay 1"}, headers=staff)
    assert renamed.status_code == 200, renamed.text
    for method, path, body in [
        ("GET", f"/api/v1/chargers/{other.id}", None),
        ("GET", f"/api/v1/chargers/{other.charge_point_id}/status", None),
        ("PUT", f"/api/v1/chargers/{other.id}", {"name": "Not mine"}),
        ("PATCH", f"/api/v1/chargers/{other.id}/archive", None),
        ("POST", f"/api/v1/chargers/{other.id}/command", {"command": "reset"}),
    ]:
        response = await client.request(method, path, json=body, headers=staff)
        assert_cms_error(response, 404)
    registered = await client.post(
        "/api/v1/chargers",
        json={
            "chargerId": "FR-NEW-1",
            "stationId": str(kept.id),
            "name": "Sneaky",
            "manufacturer": "ABB",
            "model": "Terra 54",
        },
        headers=staff,
    )
    assert_cms_error(registered, 404)


async def test_staff_see_the_sessions_on_their_stations_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, _, handed, kept, staff = await _brand_with_franchise(runtime, client)
    driver = await make_user(runtime)
    ours = await make_session(
        runtime, await charging.make_charger(runtime, handed), user=driver, started_at=START
    )
    theirs = await make_session(
        runtime, await charging.make_charger(runtime, kept), user=driver, started_at=START
    )
    listed = await client.get("/api/v1/sessions", headers=staff)
    assert [s["id"] for s in listed.json()["data"]["sessions"]] == [str(ours.id)]
    assert_cms_error(await client.get(f"/api/v1/sessions/{theirs.id}", headers=staff), 404)


async def test_staff_of_a_suspended_franchise_operate_nothing(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, brand_headers, handed, _, staff = await _brand_with_franchise(runtime, client)
    listed = await client.get("/api/v1/franchises", headers=brand_headers)
    franchise_id = listed.json()["data"]["franchises"][0]["id"]
    suspended = await client.put(
        f"/api/v1/franchises/{franchise_id}", json={"status": "suspended"}, headers=brand_headers
    )
    assert suspended.status_code == 200, suspended.text
    assert (await client.get("/api/v1/stations", headers=staff)).json()["data"]["stations"] == []
    assert_cms_error(await client.get(f"/api/v1/stations/{handed.id}", headers=staff), 404)


async def test_staff_create_stations_for_their_franchise_and_never_hand_stations_over(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, brand_headers, handed, _, staff = await _brand_with_franchise(runtime, client)
    created = await client.post("/api/v1/stations", json=NEW_STATION, headers=staff)
    assert created.status_code == 201, created.text
    station = created.json()["data"]["station"]
    assert station["ownerId"] == str(brand.id) and station["ownerType"] == "franchise"
    seen = await client.get(f"/api/v1/stations/{station['id']}", headers=brand_headers)
    assert seen.status_code == 200, seen.text
    refused = await client.put(
        f"/api/v1/stations/{handed.id}", json={"franchiseId": None}, headers=staff
    )
    assert_cms_error(refused, 403)
    sibling = await franchises.make_franchise(runtime, brand)
    refused = await client.post(
        "/api/v1/stations", json={**NEW_STATION, "franchiseId": str(sibling.id)}, headers=staff
    )
    assert_cms_error(refused, 403)


async def test_staff_manage_pricing_rules_of_their_stations_only(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, _, handed, kept, staff = await _brand_with_franchise(runtime, client)

    def rule(station_id: int) -> dict[str, object]:
        return {
            "name": "Evening",
            "stationId": str(station_id),
            "rules": [{"type": "ENERGY", "price": 20}],
        }

    made = await client.post("/api/v1/pricing/rules", json=rule(handed.id), headers=staff)
    assert made.status_code == 201, made.text
    refused = await client.post("/api/v1/pricing/rules", json=rule(kept.id), headers=staff)
    assert_cms_error(refused, 404)
