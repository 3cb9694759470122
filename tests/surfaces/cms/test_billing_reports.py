"""EV-CMS /api/v1/billing/reports and /export: the paid invoices of a period, summed in
SQL; the export streamed as CSV or XLSX."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook

from evcare.billing import export
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_charger, make_session
from tests.factories.wallet import fund
from tests.surfaces.cms.test_auth import assert_cms_error

BILLING = "/api/v1/billing"
REPORT_FIELDS = {
    "period",
    "timeZone",
    "startDate",
    "endDate",
    "currency",
    "sessions",
    "energyKwh",
    "invoices",
    "creditNotes",
    "revenue",
    "gstCollected",
    "refunds",
    "netRevenue",
}


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]
    return result


async def paid_sessions(
    client: httpx.AsyncClient, runtime: Runtime, user: User, headers: dict[str, str]
) -> list[int]:
    """Two sessions at one station and one at another, paid from the wallet: Rs 200 +
    Rs 100 (10 and 5 kWh at Rs 20) and Rs 30 (2 kWh at Rs 15)."""
    await fund(runtime, user, 100_000)
    first = await make_charger(runtime, base_price_minor=2000)
    second = await make_charger(runtime, base_price_minor=1500)
    started = utcnow() - timedelta(hours=2)
    rows = [
        await make_session(runtime, first, user=user, started_at=started, energy_wh=10_000),
        await make_session(
            runtime, first, user=user, started_at=started, energy_wh=5_000, connector_id=2
        ),
        await make_session(
            runtime, second, user=user, started_at=started, energy_wh=2_000, rate_minor=1500
        ),
    ]
    for row in rows:
        assert row.cost_minor is not None
        paid = await client.post(
            "/api/v1/profile/wallet/pay",
            json={"amount": row.cost_minor / 100, "description": "Charging", "sessionId": row.id},
            headers=headers,
        )
        assert paid.status_code == 200, paid.text
    return [first.station_id, second.station_id]


async def test_the_monthly_and_daily_reports_add_up_the_paid_sessions(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    stations = await paid_sessions(client, runtime, user, headers)
    today = utcnow().astimezone(ZoneInfo("Asia/Kolkata")).date()  # the network's day
    monthly = data(
        await client.get(
            f"{BILLING}/reports/monthly?month={today.month}&year={today.year}", headers=admin
        )
    )["report"]
    daily = data(
        await client.get(f"{BILLING}/reports/daily?date={today.isoformat()}", headers=admin)
    )["report"]
    for report in (monthly, daily):
        assert set(report) == REPORT_FIELDS
        assert (report["sessions"], report["energyKwh"], report["invoices"]) == (3, 17, 3)
        assert report["revenue"]["total"] == 330 and report["revenue"]["net"] == 330
        assert report["revenue"]["byComponent"]["energy"] == 330
        assert report["gstCollected"] == 0 and report["netRevenue"] == 330
        assert report["refunds"] == {"count": 0, "amount": 0}
        by_station = report["revenue"]["byStation"]
        assert [(s["stationId"], s["sessions"], s["revenue"]) for s in by_station] == [
            (str(stations[0]), 2, 300),
            (str(stations[1]), 1, 30),
        ]
        assert by_station[0]["energyKwh"] == 15 and by_station[0]["stationName"]
    assert monthly["period"] == "monthly" and daily["period"] == "daily"
    yesterday = (today - timedelta(days=1)).isoformat()
    empty = data(await client.get(f"{BILLING}/reports/daily?date={yesterday}", headers=admin))
    assert empty["report"]["sessions"] == 0 and empty["report"]["revenue"]["byStation"] == []


async def test_reports_and_export_are_for_admins(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    _, headers = await signed_in(runtime, client)
    for path in (
        f"{BILLING}/reports/daily",
        f"{BILLING}/reports/monthly",
        f"{BILLING}/export?startDate=2026-01-01&endDate=2026-01-02",
    ):
        assert "MANAGE:BILLING" in str(
            assert_cms_error(await client.get(path, headers=headers), 403)["message"]
        )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("reports/daily?date=2026-13-01", "date"),
        ("reports/daily?date=0", "date"),
        ("reports/monthly?month=13&year=2026", "month"),
        ("reports/monthly?month=0", "month"),
        ("reports/monthly?month=1&year=1999", "year"),
        ("export?startDate=2026-02-01&endDate=2026-01-01", "endDate"),
        ("export?startDate=2025-01-01&endDate=2026-01-02", "endDate"),
        ("export?startDate=2026-01-01&endDate=2026-01-02&format=pdf", "format"),
        ("export?startDate=2026-01-01", "endDate"),
        ("export?startDate=yesterday&endDate=2026-01-02", "startDate"),
    ],
)
async def test_bad_report_and_export_queries_are_422_naming_the_field(
    client: httpx.AsyncClient, runtime: Runtime, query: str, field: str
) -> None:
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    error = assert_cms_error(await client.get(f"{BILLING}/{query}", headers=admin), 422)
    assert field in [e["field"] for e in error["errors"]], error  # type: ignore[attr-defined]


async def test_the_export_streams_the_invoices_of_the_range_as_csv_and_xlsx(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "PAGE_ROWS", 2)  # three rows: two pages from the cursor
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await paid_sessions(client, runtime, user, headers)
    today = utcnow().date().isoformat()
    query = f"startDate={today}&endDate={today}"
    as_csv = await client.get(f"{BILLING}/export?{query}&format=csv", headers=admin)
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert f'filename="billing-{today}-{today}.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 3
    assert sorted(row["total"] for row in rows) == ["100.00", "200.00", "30.00"]
    assert {row["status"] for row in rows} == {"paid"}
    assert {row["userName"] for row in rows} == {"Test Person"}
    as_xlsx = await client.get(f"{BILLING}/export?{query}&format=xlsx", headers=admin)
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.content), read_only=True)["Invoices"]
    values = list(sheet.values)
    assert values[0][0] == "invoiceNumber" and len(values) == 4
    assert sorted(str(row[0]) for row in values[1:]) == sorted(r["invoiceNumber"] for r in rows)
    earlier = "startDate=2020-01-01&endDate=2020-01-31"
    nothing = await client.get(f"{BILLING}/export?{earlier}", headers=admin)
    assert nothing.text.strip().count("\n") == 0  # the header only


async def pay_one_session_at(
    client: httpx.AsyncClient, runtime: Runtime, moment: datetime
) -> tuple[dict[str, str], int]:
    """A Rs 200 session paid at ``moment`` (the clock frozen there); the admin's headers."""
    clock.freeze(moment)
    user, headers = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    await fund(runtime, user, 100_000)
    charger = await make_charger(runtime, base_price_minor=2000)
    row = await make_session(runtime, charger, user=user, started_at=moment - timedelta(hours=1))
    paid = await client.post(
        "/api/v1/profile/wallet/pay",
        json={"amount": 200, "description": "Charging", "sessionId": row.id},
        headers=headers,
    )
    assert paid.status_code == 200, paid.text
    return admin, row.id


async def test_a_session_paid_just_after_local_midnight_is_in_that_local_day_and_month(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    # 00:10 IST on 1 December 2026 is 18:40 UTC on 30 November.
    admin, _ = await pay_one_session_at(client, runtime, datetime(2026, 11, 30, 18, 40, tzinfo=UTC))

    async def report(path: str) -> dict[str, Any]:
        result: dict[str, Any] = data(await client.get(f"{BILLING}/{path}", headers=admin))
        return result["report"]

    december_first = await report("reports/daily?date=2026-12-01")
    assert december_first["sessions"] == 1 and december_first["revenue"]["total"] == 200
    assert december_first["timeZone"] == "Asia/Kolkata"
    assert december_first["startDate"] == "2026-11-30T18:30:00Z"
    assert december_first["endDate"] == "2026-12-01T18:30:00Z"
    assert (await report("reports/daily?date=2026-11-30"))["sessions"] == 0
    assert (await report("reports/monthly?month=12&year=2026"))["sessions"] == 1
    november = await report("reports/monthly?month=11&year=2026")
    assert november["sessions"] == 0 and november["endDate"] == "2026-11-30T18:30:00Z"
    # The defaults are today and this month in the network's time zone, not UTC's.
    assert (await report("reports/daily"))["startDate"] == "2026-11-30T18:30:00Z"
    assert (await report("reports/monthly"))["sessions"] == 1


async def test_report_days_follow_the_time_zone_setting(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    admin, _ = await pay_one_session_at(client, runtime, datetime(2026, 11, 30, 18, 40, tzinfo=UTC))
    changed = await client.put(
        "/api/v1/settings", json={"general": {"timeZone": "UTC"}}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    on_utc = data(await client.get(f"{BILLING}/reports/daily?date=2026-11-30", headers=admin))
    assert on_utc["report"]["sessions"] == 1
    assert on_utc["report"]["startDate"] == "2026-11-30T00:00:00Z"
