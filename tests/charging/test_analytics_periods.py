"""Local days in a zone with daylight saving: the offset changes inside a period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from evcare.charging.analytics.periods import Grain, Period, buckets, transitions
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_charger, make_session

LONDON = ZoneInfo("Europe/London")


def test_the_zones_change_of_offset_is_found_to_the_second() -> None:
    period = Period(date(2026, 10, 20), date(2026, 10, 31), LONDON)
    found = transitions(LONDON, period.start, period.end)
    # BST (+1 h) until 01:00 UTC on Sunday 25 October, GMT after.
    assert found == [
        (period.start.timestamp(), 3600),
        (datetime(2026, 10, 25, 1, 0, tzinfo=UTC).timestamp(), 0),
    ]
    assert transitions(ZoneInfo("Asia/Kolkata"), period.start, period.end) == [
        (period.start.timestamp(), 19800)
    ]


def test_buckets_cover_the_period_clipped_at_both_ends() -> None:
    period = Period(date(2026, 10, 28), date(2026, 12, 2), LONDON)
    months = [(b.label, b.first, b.last) for b in buckets(period, Grain.MONTH)]
    assert months == [
        ("2026-10", date(2026, 10, 28), date(2026, 10, 31)),
        ("2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026-12", date(2026, 12, 1), date(2026, 12, 2)),
    ]
    weeks = list(buckets(period, Grain.WEEK))
    assert (weeks[0].label, weeks[0].first, weeks[0].last) == (
        "2026-W44",
        date(2026, 10, 28),
        date(2026, 11, 1),
    )
    assert len(list(buckets(period, Grain.DAY))) == period.days == 36


async def test_revenue_days_follow_the_offset_in_force_at_each_moment(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    changed = await client.put(
        "/api/v1/settings", json={"general": {"timeZone": "Europe/London"}}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    charger = await make_charger(runtime)
    # 00:30 BST and 23:30 GMT on the 25th: both that local day (one offset would split them).
    for ended in (
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
    ):
        await make_session(runtime, charger, user=None, started_at=ended - timedelta(minutes=30))
    response = await client.get(
        "/api/v1/analytics/revenue?startDate=2026-10-24&endDate=2026-10-26", headers=admin
    )
    assert response.status_code == 200, response.text
    counts = [(p["period"], p["sessionCount"]) for p in response.json()["data"]["series"]]
    assert counts == [("2026-10-24", 0), ("2026-10-25", 2), ("2026-10-26", 0)]
