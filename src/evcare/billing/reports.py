"""Billing reports (daily, monthly) over the paid invoices of a UTC period: sessions,
energy, revenue by component and by station, GST collected, refunds approved.

Every paid charging session has its invoice (written when it is paid), so the invoices
are the one source: what the report says a period earned is what its invoices add up to.
Revenue by component is net of GST (the items), ``gst`` what the invoices charged on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import report_repository as repository
from evcare.billing.report_repository import StationTotals, Totals
from evcare.operations import settings as system_settings


@dataclass(frozen=True)
class Report:
    period: str  # daily | monthly
    start: datetime
    end: datetime  # exclusive
    currency: str
    totals: Totals
    by_component: dict[str, int]
    by_station: list[StationTotals]
    refund_count: int
    refunded_minor: int


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def _report(session: AsyncSession, period: str, start: datetime, end: datetime) -> Report:
    refund_count, refunded = await repository.refunds(session, start, end)
    return Report(
        period=period,
        start=start,
        end=end,
        currency=system_settings.DEFAULTS.currency,
        totals=await repository.totals(session, start, end),
        by_component=await repository.by_component(session, start, end),
        by_station=await repository.by_station(session, start, end),
        refund_count=refund_count,
        refunded_minor=refunded,
    )


async def daily(session: AsyncSession, *, day: date) -> Report:
    start = _midnight(day)
    return await _report(session, "daily", start, start + timedelta(days=1))


async def monthly(session: AsyncSession, *, year: int, month: int) -> Report:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return await _report(session, "monthly", _midnight(first), _midnight(following))
