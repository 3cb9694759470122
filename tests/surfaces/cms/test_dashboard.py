"""EV-CMS GET /api/v1/dashboard/stats: the caller's own figures, checked by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from evcare.charging.bookings.models import ConnectorBooking
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Connector
from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.identity.scopes import Scope
from tests.factories import charging
from tests.factories.identity import bearer, login, make_user, signed_in
from tests.factories.ocpp import make_session
from tests.factories.vehicles import narrowed
from tests.factories.wallet import fund
from tests.surfaces.cms.test_auth import assert_cms_error

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# The month starts at 2026-11-01 00:00 in Asia/Kolkata: 2026-10-31 18:30 UTC.
MONTH_START = datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
STATS_FIELDS = {
    "upcomingBookings",
    "activeSession",
    "walletBalance",
    "currency",
    "thisMonth",
    "recentSessions",
    "favoriteStations",
}


async def _session(
    runtime: Runtime,
    charger: Charger,
    user: User,
    started_at: datetime,
    *,
    energy_wh: int = 10_000,
    cost_minor: int = 0,
    status: str = "completed",
    connector_id: int = 1,
) -> ChargingSession:
    active = status == "active"
    row = await make_session(
        runtime,
        charger,
        user=user,
        started_at=started_at,
        minutes=None if active else 30,
        energy_wh=energy_wh,
        connector_id=connector_id,
    )
    if not active:
        async with runtime.sessionmaker() as session:
            await session.execute(
                update(ChargingSession)
                .where(ChargingSession.id == row.id)
                .values(status=status, cost_minor=cost_minor)
            )
            await session.commit()
    return row


async def _book(runtime: Runtime, user: User, charger: Charger, at: datetime, status: str) -> None:
    async with runtime.sessionmaker() as session:
        connector = (
            await session.scalars(select(Connector).where(Connector.charger_id == charger.id))
        ).first()
        assert connector is not None
        session.add(
            ConnectorBooking(
                user_id=user.id,
                station_id=charger.station_id,
                connector_id=connector.id,
                status=status,
                scheduled_at=at,
                ends_at=at + timedelta(minutes=60),
                estimated_minutes=60,
            )
        )
        await session.commit()


async def test_the_dashboard_sums_the_drivers_own_month_sessions_and_stations(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    driver, headers = await signed_in(runtime, client)
    other = await make_user(runtime)
    brand = await make_user(runtime, role=Role.BRAND)
    near = await charging.make_charger(
        runtime, await charging.make_station(runtime, brand, name="Near"), connectors=2
    )
    far = await charging.make_charger(
        runtime, await charging.make_station(runtime, brand, name="Far")
    )
    await fund(runtime, driver, 123_450)
    clock.freeze(NOW)
    # This month (IST): two completed at Near, one failed; last month: three at Far.
    await _session(runtime, near, driver, MONTH_START + timedelta(minutes=30), cost_minor=15_050)
    await _session(
        runtime, near, driver, NOW - timedelta(days=2), energy_wh=5_500, cost_minor=9_000
    )
    await _session(runtime, near, driver, NOW - timedelta(days=1), energy_wh=0, status="failed")
    for days in (25, 26, 27):  # 26 Oct .. 24 Oct; the first is 30 minutes before the month
        await _session(runtime, far, driver, NOW - timedelta(days=days), cost_minor=10_000)
    await _session(runtime, far, driver, MONTH_START - timedelta(minutes=30), cost_minor=1)
    running = await _session(
        runtime, near, driver, NOW - timedelta(minutes=10), status="active", connector_id=2
    )
    await _session(runtime, near, other, NOW - timedelta(days=3), cost_minor=99_999)  # not ours
    await _book(runtime, driver, near, NOW + timedelta(days=3), "confirmed")
    await _book(runtime, driver, near, NOW + timedelta(days=4), "pending")
    await _book(runtime, driver, near, NOW + timedelta(days=5), "cancelled")
    await _book(runtime, driver, near, NOW - timedelta(days=5), "confirmed")  # already over
    await _book(runtime, other, near, NOW + timedelta(days=3, hours=2), "confirmed")

    response = await client.get("/api/v1/dashboard/stats", headers=headers)
    assert response.status_code == 200, response.text
    stats = response.json()["data"]["stats"]
    assert set(stats) == STATS_FIELDS
    assert stats["upcomingBookings"] == 2
    assert stats["walletBalance"] == 1234.5 and stats["currency"] == "INR"
    assert stats["activeSession"]["id"] == str(running.id)
    assert stats["activeSession"]["status"] == "active"
    # 2 completed + 1 failed + the running one start this month; energy over all of them
    # (10 + 5.5 + 0 kWh; the running one has none yet), spend over the completed two.
    assert stats["thisMonth"] == {"sessions": 4, "energyConsumed": 15.5, "totalSpent": 240.5}
    assert stats["recentSessions"][0]["id"] == str(running.id)
    assert len(stats["recentSessions"]) == 5
    assert all(s["userId"] == str(driver.id) for s in stats["recentSessions"])
    favourites = stats["favoriteStations"]
    assert [(f["name"], f["sessionCount"]) for f in favourites] == [("Far", 4), ("Near", 2)]
    assert set(favourites[0]) == {
        "id",
        "name",
        "address",
        "city",
        "sessionCount",
        "energyConsumed",
        "lastChargedAt",
    }
    assert favourites[0]["id"] == str(far.station_id) and favourites[1]["energyConsumed"] == 15.5


async def test_a_new_driver_sees_zeros(runtime: Runtime, client: httpx.AsyncClient) -> None:
    _, headers = await signed_in(runtime, client)
    response = await client.get("/api/v1/dashboard/stats", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["stats"] == {
        "upcomingBookings": 0,
        "activeSession": None,
        "walletBalance": 0,
        "currency": "INR",
        "thisMonth": {"sessions": 0, "energyConsumed": 0.0, "totalSpent": 0},
        "recentSessions": [],
        "favoriteStations": [],
    }


async def test_an_operator_sees_their_own_figures_not_their_stations(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand, headers = await signed_in(runtime, client, Role.BRAND)
    charger = await charging.make_charger(runtime, await charging.make_station(runtime, brand))
    await _session(runtime, charger, await make_user(runtime), NOW, cost_minor=5_000)
    stats = (await client.get("/api/v1/dashboard/stats", headers=headers)).json()["data"]["stats"]
    assert stats["recentSessions"] == [] and stats["thisMonth"]["sessions"] == 0


async def test_anonymous_is_401_and_a_token_without_the_scopes_is_403(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    assert_cms_error(await client.get("/api/v1/dashboard/stats"), 401)
    assert_cms_error(await client.get("/api/v1/dashboard/stats", headers=bearer("nope")), 401)
    driver = await make_user(runtime)
    token = await login(client, driver)
    for scope in (Scope.READ_SESSIONS, Scope.READ_WALLET):
        refused = await client.get(
            "/api/v1/dashboard/stats", headers=narrowed(runtime, token, without=scope)
        )
        assert assert_cms_error(refused, 403)["message"] == f"{scope} scope required"


async def test_a_control_character_in_the_query_is_a_422(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, headers = await signed_in(runtime, client)
    assert_cms_error(await client.get("/api/v1/dashboard/stats?x=%01", headers=headers), 422)
