"""EV-CMS /api/v1/analytics and the admin dashboard, checked against hand-computed figures
of the small network in :mod:`tests.factories.analytics`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.analytics import NOW, Network, build_network
from tests.factories.identity import signed_in
from tests.surfaces.cms.test_auth import assert_cms_error

ANALYTICS = "/api/v1/analytics"
DASHBOARD = "/api/v1/admin/dashboard"
ROUTES = [
    f"{ANALYTICS}/revenue",
    f"{ANALYTICS}/charger-stats",
    f"{ANALYTICS}/session-summary",
    f"{ANALYTICS}/user-activity",
    DASHBOARD,
]


@pytest.fixture
def at_noon_in_kolkata() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.unfreeze()


@pytest.fixture
async def network(runtime: Runtime, at_noon_in_kolkata: None) -> Network:
    return await build_network(runtime)


async def _get(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


@pytest.mark.parametrize("path", ROUTES)
async def test_analytics_routes_refuse_anonymous_callers(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_cms_error(await client.get(path), 401)


@pytest.mark.parametrize("path", ROUTES)
async def test_drivers_are_refused(runtime: Runtime, client: httpx.AsyncClient, path: str) -> None:
    _, headers = await signed_in(runtime, client, Role.USER)
    assert_cms_error(await client.get(path, headers=headers), 403)


@pytest.mark.parametrize("path", [f"{ANALYTICS}/user-activity", DASHBOARD])
async def test_brands_are_refused_the_admins_figures(
    runtime: Runtime, client: httpx.AsyncClient, path: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.BRAND)
    assert_cms_error(await client.get(path, headers=headers), 403)


BAD_PERIODS = [
    "startDate=2026-11-18&endDate=2026-11-17",
    "startDate=2024-01-01&endDate=2026-11-18",
    "startDate=18-11-2026",
    "startDate=2026-02-30",
    "stationId=abc",
]


@pytest.mark.parametrize(
    ("path", "query"),
    [(f"{ANALYTICS}/revenue", query) for query in [*BAD_PERIODS, "groupBy=year"]]
    + [(f"{ANALYTICS}/session-summary", query) for query in BAD_PERIODS]
    + [(f"{ANALYTICS}/charger-stats", query) for query in [*BAD_PERIODS, "limit=101"]]
    + [(f"{ANALYTICS}/user-activity", query) for query in BAD_PERIODS[:4]],
)
async def test_bad_periods_and_filters_are_422(
    runtime: Runtime, client: httpx.AsyncClient, path: str, query: str
) -> None:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    assert_cms_error(await client.get(f"{path}?{query}", headers=headers), 422)


async def test_revenue_by_day_is_cut_at_midnight_in_kolkata(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    data = await _get(
        client, f"{ANALYTICS}/revenue?startDate=2026-11-17&endDate=2026-11-18&groupBy=day", admin
    )
    # Session 2 ended at 19:00 UTC on the 17th: 00:30 on the 18th in Kolkata.
    assert data["series"] == [
        {
            "period": "2026-11-17",
            "startDate": "2026-11-17",
            "endDate": "2026-11-17",
            "revenue": 100,
            "charging": 100,
            "bookingFees": 0,
            "sessionCount": 1,
        },
        {
            "period": "2026-11-18",
            "startDate": "2026-11-18",
            "endDate": "2026-11-18",
            "revenue": 650,
            "charging": 600,
            "bookingFees": 50,
            "sessionCount": 2,
        },
    ]
    assert (data["revenue"], data["charging"], data["bookingFees"]) == (750, 700, 50)
    assert (data["sessionCount"], data["currency"]) == (3, "INR")
    assert data["period"] == {
        "startDate": "2026-11-17",
        "endDate": "2026-11-18",
        "timeZone": "Asia/Kolkata",
        "start": "2026-11-16T18:30:00Z",
        "end": "2026-11-18T18:30:00Z",
        "groupBy": "day",
    }


async def test_revenue_by_week_and_month_lists_every_bucket(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    weeks = await _get(
        client, f"{ANALYTICS}/revenue?startDate=2026-11-01&endDate=2026-11-18&groupBy=week", admin
    )
    assert [(p["period"], p["startDate"], p["endDate"], p["revenue"]) for p in weeks["series"]] == [
        ("2026-W44", "2026-11-01", "2026-11-01", 0),
        ("2026-W45", "2026-11-02", "2026-11-08", 0),
        ("2026-W46", "2026-11-09", "2026-11-15", 0),
        ("2026-W47", "2026-11-16", "2026-11-18", 750),
    ]
    months = await _get(
        client, f"{ANALYTICS}/revenue?startDate=2026-10-15&endDate=2026-11-18&groupBy=month", admin
    )
    assert [(p["period"], p["revenue"], p["sessionCount"]) for p in months["series"]] == [
        ("2026-10", 0, 0),
        ("2026-11", 750, 3),
    ]


async def test_revenue_follows_the_time_zone_setting(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    changed = await client.put(
        "/api/v1/settings", json={"general": {"timeZone": "UTC"}}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    data = await _get(client, f"{ANALYTICS}/revenue?startDate=2026-11-17&endDate=2026-11-18", admin)
    # In UTC session 2 belongs to the 17th.
    assert [p["revenue"] for p in data["series"]] == [300, 450]
    bad = await client.put(
        "/api/v1/settings", json={"general": {"timeZone": "Mars/Base"}}, headers=admin
    )
    assert_cms_error(bad, 422)


async def test_a_brand_sees_only_its_own_stations_revenue(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    brand_a = await _login_as(runtime, client, network.brand_a)
    brand_b = await _login_as(runtime, client, network.brand_b)
    query = "startDate=2026-11-17&endDate=2026-11-18"
    own = await _get(client, f"{ANALYTICS}/revenue?{query}", brand_a)
    assert [p["revenue"] for p in own["series"]] == [100, 250]
    assert (own["revenue"], own["sessionCount"]) == (350, 2)
    other = await _get(client, f"{ANALYTICS}/revenue?{query}", brand_b)
    assert [p["revenue"] for p in other["series"]] == [0, 400]
    one = await _get(
        client, f"{ANALYTICS}/revenue?{query}&stationId={network.station_a.id}", brand_a
    )
    assert one["revenue"] == 350
    refused = await client.get(
        f"{ANALYTICS}/revenue?{query}&stationId={network.station_b.id}", headers=brand_a
    )
    assert_cms_error(refused, 404)


async def test_session_summary_counts_outcomes_of_sessions_started_in_the_period(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    day = await _get(
        client, f"{ANALYTICS}/session-summary?startDate=2026-11-18&endDate=2026-11-18", admin
    )
    assert {key: value for key, value in day.items() if key != "period"} == {
        "totalSessions": 3,
        "successful": 1,
        "failed": 1,
        "active": 1,
        "avgDuration": 60.0,
        "totalEnergy": 20.0,
        "revenue": 400,
        "currency": "INR",
    }
    brand_a = await _login_as(runtime, client, network.brand_a)
    own = await _get(
        client, f"{ANALYTICS}/session-summary?startDate=2026-11-17&endDate=2026-11-18", brand_a
    )
    assert (own["totalSessions"], own["successful"], own["failed"], own["active"]) == (4, 2, 1, 1)
    assert (own["avgDuration"], own["totalEnergy"], own["revenue"]) == (45.0, 15.0, 300)
    refused = await client.get(
        f"{ANALYTICS}/session-summary?stationId={network.station_b.id}", headers=brand_a
    )
    assert_cms_error(refused, 404)


async def test_user_activity_counts_active_and_new_users_and_ranks_drivers(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    day = await _get(
        client, f"{ANALYTICS}/user-activity?startDate=2026-11-18&endDate=2026-11-18", admin
    )
    # Everyone (the admin, two brands, three drivers) was created "now", on the 18th.
    assert (day["activeUsers"], day["newUsers"]) == (3, 6)
    two_days = await _get(
        client, f"{ANALYTICS}/user-activity?startDate=2026-11-17&endDate=2026-11-18", admin
    )
    one, two, three = network.drivers
    assert two_days["topUsers"] == [
        {
            "userId": str(one.id),
            "name": "One Driver",
            "email": one.email,
            "sessions": 3,
            "energy": 15.0,
            "spent": 300,
        },
        {
            "userId": str(two.id),
            "name": "Two Driver",
            "email": two.email,
            "sessions": 1,
            "energy": 20.0,
            "spent": 400,
        },
        {
            "userId": str(three.id),
            "name": "Three Driver",
            "email": three.email,
            "sessions": 1,
            "energy": 0.0,
            "spent": 0,
        },
    ]
    earlier = await _get(
        client, f"{ANALYTICS}/user-activity?startDate=2026-11-01&endDate=2026-11-10", admin
    )
    assert (earlier["activeUsers"], earlier["newUsers"], earlier["topUsers"]) == (0, 0, [])


async def test_charger_utilization_is_charging_minutes_over_minutes_in_service(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    data = await _get(
        client, f"{ANALYTICS}/charger-stats?startDate=2026-11-18&endDate=2026-11-18", admin
    )
    # Charger A: 120 min charging of 330 in service (one hour Unavailable, nothing known
    # before 00:00 UTC); charger B: Available since the 17th, 30 of 720 min charging.
    assert data["chargers"] == [
        {
            "id": str(network.charger_a.id),
            "chargerId": network.charger_a.charge_point_id,
            "chargerName": network.charger_a.name,
            "stationId": str(network.station_a.id),
            "status": "Online",
            "utilization": 36.4,
            "chargingMinutes": 120.0,
            "availableMinutes": 330.0,
        },
        {
            "id": str(network.charger_b.id),
            "chargerId": network.charger_b.charge_point_id,
            "chargerName": network.charger_b.name,
            "stationId": str(network.station_b.id),
            "status": "Faulted",
            "utilization": 4.2,
            "chargingMinutes": 30.0,
            "availableMinutes": 720.0,
        },
    ]
    assert data["avgUtilization"] == 14.3  # 150 of 1050 minutes
    assert data["until"] == "2026-11-18T06:30:00Z"
    brand_a = await _login_as(runtime, client, network.brand_a)
    own = await client.get(f"{ANALYTICS}/charger-stats?startDate=2026-11-18", headers=brand_a)
    assert own.status_code == 200, own.text
    assert [c["id"] for c in own.json()["data"]["chargers"]] == [str(network.charger_a.id)]
    assert own.json()["data"]["avgUtilization"] == 36.4
    assert own.json()["pagination"]["total"] == 1
    refused = await client.get(
        f"{ANALYTICS}/charger-stats?stationId={network.station_b.id}", headers=brand_a
    )
    assert_cms_error(refused, 404)


async def test_dashboard_shows_the_documented_stats(
    runtime: Runtime, client: httpx.AsyncClient, network: Network
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    stats = (await _get(client, DASHBOARD, admin))["stats"]
    assert stats == {
        "overview": {
            "totalUsers": 6,
            "totalStations": 2,
            "totalChargers": 2,
            "activeSessions": 1,
            "todayRevenue": 650,
            "monthRevenue": 750,
        },
        "chargers": {
            "online": 1,
            "offline": 0,
            "faulted": 1,
            "maintenance": 0,
            # The last 7 local days, from the status history: charger A 120 of 330
            # in-service minutes charging, charger B 30 of 1230 (Available since 10:00 UTC
            # the day before): 150 / 1560.
            "utilizationRate": 9.6,
        },
        "sessions": {
            "today": 3,
            "thisWeek": 5,
            "thisMonth": 5,
            "avgDuration": 50.0,
            "totalEnergyDispensed": 35.0,
        },
        "revenue": {
            "today": 650,
            "thisWeek": 750,
            "thisMonth": 750,
            "trend": "up",
            "topStations": [
                {"stationId": str(network.station_b.id), "revenue": 400},
                {"stationId": str(network.station_a.id), "revenue": 350},
            ],
        },
    }
    # One computation: the same figure charger-stats gives for its default period.
    default_stats = await _get(client, f"{ANALYTICS}/charger-stats", admin)
    assert default_stats["avgUtilization"] == stats["chargers"]["utilizationRate"]
    only = (await _get(client, f"{DASHBOARD}?include=overview,revenue", admin))["stats"]
    assert set(only) == {"overview", "revenue"}
    assert_cms_error(await client.get(f"{DASHBOARD}?include=weather", headers=admin), 422)
    assert_cms_error(await client.get(f"{DASHBOARD}?include=", headers=admin), 422)


async def _login_as(runtime: Runtime, client: httpx.AsyncClient, user: Any) -> dict[str, str]:
    from tests.factories.identity import bearer, login

    return bearer(await login(client, user))
