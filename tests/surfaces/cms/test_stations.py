"""EV-CMS /api/v1/stations: documented shapes, ownership, nearby search, soft delete."""

from __future__ import annotations

import httpx
import pytest

from evcare.charging.chargers.models import ChargerStatus
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.charging import make_charger, make_station
from tests.factories.identity import signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

STATION_FIELDS = {
    "id",
    "name",
    "address",
    "location",
    "city",
    "state",
    "pincode",
    "status",
    "rating",
    "totalReviews",
    "amenities",
    "operatingHours",
    "images",
    "connectors",
    "ownerId",
    "ownerType",
    "franchiseId",
    "createdAt",
}
CONNECTOR_FIELDS = {"connectorId", "type", "power", "status", "pricing"}

NEW_STATION = {
    "name": "Volt Hub Koramangala",
    "address": "80 Feet Road, Koramangala",
    "location": {"type": "Point", "coordinates": [77.6245, 12.9352]},
    "city": "Bengaluru",
    "state": "Karnataka",
    "pincode": "560034",
    "amenities": ["wifi", "cafe"],
    "operatingHours": {"open": "06:00", "close": "23:00"},
    "images": ["https://cdn.example.com/s1.jpg"],
    "connectors": [
        {
            "type": "CCS",
            "power": 60,
            "pricing": {"basePrice": 18.5, "parkingFee": 20, "reservationFee": 49.99},
        },
        {"type": "Type2", "power": 7.4},
    ],
}

ROUTES = [
    ("GET", "/api/v1/stations"),
    ("GET", "/api/v1/stations/nearby?latitude=12.9&longitude=77.6"),
    ("GET", "/api/v1/stations/1"),
    ("GET", "/api/v1/stations/1/availability"),
    ("POST", "/api/v1/stations"),
    ("PUT", "/api/v1/stations/1"),
    ("DELETE", "/api/v1/stations/1"),
]

METRES_PER_DEGREE_LAT = 6_371_008.8 * 3.141592653589793 / 180


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_station_route_refuses_anonymous_callers(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path, json={})
    assert_cms_error(response, 401)


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/stations"), ("PUT", "/api/v1/stations/1"), ("DELETE", "/api/v1/stations/1")],
)
async def test_drivers_may_not_create_change_or_delete_stations(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    response = await client.request(method, path, json=NEW_STATION, headers=headers)
    assert_cms_error(response, 403)


async def test_brands_may_not_delete_stations_not_even_their_own(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    response = await client.delete(f"/api/v1/stations/{station.id}", headers=headers)
    assert_cms_error(response, 403)


async def test_brand_creates_a_station_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    response = await client.post("/api/v1/stations", json=NEW_STATION, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    station = body["data"]["station"]
    assert set(station) == STATION_FIELDS
    assert station["location"] == {"type": "Point", "coordinates": [77.6245, 12.9352]}
    assert station["operatingHours"] == {"open": "06:00", "close": "23:00"}
    assert station["ownerId"] == str(brand.id)
    assert station["ownerType"] == "brand"
    assert station["status"] == "active"
    assert station["rating"] == 0 and station["totalReviews"] == 0
    assert station["amenities"] == ["wifi", "cafe"]
    assert station["images"] == ["https://cdn.example.com/s1.jpg"]
    first, second = station["connectors"]
    assert set(first) == CONNECTOR_FIELDS
    assert first == {
        "connectorId": "1",
        "type": "CCS",
        "power": 60,
        "status": "unavailable",  # no charger behind it yet
        "pricing": {"basePrice": 18.5, "parkingFee": 20, "reservationFee": 49.99},
    }
    assert second["connectorId"] == "2" and second["power"] == 7.4
    assert second["pricing"] == {"basePrice": 0, "parkingFee": 0, "reservationFee": 0}
    fetched = await client.get(f"/api/v1/stations/{station['id']}", headers=headers)
    assert fetched.json()["data"]["station"] == station


async def test_station_prices_are_stored_in_paise(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from sqlalchemy import select

    from evcare.charging.stations.models import Connector

    _, headers = await signed_in(runtime, client, Role.BRAND)
    response = await client.post("/api/v1/stations", json=NEW_STATION, headers=headers)
    assert response.status_code == 201
    async with runtime.sessionmaker() as session:
        prices = (
            await session.execute(
                select(
                    Connector.base_price_minor,
                    Connector.parking_fee_minor,
                    Connector.reservation_fee_minor,
                    Connector.currency,
                ).order_by(Connector.id)
            )
        ).all()
    assert [tuple(row) for row in prices] == [(1850, 2000, 4999, "INR"), (0, 0, 0, "INR")]


async def test_admin_creates_a_station_for_a_brand(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, _ = await signed_in(runtime, client, Role.BRAND)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    body = {**NEW_STATION, "ownerId": str(brand.id)}
    response = await client.post("/api/v1/stations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    station = response.json()["data"]["station"]
    assert station["ownerId"] == str(brand.id) and station["ownerType"] == "brand"


async def test_admin_cannot_hand_a_station_to_a_driver(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver, _ = await signed_in(runtime, client, Role.USER)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    body = {**NEW_STATION, "ownerId": str(driver.id)}
    response = await client.post("/api/v1/stations", json=body, headers=admin)
    error = assert_cms_error(response, 422)
    assert error["errors"] == [{"field": "ownerId", "message": "not a brand or franchise user"}]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location": {"type": "Point", "coordinates": [77.6, 120.0]}}, "location.coordinates"),
        ({"location": {"type": "Polygon", "coordinates": [77.6, 12.9]}}, "location.type"),
        ({"name": ""}, "name"),
        ({"operatingHours": {"open": "25:00", "close": "23:00"}}, "operatingHours.open"),
        ({"connectors": [{"type": "Tesla", "power": 11}]}, "connectors.0.type"),
        ({"connectors": [{"type": "CCS", "power": 0}]}, "connectors.0.power"),
        (
            {"connectors": [{"type": "CCS", "power": 50, "pricing": {"basePrice": -1}}]},
            "connectors.0.pricing.basePrice",
        ),
        ({"status": "open"}, "status"),
        ({"surprise": True}, "surprise"),
    ],
)
async def test_creating_a_station_with_bad_input_names_the_field(
    client: httpx.AsyncClient, runtime: Runtime, change: dict[str, object], field: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.BRAND)
    response = await client.post(
        "/api/v1/stations", json={**NEW_STATION, **change}, headers=headers
    )
    error = assert_cms_error(response, 422)
    fields = [item["field"] for item in error["errors"]]  # type: ignore[attr-defined]
    assert any(name.startswith(field) for name in fields), fields


async def test_list_is_paginated_in_the_documented_shape(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    for _ in range(3):
        await make_station(runtime, brand)
    response = await client.get("/api/v1/stations?page=2&limit=2", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert len(body["data"]["stations"]) == 1
    assert set(body["data"]["stations"][0]) == STATION_FIELDS
    assert body["pagination"] == {
        "total": 3,
        "page": 2,
        "limit": 2,
        "totalPages": 2,
        "hasNext": False,
        "hasPrev": True,
    }


async def test_list_filters_by_search_status_and_connector_type(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, _ = await signed_in(runtime, client, Role.BRAND)
    await make_station(runtime, brand, name="Indiranagar Fast", connectors=[("CCS", 60, 1800)])
    await make_station(runtime, brand, name="Whitefield Slow", connectors=[("Type2", 7.4, 900)])
    await make_station(runtime, brand, name="Jayanagar Closed", status="inactive")
    _, admin = await signed_in(runtime, client, Role.ADMIN)

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/v1/stations?{query}", headers=admin)
        assert response.status_code == 200, response.text
        return [s["name"] for s in response.json()["data"]["stations"]]

    assert await names("search=fast") == ["Indiranagar Fast"]
    assert await names("type=Type2") == ["Whitefield Slow"]
    assert await names("status=inactive") == ["Jayanagar Closed"]
    assert len(await names("")) == 3


async def test_list_with_bad_filters_is_a_422(client: httpx.AsyncClient, runtime: Runtime) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    response = await client.get("/api/v1/stations?status=open&limit=500", headers=headers)
    error = assert_cms_error(response, 422)
    assert {item["field"] for item in error["errors"]} == {"status", "limit"}  # type: ignore[attr-defined]


async def test_drivers_see_active_stations_and_brands_only_their_own(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    other, _ = await signed_in(runtime, client, Role.BRAND)
    await make_station(runtime, brand, name="Mine active")
    await make_station(runtime, brand, name="Mine inactive", status="inactive")
    await make_station(runtime, other, name="Theirs active")
    _, driver = await signed_in(runtime, client, Role.USER)

    async def names(headers: dict[str, str]) -> set[str]:
        response = await client.get("/api/v1/stations", headers=headers)
        return {s["name"] for s in response.json()["data"]["stations"]}

    assert await names(brand_headers) == {"Mine active", "Mine inactive"}
    assert await names(driver) == {"Mine active", "Theirs active"}


async def test_another_brands_station_is_not_found_for_every_route(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    other, _ = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, other)
    _, headers = await signed_in(runtime, client, Role.BRAND)
    base = f"/api/v1/stations/{station.id}"
    assert_cms_error(await client.get(base, headers=headers), 404)
    assert_cms_error(await client.get(f"{base}/availability", headers=headers), 404)
    assert_cms_error(await client.put(base, json={"name": "Mine"}, headers=headers), 404)


async def test_unknown_station_ids_are_not_found(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(await client.get("/api/v1/stations/999999", headers=headers), 404)
    assert_cms_error(await client.get("/api/v1/stations/abc", headers=headers), 404)
    assert_cms_error(await client.delete("/api/v1/stations/999999", headers=headers), 404)


async def test_owner_updates_name_status_and_location(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    response = await client.put(
        f"/api/v1/stations/{station.id}",
        json={
            "name": "Renamed",
            "status": "maintenance",
            "location": {"type": "Point", "coordinates": [72.8777, 19.076]},
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    updated = response.json()["data"]["station"]
    assert set(updated) == STATION_FIELDS
    assert updated["name"] == "Renamed"
    assert updated["status"] == "maintenance"
    assert updated["location"]["coordinates"] == [72.8777, 19.076]
    assert updated["address"] == station.address


async def test_update_with_bad_input_is_a_422(client: httpx.AsyncClient, runtime: Runtime) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    response = await client.put(
        f"/api/v1/stations/{station.id}", json={"status": "closed"}, headers=headers
    )
    error = assert_cms_error(response, 422)
    assert error["errors"][0]["field"] == "status"  # type: ignore[index]


async def test_admin_soft_deletes_a_station_and_it_disappears(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, brand_headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, latitude=12.9, longitude=77.6)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    response = await client.delete(f"/api/v1/stations/{station.id}", headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True
    for headers in (admin, brand_headers):
        assert_cms_error(await client.get(f"/api/v1/stations/{station.id}", headers=headers), 404)
        listed = await client.get("/api/v1/stations", headers=headers)
        assert listed.json()["data"]["stations"] == []
        near = await client.get(
            "/api/v1/stations/nearby?latitude=12.9&longitude=77.6", headers=headers
        )
        assert near.json()["data"] == {"stations": [], "count": 0}
    assert_cms_error(await client.delete(f"/api/v1/stations/{station.id}", headers=admin), 404)


async def test_nearby_returns_stations_in_radius_nearest_first_with_distances(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, _ = await signed_in(runtime, client, Role.BRAND)
    lat, lng = 12.9716, 77.5946
    # Due north of the search point, so the distance is the latitude difference.
    for metres in (3000, 500, 4900, 5200, 1500):
        await make_station(
            runtime,
            brand,
            name=f"{metres} m",
            latitude=lat + metres / METRES_PER_DEGREE_LAT,
            longitude=lng,
        )
    await make_station(
        runtime, brand, name="closed", latitude=lat, longitude=lng, status="inactive"
    )
    _, driver = await signed_in(runtime, client, Role.USER)
    response = await client.get(
        f"/api/v1/stations/nearby?latitude={lat}&longitude={lng}", headers=driver
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["count"] == 4
    assert [s["name"] for s in data["stations"]] == ["500 m", "1500 m", "3000 m", "4900 m"]
    for station in data["stations"]:
        assert set(station) == STATION_FIELDS | {"distance"}
        assert station["distance"] == pytest.approx(int(station["name"].split()[0]), abs=0.2)


async def test_nearby_honours_radius_and_limit(client: httpx.AsyncClient, runtime: Runtime) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    lat, lng = 19.076, 72.8777
    for metres in (100, 200, 300, 400, 20_000):
        await make_station(
            runtime,
            brand,
            name=f"{metres}",
            latitude=lat,
            longitude=lng + metres / (METRES_PER_DEGREE_LAT * 0.945),
        )
    query = f"/api/v1/stations/nearby?latitude={lat}&longitude={lng}"
    limited = (await client.get(f"{query}&limit=2", headers=headers)).json()["data"]
    assert [s["name"] for s in limited["stations"]] == ["100", "200"]
    wide = (await client.get(f"{query}&radius=25000", headers=headers)).json()["data"]
    assert wide["count"] == 5
    assert wide["stations"][-1]["name"] == "20000"


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("longitude=77.6", {"latitude"}),
        ("latitude=91&longitude=77.6", {"latitude"}),
        ("latitude=12.9&longitude=181", {"longitude"}),
        ("latitude=12.9&longitude=77.6&radius=50001", {"radius"}),
        ("latitude=12.9&longitude=77.6&radius=0", {"radius"}),
        ("latitude=12.9&longitude=77.6&limit=51", {"limit"}),
    ],
)
async def test_nearby_with_bad_input_is_a_422(
    client: httpx.AsyncClient, runtime: Runtime, query: str, fields: set[str]
) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    response = await client.get(f"/api/v1/stations/nearby?{query}", headers=headers)
    error = assert_cms_error(response, 422)
    assert {item["field"] for item in error["errors"]} == fields  # type: ignore[attr-defined]


async def test_availability_reflects_connectors_and_their_chargers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand)
    await make_charger(runtime, station, status=ChargerStatus.ONLINE, connector_status="Charging")
    await make_charger(runtime, station, status=ChargerStatus.OFFLINE)
    path = f"/api/v1/stations/{station.id}/availability"
    response = await client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert set(data) == {"available", "connectors"}
    assert data["available"] is False
    assert [c["status"] for c in data["connectors"]] == ["occupied", "unavailable"]
    assert all(set(c) == CONNECTOR_FIELDS for c in data["connectors"])

    await make_charger(runtime, station, status=ChargerStatus.ONLINE)
    data = (await client.get(path, headers=headers)).json()["data"]
    assert data["available"] is True
    assert [c["status"] for c in data["connectors"]] == ["occupied", "unavailable", "available"]


async def test_a_station_whose_chargers_are_all_offline_has_nothing_available(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Connectors with no charger behind them never count as available, whatever their
    stored status; only an online charger's Available connector does."""
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, connectors=[("CCS", 50, 0), ("Type2", 22, 0)])
    await make_charger(runtime, station, status=ChargerStatus.OFFLINE)
    await make_charger(runtime, station, status=ChargerStatus.OFFLINE)
    path = f"/api/v1/stations/{station.id}/availability"
    data = (await client.get(path, headers=headers)).json()["data"]
    assert data["available"] is False
    assert [c["status"] for c in data["connectors"]] == ["unavailable"] * 4
    station_view = (await client.get(f"/api/v1/stations/{station.id}", headers=headers)).json()
    assert {c["status"] for c in station_view["data"]["station"]["connectors"]} == {"unavailable"}

    await make_charger(runtime, station, status=ChargerStatus.ONLINE)
    data = (await client.get(path, headers=headers)).json()["data"]
    assert data["available"] is True
    assert [c["status"] for c in data["connectors"]][-1] == "available"


async def test_a_station_in_maintenance_has_nothing_available(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, status="maintenance", connectors=[("CCS", 50, 0)])
    data = (
        await client.get(f"/api/v1/stations/{station.id}/availability", headers=headers)
    ).json()["data"]
    assert data == {
        "available": False,
        "connectors": [
            {
                "connectorId": "1",
                "type": "CCS",
                "power": 50,
                "status": "unavailable",
                "pricing": {"basePrice": 0, "parkingFee": 0, "reservationFee": 0},
            }
        ],
    }


async def test_deleted_station_is_also_gone_for_its_chargers(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, deleted_at=utcnow())
    charger = await make_charger(runtime, station)
    assert_cms_error(await client.get(f"/api/v1/chargers/{charger.id}", headers=headers), 404)


async def test_a_moved_station_is_found_at_its_new_place_only(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    station = await make_station(runtime, brand, latitude=12.9716, longitude=77.5946)
    moved = await client.put(
        f"/api/v1/stations/{station.id}",
        json={"location": {"type": "Point", "coordinates": [72.8777, 19.076]}},
        headers=headers,
    )
    assert moved.status_code == 200, moved.text

    async def near(lat: float, lng: float) -> list[str]:
        response = await client.get(
            f"/api/v1/stations/nearby?latitude={lat}&longitude={lng}", headers=headers
        )
        return [s["id"] for s in response.json()["data"]["stations"]]

    assert await near(19.076, 72.8777) == [str(station.id)]
    assert await near(12.9716, 77.5946) == []


async def test_franchises_own_the_stations_they_create(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    franchise, headers = await signed_in(runtime, client, Role.FRANCHISE)
    response = await client.post("/api/v1/stations", json=NEW_STATION, headers=headers)
    assert response.status_code == 201, response.text
    station = response.json()["data"]["station"]
    assert station["ownerId"] == str(franchise.id) and station["ownerType"] == "franchise"
    _, other = await signed_in(runtime, client, Role.FRANCHISE)
    assert_cms_error(await client.get(f"/api/v1/stations/{station['id']}", headers=other), 404)
