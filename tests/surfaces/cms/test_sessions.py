"""EV-CMS /api/v1/sessions and vehicle history/stats: shapes, visibility, validation."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.scopes import Scope
from evcare.vehicles.models import Vehicle
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.ocpp import make_charger, make_session
from tests.factories.vehicles import narrowed
from tests.surfaces.cms.test_auth import assert_cms_error

SESSION_FIELDS = {
    "id",
    "sessionId",
    "userId",
    "chargerId",
    "connectorId",
    "vehicleId",
    "status",
    "startTime",
    "endTime",
    "meterStart",
    "meterStop",
    "energyConsumed",
    "duration",
    "cost",
    "paymentStatus",
    "stopReason",
    "ocppTransactionId",
}
CDR_FIELDS = {
    "sessionId",
    "userId",
    "userName",
    "chargerId",
    "connectorId",
    "vehicleInfo",
    "startTime",
    "endTime",
    "duration",
    "energyConsumed",
    "meterStart",
    "meterStop",
    "totalCost",
    "currency",
    "pricing",
}
START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


async def _vehicle(runtime: Runtime, owner_id: int) -> Vehicle:
    async with runtime.sessionmaker() as session:
        vehicle = Vehicle(
            owner_id=owner_id,
            make="Tata",
            model="Nexon EV",
            year=2024,
            registration_number=f"KA01AB{owner_id:04d}",
        )
        session.add(vehicle)
        await session.commit()
        return vehicle


async def test_a_driver_sees_their_session_and_cdr_in_the_documented_shape(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    vehicle = await _vehicle(runtime, driver.id)
    charger = await make_charger(runtime)
    row = await make_session(
        runtime, charger, user=driver, started_at=START, energy_wh=12_345, vehicle_id=vehicle.id
    )
    response = await client.get(f"/api/v1/sessions/{row.id}", headers=headers)
    assert response.status_code == 200, response.text
    session = response.json()["data"]["session"]
    assert set(session) == SESSION_FIELDS
    assert session["sessionId"] == f"SES{row.id:06d}"
    assert session["chargerId"] == charger.charge_point_id
    assert session["startTime"] == "2026-06-01T10:00:00Z"
    assert session["energyConsumed"] == 12.345
    assert session["duration"] == 30.0
    assert session["cost"] == 246.9
    assert session["paymentStatus"] == "pending"
    assert session["ocppTransactionId"] == row.id
    cdr = (await client.get(f"/api/v1/sessions/{session['sessionId']}/cdr", headers=headers)).json()
    assert set(cdr["data"]["cdr"]) == CDR_FIELDS
    assert cdr["data"]["cdr"]["vehicleInfo"] == f"Tata Nexon EV (KA01AB{driver.id:04d})"
    assert cdr["data"]["cdr"]["userName"] == "Test Person"
    assert cdr["data"]["cdr"]["currency"] == "INR"


async def test_lists_show_each_caller_only_what_they_may_see(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    mine = await make_charger(runtime, owner=brand)
    elsewhere = await make_charger(runtime)
    driver = await make_user(runtime)
    stranger = await make_user(runtime)
    await make_session(runtime, mine, user=driver, started_at=START)
    await make_session(runtime, elsewhere, user=driver, started_at=START, minutes=None)
    await make_session(runtime, elsewhere, user=stranger, started_at=START)

    async def count(user: object, path: str = "/api/v1/sessions") -> int:
        token = await login(client, user)  # type: ignore[arg-type]
        body = (await client.get(path, headers=bearer(token))).json()
        return len(body["data"]["sessions"])

    admin = await make_user(runtime, role=Role.ADMIN)
    assert await count(driver) == 2
    assert await count(brand) == 1
    assert await count(admin) == 3
    assert await count(driver, "/api/v1/sessions/active") == 1
    listed = await client.get(
        "/api/v1/sessions?status=completed&limit=1",
        headers=bearer(await login(client, admin)),
    )
    assert listed.json()["pagination"] == {
        "total": 2,
        "page": 1,
        "limit": 1,
        "totalPages": 2,
        "hasNext": True,
        "hasPrev": False,
    }


async def test_history_filters_by_date_and_totals_closed_sessions(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    charger = await make_charger(runtime)
    await make_session(runtime, charger, user=driver, started_at=START, energy_wh=10_000)
    await make_session(
        runtime, charger, user=driver, started_at=datetime(2026, 6, 3, tzinfo=UTC), minutes=60
    )
    await make_session(runtime, charger, user=driver, started_at=datetime(2026, 7, 1, tzinfo=UTC))
    response = await client.get(
        "/api/v1/sessions/history?startDate=2026-06-01&endDate=2026-06-30", headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["data"]["sessions"]) == 2
    assert body["data"]["totals"] == {
        "totalSessions": 2,
        "totalEnergy": 20.0,
        "totalCost": 400,
        "totalDuration": 90.0,
    }
    assert body["pagination"]["total"] == 2
    bad = await client.get("/api/v1/sessions/history?startDate=June", headers=headers)
    assert assert_cms_error(bad, 422)["errors"][0]["field"] == "startDate"  # type: ignore[index]
    backwards = await client.get(
        "/api/v1/sessions/history?startDate=2026-06-30&endDate=2026-06-01", headers=headers
    )
    assert_cms_error(backwards, 400)


async def test_someone_elses_session_is_a_404_and_anonymous_a_401(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    owner = await make_user(runtime)
    row = await make_session(runtime, await make_charger(runtime), user=owner, started_at=START)
    _, other = await signed_in(runtime, client)
    _, other_brand = await signed_in(runtime, client, Role.BRAND)
    for path in (f"/api/v1/sessions/{row.id}", f"/api/v1/sessions/{row.id}/cdr"):
        assert_cms_error(await client.get(path), 401)
        assert_cms_error(await client.get(path, headers=other), 404)
        assert_cms_error(await client.get(path, headers=other_brand), 404)
    assert_cms_error(await client.post(f"/api/v1/sessions/{row.id}/stop", headers=other), 404)
    assert_cms_error(await client.get("/api/v1/sessions/NOPE1", headers=other), 404)
    assert_cms_error(await client.get("/api/v1/sessions"), 401)
    assert_cms_error(await client.get("/api/v1/sessions/active"), 401)
    assert_cms_error(await client.get("/api/v1/sessions/history"), 401)
    bad_status = await client.get("/api/v1/sessions?status=paused", headers=other)
    assert assert_cms_error(bad_status, 422)["errors"][0]["field"] == "status"  # type: ignore[index]


async def test_the_cdr_of_an_active_session_is_not_issued_yet(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    row = await make_session(
        runtime, await make_charger(runtime), user=driver, started_at=START, minutes=None
    )
    assert_cms_error(await client.get(f"/api/v1/sessions/{row.id}/cdr", headers=headers), 409)


async def test_stopping_a_closed_session_returns_it_with_its_cdr(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    row = await make_session(runtime, await make_charger(runtime), user=driver, started_at=START)
    response = await client.post(f"/api/v1/sessions/{row.id}/stop", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["session"]["status"] == "completed"
    assert response.json()["data"]["cdr"]["totalCost"] == 200
    too_long = await client.post(
        f"/api/v1/sessions/{row.id}/stop", json={"reason": "x" * 101}, headers=headers
    )
    assert assert_cms_error(too_long, 422)["errors"][0]["field"] == "reason"  # type: ignore[index]


async def test_starting_a_session_is_for_operators_of_the_charger(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    charger = await make_charger(runtime)
    driver, driver_headers = await signed_in(runtime, client)
    _, other_brand = await signed_in(runtime, client, Role.BRAND)
    body = {"chargerId": charger.charge_point_id, "connectorId": 1, "userId": str(driver.id)}
    assert_cms_error(await client.post("/api/v1/sessions", json=body), 401)
    assert_cms_error(await client.post("/api/v1/sessions", json=body, headers=driver_headers), 403)
    assert_cms_error(await client.post("/api/v1/sessions", json=body, headers=other_brand), 404)
    bad = await client.post(
        "/api/v1/sessions", json={**body, "connectorId": 0}, headers=other_brand
    )
    assert assert_cms_error(bad, 422)["errors"][0]["field"] == "connectorId"  # type: ignore[index]


async def test_vehicle_history_and_stats_cover_only_that_vehicle(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    vehicle = await _vehicle(runtime, driver.id)
    charger = await make_charger(runtime)
    await make_session(
        runtime, charger, user=driver, started_at=START, energy_wh=10_000, vehicle_id=vehicle.id
    )
    await make_session(
        runtime,
        charger,
        user=driver,
        started_at=START,
        energy_wh=20_000,
        minutes=90,
        vehicle_id=vehicle.id,
    )
    await make_session(runtime, charger, user=driver, started_at=START)
    history = await client.get(
        f"/api/v1/profile/vehicles/{vehicle.id}/history?limit=1", headers=headers
    )
    assert history.status_code == 200, history.text
    assert len(history.json()["data"]["sessions"]) == 1
    assert history.json()["pagination"]["total"] == 2
    stats = await client.get(f"/api/v1/profile/vehicles/{vehicle.id}/stats", headers=headers)
    assert stats.json()["data"] == {
        "totalSessions": 2,
        "totalEnergy": 30.0,
        "totalCost": 600,
        "avgSessionDuration": 60.0,
        "co2Saved": 25.5,
    }
    _, other = await signed_in(runtime, client)
    for path in ("history", "stats"):
        url = f"/api/v1/profile/vehicles/{vehicle.id}/{path}"
        assert_cms_error(await client.get(url), 401)
        assert_cms_error(await client.get(url, headers=other), 404)
    bad = await client.get(
        f"/api/v1/profile/vehicles/{vehicle.id}/history?limit=1000", headers=headers
    )
    assert assert_cms_error(bad, 422)["errors"][0]["field"] == "limit"  # type: ignore[index]


async def test_each_route_refuses_a_token_without_its_scope(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver = await make_user(runtime)
    token = await login(client, driver)
    vehicle = await _vehicle(runtime, driver.id)
    row = await make_session(runtime, await make_charger(runtime), user=driver, started_at=START)
    no_read = narrowed(runtime, token, without=Scope.READ_SESSIONS)
    for path in (
        "/api/v1/sessions",
        "/api/v1/sessions/active",
        "/api/v1/sessions/history",
        f"/api/v1/sessions/{row.id}",
        f"/api/v1/sessions/{row.id}/cdr",
    ):
        assert_cms_error(await client.get(path, headers=no_read), 403)
    no_write = narrowed(runtime, token, without=Scope.WRITE_SESSIONS)
    assert_cms_error(await client.post(f"/api/v1/sessions/{row.id}/stop", headers=no_write), 403)
    no_vehicles = narrowed(runtime, token, without=Scope.READ_VEHICLES)
    for path in ("history", "stats"):
        url = f"/api/v1/profile/vehicles/{vehicle.id}/{path}"
        assert_cms_error(await client.get(url, headers=no_vehicles), 403)
