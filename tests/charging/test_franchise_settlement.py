"""franchise_settlement: a franchise's month, summed by the database and split by hand."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update

from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.sessions.settlement import (
    Settlement,
    franchise_settlement,
    month_bounds,
    split,
)
from evcare.core.errors import NotFound, ValidationFailed
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from tests.factories import charging, franchises
from tests.factories.identity import bearer, login, make_user
from tests.factories.ocpp import make_session

IST = ZoneInfo("Asia/Kolkata")
# November 2026 in Asia/Kolkata is [2026-10-31 18:30, 2026-11-30 18:30) UTC.
NOV_START = datetime(2026, 10, 31, 18, 30, tzinfo=UTC)
NOV_END = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)


def _as(user: User) -> Principal:
    role = Role(user.role)
    return Principal(user_id=user.id, role=role, scopes=scopes_for(role), session_id=uuid.uuid4())


async def _ended(
    runtime: Runtime,
    charger: Charger,
    ended_at: datetime,
    *,
    cost_minor: int,
    gst_minor: int,
    status: str = "completed",
    currency: str = "INR",
) -> None:
    row = await make_session(
        runtime, charger, user=None, started_at=ended_at - timedelta(minutes=30), minutes=30
    )
    async with runtime.sessionmaker() as session:
        await session.execute(
            update(ChargingSession)
            .where(ChargingSession.id == row.id)
            .values(status=status, cost_minor=cost_minor, gst_minor=gst_minor, currency=currency)
        )
        await session.commit()


def test_november_in_the_network_zone_starts_and_ends_at_1830_utc() -> None:
    assert month_bounds(2026, 11, IST) == (NOV_START, NOV_END)
    assert month_bounds(2026, 12, IST)[1] == datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        month_bounds(2026, 13, IST)


@pytest.mark.parametrize(
    ("net", "share_bp", "franchise", "brand"),
    [
        (10_000, 3000, 3000, 7000),
        (1_001, 5000, 501, 500),  # 500.5 rounds half up
        (999, 1250, 125, 874),  # 124.875
        (1_003, 1250, 125, 878),  # 125.375
        (0, 10_000, 0, 0),
        (12_345, 10_000, 12_345, 0),
        (12_345, 0, 0, 12_345),
    ],
)
def test_the_shares_round_half_up_and_add_up_to_the_net(
    net: int, share_bp: int, franchise: int, brand: int
) -> None:
    assert split(net, share_bp) == (franchise, brand)


async def test_a_month_counts_completed_sessions_of_the_franchise_stations_only(
    runtime: Runtime,
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand, share_bp=3750)
    handed = await charging.make_station(runtime, brand)
    kept = await charging.make_station(runtime, brand)
    await franchises.hand(runtime, handed, franchise)
    ours = await charging.make_charger(runtime, handed)
    theirs = await charging.make_charger(runtime, kept)
    await _ended(runtime, ours, NOV_START, cost_minor=11_800, gst_minor=1_800)  # first instant
    await _ended(runtime, ours, NOV_END - timedelta(seconds=1), cost_minor=5_901, gst_minor=900)
    await _ended(runtime, ours, NOV_START - timedelta(seconds=1), cost_minor=70_000, gst_minor=0)
    await _ended(runtime, ours, NOV_END, cost_minor=70_000, gst_minor=0)  # December's
    await _ended(
        runtime, ours, NOV_START + timedelta(days=3), cost_minor=500, gst_minor=0, status="failed"
    )
    await _ended(
        runtime, ours, NOV_START + timedelta(days=3), cost_minor=500, gst_minor=0, currency="GHS"
    )
    await _ended(runtime, theirs, NOV_START + timedelta(days=3), cost_minor=9_999, gst_minor=0)

    settled = await _settle(runtime, brand, franchise.id)
    assert (settled.sessions, settled.energy_wh) == (2, 20_000)
    assert (settled.revenue_minor, settled.gst_minor, settled.net_minor) == (17_701, 2_700, 15_001)
    # 37.5 % of 15001 = 5625.375 -> 5625; the brand keeps 9376.
    assert (settled.franchise_share_minor, settled.brand_share_minor) == (5_625, 9_376)
    assert (settled.period_start, settled.period_end) == (NOV_START, NOV_END)


async def test_a_quiet_month_settles_to_zero(runtime: Runtime) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    settled = await _settle(runtime, brand, franchise.id)
    assert (settled.sessions, settled.net_minor, settled.franchise_share_minor) == (0, 0, 0)


async def test_the_brand_its_staff_and_admins_read_it_and_another_brand_gets_404(
    runtime: Runtime,
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand)
    staff = await franchises.make_staff(runtime, franchise)
    admin = await make_user(runtime, role=Role.ADMIN)
    for reader in (brand, staff, admin):
        assert (await _settle(runtime, reader, franchise.id)).franchise_id == franchise.id
    for outsider in (
        await make_user(runtime, role=Role.BRAND),
        await make_user(runtime),
        await franchises.make_staff(runtime, await franchises.make_franchise(runtime, brand)),
    ):
        with pytest.raises(NotFound):
            await _settle(runtime, outsider, franchise.id)


async def _settle(runtime: Runtime, user: User, franchise_id: int) -> Settlement:
    async with runtime.sessionmaker() as session:
        return await franchise_settlement(
            session, _as(user), franchise_id=franchise_id, year=2026, month=11, zone=IST
        )


async def test_revenue_by_month_for_a_franchise_carries_its_settlement(
    runtime: Runtime, client: httpx.AsyncClient
) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    franchise = await franchises.make_franchise(runtime, brand, share_bp=3750)
    handed = await charging.make_station(runtime, brand)
    kept = await charging.make_station(runtime, brand)
    await franchises.hand(runtime, handed, franchise)
    ours = await charging.make_charger(runtime, handed)
    theirs = await charging.make_charger(runtime, kept)
    await _ended(runtime, ours, NOV_START + timedelta(days=1), cost_minor=11_800, gst_minor=1_800)
    await _ended(runtime, ours, NOV_END - timedelta(days=1), cost_minor=5_901, gst_minor=900)
    await _ended(runtime, theirs, NOV_START + timedelta(days=3), cost_minor=9_999, gst_minor=0)
    query = {
        "groupBy": "month",
        "franchiseId": str(franchise.id),
        "startDate": "2026-11-01",
        "endDate": "2026-11-30",
    }
    answer = await client.get(
        "/api/v1/analytics/revenue", params=query, headers=bearer(await login(client, brand))
    )
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["sessionCount"] == 2 and data["charging"] == 177.01  # the franchise's only
    [november] = data["settlements"]
    assert november["period"] == "2026-11" and november["revenueShare"] == 37.5
    assert (november["revenue"], november["gst"], november["net"]) == (177.01, 27, 150.01)
    assert (november["franchiseShare"], november["brandShare"]) == (56.25, 93.76)
    # By day the series is the franchise's, without settlements.
    daily = await client.get(
        "/api/v1/analytics/revenue",
        params={**query, "groupBy": "day"},
        headers=bearer(await login(client, brand)),
    )
    assert daily.json()["data"]["settlements"] is None
    # Another brand: the franchise is not theirs.
    other = await make_user(runtime, role=Role.BRAND)
    refused = await client.get(
        "/api/v1/analytics/revenue", params=query, headers=bearer(await login(client, other))
    )
    assert refused.status_code == 404, refused.text
    malformed = await client.get(
        "/api/v1/analytics/revenue",
        params={**query, "franchiseId": "x1"},
        headers=bearer(await login(client, brand)),
    )
    assert malformed.status_code == 422, malformed.text
