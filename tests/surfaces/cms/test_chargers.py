"""EV-CMS /api/v1/chargers: registration with one-time OCPP credentials, shapes, ownership."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.core.security import generated_secret_matches
from evcare.identity.models import Role
from tests.factories.charging import make_charger, make_station
from tests.factories.identity import signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

CHARGER_FIELDS = {
    "id",
    "chargerId",
    "chargerName",
    "stationId",
    "manufacturer",
    "model",
    "firmwareVersion",
    "status",
    "lastHeartbeat",
    "connectors",
    "location",
    "isArchived",
}
CONNECTOR_FIELDS = {"connectorId", "type", "power", "status", "currentSession"}

ROUTES = [
    ("GET", "/api/v1/chargers"),
    ("GET", "/api/v1/chargers/stats"),
    ("GET", "/api/v1/chargers/1"),
    ("GET", "/api/v1/chargers/1/status"),
    ("GET", "/api/v1/chargers/1/maintenance-history"),
    ("POST", "/api/v1/chargers"),
    ("POST", "/api/v1/chargers/1/rotate-password"),
    ("PUT", "/api/v1/chargers/1"),
    ("PATCH", "/api/v1/chargers/1/archive"),
    ("PATCH", "/api/v1/chargers/1/restore"),
]
WRITE_ROUTES = [
    ("POST", "/api/v1/chargers"),
    ("POST", "/api/v1/chargers/1/rotate-password"),
    ("PUT", "/api/v1/chargers/1"),
    ("PATCH", "/api/v1/chargers/1/archive"),
    ("PATCH", "/api/v1/chargers/1/restore"),
]


def registration(station_id: int, charger_id: str = "BLR-KOR-01") -> dict[str, object]:
    return {
        "chargerId": charger_id,
        "name": "Bay 1 DC",
        "stationId": str(station_id),
        "manufacturer": "ABB",
        "model": "Terra 54",
        "connectors": [
            {"type": "CCS", "power": 50, "pricing": {"basePrice": 18}},
            {"connectorId": 2, "type": "CHAdeMO", "power": 50},
        ],
    }


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_charger_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    assert_cms_error(await client.request(method, path, json={}), 401)


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
async def test_drivers_may_not_register_change_or_archive_chargers(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    assert_cms_error(await client.request(method, path, json={}, headers=headers), 403)


async def test_only_admins_restore_chargers(client: httpx.AsyncClient, runtime: Runtime) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(runtime, await make_station(runtime, brand), archived_at=utcnow())
    response = await client.patch(f"/api/v1/chargers/{charger.id}/restore", headers=headers)
    assert_cms_error(response, 403)


async def test_registering_a_charger_returns_it_and_its_ocpp_credentials_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, connectors=[("Type2", 7.4, 900)])
    response = await client.post("/api/v1/chargers", json=registration(station.id), headers=headers)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert set(data) == {"charger", "ocppUrl", "ocppUsername", "ocppPassword", "ocppProtocols"}
    assert data["ocppUrl"] == "ws://testserver/ocpp/BLR-KOR-01"
    assert data["ocppUsername"] == "BLR-KOR-01"
    assert data["ocppProtocols"] == ["ocpp1.6", "ocpp2.0.1"]
    password = data["ocppPassword"]
    assert 16 <= len(password) <= 40
    charger = data["charger"]
    assert set(charger) == CHARGER_FIELDS
    assert charger["chargerId"] == "BLR-KOR-01"
    assert charger["chargerName"] == "Bay 1 DC"
    assert charger["stationId"] == str(station.id)
    assert charger["status"] == "Offline"
    assert charger["lastHeartbeat"] is None
    assert charger["firmwareVersion"] is None
    assert charger["isArchived"] is False
    assert charger["location"] == f"{station.name}, {station.address}, Bengaluru"
    assert charger["connectors"] == [
        {
            "connectorId": 1,
            "type": "CCS",
            "power": 50,
            "status": "Unavailable",
            "currentSession": None,
        },
        {
            "connectorId": 2,
            "type": "CHAdeMO",
            "power": 50,
            "status": "Unavailable",
            "currentSession": None,
        },
    ]
    # The password is kept only as an Argon2 hash and never shown again.
    async with runtime.sessionmaker() as session:
        stored = (await session.scalars(select(Charger))).one()
    assert stored.password_hash.startswith("sha256$") and password not in stored.password_hash
    assert generated_secret_matches(stored.password_hash, password)
    again = await client.get(f"/api/v1/chargers/{charger['id']}", headers=headers)
    assert password not in again.text and "argon2" not in again.text
    # The charger's connectors join the station's list after its own.
    station_view = await client.get(f"/api/v1/stations/{station.id}", headers=headers)
    ids = [c["connectorId"] for c in station_view.json()["data"]["station"]["connectors"]]
    assert ids == ["1", "2", "3"]


async def test_registering_a_taken_charger_id_is_a_conflict(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    await make_charger(runtime, station, charge_point_id="EVC-1")
    response = await client.post(
        "/api/v1/chargers", json=registration(station.id, "evc-1"), headers=headers
    )
    assert_cms_error(response, 409)


async def test_registering_at_another_brands_station_is_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, other)
    _, headers = await signed_in(runtime, client, Role.BRAND)
    response = await client.post("/api/v1/chargers", json=registration(station.id), headers=headers)
    assert_cms_error(response, 404)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"chargerId": "bad id/with space"}, "chargerId"),
        ({"chargerId": "x" * 49}, "chargerId"),
        ({"stationId": "abc"}, "stationId"),
        ({"name": ""}, "name"),
        ({"connectors": [{"type": "CCS", "power": 50, "connectorId": 0}]}, "connectors.0"),
        ({"connectors": [{"type": "Plug", "power": 50}]}, "connectors.0.type"),
    ],
)
async def test_registering_with_bad_input_names_the_field(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, object], field: str
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    body = {**registration(station.id), **change}
    error = assert_cms_error(await client.post("/api/v1/chargers", json=body, headers=headers), 422)
    fields = [item["field"] for item in error["errors"]]  # type: ignore[attr-defined]
    assert any(name.startswith(field) for name in fields), fields


async def test_duplicate_connector_numbers_are_refused(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    body = {
        **registration(station.id),
        "connectors": [
            {"type": "CCS", "power": 50},
            {"connectorId": 1, "type": "CCS", "power": 50},
        ],
    }
    error = assert_cms_error(await client.post("/api/v1/chargers", json=body, headers=headers), 422)
    assert error["errors"][0]["field"] == "connectors.connectorId"  # type: ignore[index]


async def test_a_charger_is_found_by_key_or_charge_point_id(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(
        runtime, await make_station(runtime, brand), charge_point_id="CP-X"
    )
    by_key = await client.get(f"/api/v1/chargers/{charger.id}", headers=headers)
    by_cp = await client.get("/api/v1/chargers/CP-X", headers=headers)
    assert by_key.status_code == by_cp.status_code == 200
    assert by_key.json() == by_cp.json()
    assert set(by_key.json()["data"]["charger"]) == CHARGER_FIELDS


async def test_another_brands_charger_is_not_found_for_every_route(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(runtime, await make_station(runtime, other))
    _, headers = await signed_in(runtime, client, Role.BRAND)
    base = f"/api/v1/chargers/{charger.id}"
    for method, path in [
        ("GET", base),
        ("GET", f"{base}/status"),
        ("GET", f"{base}/maintenance-history"),
        ("PUT", base),
        ("PATCH", f"{base}/archive"),
        ("POST", f"{base}/rotate-password"),
    ]:
        response = await client.request(method, path, json={"name": "x"}, headers=headers)
        assert_cms_error(response, 404)


async def test_live_status_has_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(
        runtime, await make_station(runtime, brand), status=ChargerStatus.ONLINE
    )
    beat = utcnow()
    async with runtime.sessionmaker() as session:
        row = await session.get(Charger, charger.id)
        assert row is not None
        row.current_power_w = 22_500
        row.temperature_c = 41.5
        row.last_heartbeat_at = beat
        await session.commit()
    response = await client.get(f"/api/v1/chargers/{charger.id}/status", headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"status", "currentPower", "temperature", "lastHeartbeat"}
    assert data["status"] == "Online"
    assert data["currentPower"] == 22.5
    assert data["temperature"] == 41.5
    assert data["lastHeartbeat"].startswith(beat.isoformat()[:19])


async def test_maintenance_history_is_an_empty_list_until_maintenance_is_logged(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    brand, _ = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(runtime, await make_station(runtime, brand))
    response = await client.get(
        f"/api/v1/chargers/{charger.id}/maintenance-history", headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"history": []}


async def test_list_filters_by_station_status_and_manufacturer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    first = await make_station(runtime, brand)
    second = await make_station(runtime, brand)
    a = await make_charger(runtime, first, status=ChargerStatus.ONLINE, manufacturer="ABB")
    b = await make_charger(runtime, first, status=ChargerStatus.OFFLINE, manufacturer="Delta")
    c = await make_charger(runtime, second, status=ChargerStatus.ONLINE, manufacturer="Delta")

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/api/v1/chargers?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["data"]["chargers"]]

    assert await ids(f"station={first.id}") == [str(a.id), str(b.id)]
    assert await ids("status=Online") == [str(a.id), str(c.id)]
    assert await ids("manufacturer=delta") == [str(b.id), str(c.id)]
    page = await client.get("/api/v1/chargers?limit=2&page=1", headers=headers)
    assert page.json()["pagination"] == {
        "total": 3,
        "page": 1,
        "limit": 2,
        "totalPages": 2,
        "hasNext": True,
        "hasPrev": False,
    }
    bad = await client.get("/api/v1/chargers?status=Broken", headers=headers)
    assert_cms_error(bad, 422)


async def test_brands_list_only_their_own_chargers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client, Role.BRAND)
    await make_charger(runtime, await make_station(runtime, other))
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    mine = await make_charger(runtime, await make_station(runtime, brand))
    response = await client.get("/api/v1/chargers", headers=headers)
    assert [c["id"] for c in response.json()["data"]["chargers"]] == [str(mine.id)]


async def test_stats_count_chargers_by_status_and_connector_use(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    await make_charger(
        runtime, station, status=ChargerStatus.ONLINE, connectors=2, connector_status="Charging"
    )
    await make_charger(runtime, station, status=ChargerStatus.ONLINE, connectors=1)
    await make_charger(runtime, station, status=ChargerStatus.FAULTED, connectors=1)
    await make_charger(runtime, station, status=ChargerStatus.OFFLINE, connectors=1)
    other_station = await make_station(runtime, brand)
    await make_charger(runtime, other_station, status=ChargerStatus.OFFLINE, connectors=0)
    response = await client.get("/api/v1/chargers/stats", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "totalChargers": 5,
        "online": 2,
        "offline": 2,
        "faulted": 1,
        "utilization": 40,
    }
    scoped = await client.get(f"/api/v1/chargers/stats?station={other_station.id}", headers=headers)
    assert scoped.json()["data"] == {
        "totalChargers": 1,
        "online": 0,
        "offline": 1,
        "faulted": 0,
        "utilization": 0,
    }


async def test_stats_for_another_brands_station_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, other)
    _, headers = await signed_in(runtime, client, Role.BRAND)
    response = await client.get(f"/api/v1/chargers/stats?station={station.id}", headers=headers)
    assert_cms_error(response, 404)


async def test_owner_updates_name_and_puts_a_charger_in_maintenance(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(
        runtime, await make_station(runtime, brand), status=ChargerStatus.ONLINE
    )
    response = await client.put(
        f"/api/v1/chargers/{charger.id}",
        json={"name": "Bay 9", "status": "Maintenance"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()["data"]["charger"]
    assert set(updated) == CHARGER_FIELDS
    assert updated["chargerName"] == "Bay 9"
    assert updated["status"] == "Maintenance"
    assert updated["connectors"][0]["status"] == "Unavailable"
    bad = await client.put(
        f"/api/v1/chargers/{charger.id}", json={"status": "Sleeping"}, headers=headers
    )
    assert_cms_error(bad, 422)


async def test_archived_chargers_leave_listings_and_admins_restore_them(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    _, driver = await signed_in(runtime, client, Role.USER)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    charger = await make_charger(runtime, await make_station(runtime, brand))
    path = f"/api/v1/chargers/{charger.id}"

    archived = await client.patch(f"{path}/archive", headers=headers)
    assert archived.status_code == 200, archived.text
    assert archived.json()["success"] is True
    assert (await client.get("/api/v1/chargers", headers=headers)).json()["data"]["chargers"] == []
    assert (await client.get(path, headers=headers)).json()["data"]["charger"]["isArchived"] is True
    assert_cms_error(await client.get(path, headers=driver), 404)

    restored = await client.patch(f"{path}/restore", headers=admin)
    assert restored.status_code == 200, restored.text
    listed = (await client.get("/api/v1/chargers", headers=headers)).json()["data"]["chargers"]
    assert [c["id"] for c in listed] == [str(charger.id)]
    assert listed[0]["isArchived"] is False
    assert (await client.get(path, headers=driver)).status_code == 200


async def test_rotating_the_password_retires_the_old_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await make_charger(
        runtime, await make_station(runtime, brand), charge_point_id="CP-ROT", password="old-pass"
    )
    response = await client.post("/api/v1/chargers/CP-ROT/rotate-password", headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["ocppUrl"] == "ws://testserver/ocpp/CP-ROT"
    async with runtime.sessionmaker() as session:
        stored = await session.get(Charger, charger.id)
        assert stored is not None
    assert generated_secret_matches(stored.password_hash, data["ocppPassword"])
    assert not generated_secret_matches(stored.password_hash, "old-pass")


async def test_a_connector_names_the_session_running_on_it_to_who_may_see_it(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from evcare.charging.sessions.records import public_session_id
    from tests.factories.ocpp import make_session

    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    driver, driver_headers = await signed_in(runtime, client, Role.USER)
    _, stranger_headers = await signed_in(runtime, client, Role.USER)
    charger = await make_charger(runtime, await make_station(runtime, brand), connectors=2)
    await make_session(runtime, charger, user=driver, started_at=utcnow(), minutes=20)
    running = await make_session(
        runtime, charger, user=driver, started_at=utcnow(), minutes=None, connector_id=2
    )

    async def current(headers: dict[str, str]) -> list[str | None]:
        one = await client.get(f"/api/v1/chargers/{charger.id}", headers=headers)
        listed = await client.get("/api/v1/chargers", headers=headers)
        assert one.status_code == listed.status_code == 200
        [same] = [c for c in listed.json()["data"]["chargers"] if c["id"] == str(charger.id)]
        assert same["connectors"] == one.json()["data"]["charger"]["connectors"]
        return [c["currentSession"] for c in same["connectors"]]

    assert await current(brand_headers) == [None, public_session_id(running.id)]
    assert await current(driver_headers) == [None, public_session_id(running.id)]
    assert await current(stranger_headers) == [None, None]
