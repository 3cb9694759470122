"""Billing reports (daily, monthly) over the paid invoices of a period: sessions, energy,
revenue by component and by station, GST collected, refunds approved.

A day or month is the network's (setting ``time_zone``, default Asia/Kolkata), as in
analytics: it runs from its first local midnight to the next one, as UTC instants, so a
session paid at 00:10 IST belongs to that IST day although it is the previous UTC date.

Every paid charging session has its invoice (written when it is paid), so the invoices
are the one source: what the report says a period earned is what its invoices add up to.
Revenue by component is net of GST (the items), ``gst`` what the invoices charged on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import report_repository as repository
from evcare.billing.report_repository import StationTotals, Totals
from evcare.core.clock import utcnow
from evcare.operations import settings as system_settings


@dataclass(frozen=True)
class Report:
    period: str  # daily | monthly
    time_zone: str
    start: datetime
    end: datetime  # exclusive
    currency: str
    totals: Totals
    by_component: dict[str, int]
    by_station: list[StationTotals]
    refund_count: int
    refunded_minor: int


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant the local day begins (the earlier one should it repeat)."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


async def _zone(session: AsyncSession) -> ZoneInfo:
    return ZoneInfo((await system_settings.current(session)).time_zone)


async def _report(
    session: AsyncSession, period: str, zone: ZoneInfo, start: datetime, end: datetime
) -> Report:
    refund_count, refunded = await repository.refunds(session, start, end)
    return Report(
        period=period,
        time_zone=zone.key,
        start=start,
        end=end,
        currency=system_settings.DEFAULTS.currency,
        totals=await repository.totals(session, start, end),
        by_component=await repository.by_component(session, start, end),
        by_station=await repository.by_station(session, start, end),
        refund_count=refund_count,
        refunded_minor=refunded,
    )


async def daily(session: AsyncSession, *, day: date | None = None) -> Report:
    """The local day ``day`` (default: today in the network's time zone)."""
    zone = await _zone(session)
    day = day or utcnow().astimezone(zone).date()
    return await _report(
        session, "daily", zone, _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    )


async def monthly(
    session: AsyncSession, *, year: int | None = None, month: int | None = None
) -> Report:
    """The local month (default: this month, this year, in the network's time zone)."""
    zone = await _zone(session)
    today = utcnow().astimezone(zone).date()
    year, month = year or today.year, month or today.month
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return await _report(
        session, "monthly", zone, _midnight(first, zone), _midnight(following, zone)
    )
