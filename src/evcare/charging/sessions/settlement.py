"""The monthly settlement of a franchise: what its stations earned and how it is split.

Revenue is what drivers paid for the completed sessions that ended in the month (the
network's time zone draws the month's edges) on the stations handed to the franchise:
``cost_minor``, GST included. GST is the state's, so the agreement splits the net
(revenue minus GST): the franchise's share is ``revenue_share_bp`` of it, rounded by the
one rounding rule (``charging.pricing.tariff.round_half_up``: to the minor unit, halves
away from zero), and the brand keeps the rest, so the two shares always add up to the net.
Sessions are counted for the franchise that holds the station when the settlement is
drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers.models import Charger
from evcare.charging.franchises.models import FULL_SHARE_BP, FranchiseStation
from evcare.charging.franchises.service import get_franchise
from evcare.charging.pricing.tariff import round_half_up
from evcare.charging.sessions.models import ChargingSession, SessionStatus
from evcare.core.errors import FieldError, ValidationFailed
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings


@dataclass(frozen=True)
class Settlement:
    franchise_id: int
    year: int
    month: int
    period_start: datetime  # UTC, inclusive
    period_end: datetime  # UTC, exclusive
    currency: str
    sessions: int
    energy_wh: int
    revenue_minor: int  # what drivers paid, GST included
    gst_minor: int
    net_minor: int  # revenue - GST: what the agreement splits
    revenue_share_bp: int
    franchise_share_minor: int
    brand_share_minor: int


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[first instant of the month, first instant of the next) in ``zone``, as UTC."""
    if not 1 <= month <= 12 or not 2000 <= year <= 9998:
        raise ValidationFailed(
            "month must be a month from 2000-01", fields=[FieldError("month", "out of range")]
        )
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    start = datetime(year, month, 1, tzinfo=zone)
    end = datetime(next_year, next_month, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def split(net_minor: int, share_bp: int) -> tuple[int, int]:
    """(franchise's share, brand's share) of ``net_minor``; they add up to it."""
    franchise = round_half_up(Fraction(net_minor * share_bp, FULL_SHARE_BP))
    return franchise, net_minor - franchise


async def franchise_settlement(
    session: AsyncSession,
    principal: Principal,
    *,
    franchise_id: int | str,
    year: int,
    month: int,
    zone: ZoneInfo | None = None,
    currency: str | None = None,
) -> Settlement:
    """The franchise's settlement for one month (its brand, its staff or an admin; anyone
    else: 404), summed by the database."""
    franchise = (await get_franchise(session, principal, franchise_id)).franchise
    if zone is None or currency is None:
        network = await system_settings.current(session)
        zone = zone or ZoneInfo(network.time_zone)
        currency = currency or network.currency
    start, end = month_bounds(year, month, zone)
    query = (
        select(
            func.count(ChargingSession.id),
            func.coalesce(func.sum(ChargingSession.energy_wh), 0),
            func.coalesce(func.sum(ChargingSession.cost_minor), 0),
            func.coalesce(func.sum(ChargingSession.gst_minor), 0),
        )
        .select_from(ChargingSession)
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .join(FranchiseStation, FranchiseStation.station_id == Charger.station_id)
        .where(
            FranchiseStation.franchise_id == franchise.id,
            ChargingSession.status == SessionStatus.COMPLETED,
            ChargingSession.ended_at >= start,
            ChargingSession.ended_at < end,
            ChargingSession.currency == currency,
        )
    )
    count, energy, revenue, gst = (
        int(value or 0) for value in (await session.execute(query)).one()
    )
    net = revenue - gst
    franchise_share, brand_share = split(net, franchise.revenue_share_bp)
    return Settlement(
        franchise_id=franchise.id,
        year=year,
        month=month,
        period_start=start,
        period_end=end,
        currency=currency,
        sessions=count,
        energy_wh=energy,
        revenue_minor=revenue,
        gst_minor=gst,
        net_minor=net,
        revenue_share_bp=franchise.revenue_share_bp,
        franchise_share_minor=franchise_share,
        brand_share_minor=brand_share,
    )
