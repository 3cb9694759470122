"""The admin dashboard and the analytics figures (docs/analytics.md says what each means).

Who sees what: the dashboard and user activity are the admins'; revenue, charger stats
and the session summary are also a brand's (or franchise's), over its own stations only
(:func:`evcare.charging.stations.repository.readable_station_ids`). Periods are whole
local days of the network's time zone (setting ``time_zone``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.analytics import repository
from evcare.charging.analytics.periods import (
    MAX_DAYS,
    Bucket,
    Grain,
    Period,
    bucket_start,
    buckets,
    day_of,
    local_midnight,
    today_in,
)
from evcare.charging.franchises.models import FranchiseStation
from evcare.charging.franchises.service import get_franchise
from evcare.charging.sessions.settlement import Settlement, franchise_settlement
from evcare.charging.stations.repository import readable_station_ids
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, NotFound, ValidationFailed
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal, require_admin
from evcare.operations import settings as system_settings

DEFAULT_DAYS = 30
TOP_STATIONS = 5
TOP_USERS = 10
DASHBOARD_PARTS = frozenset({"overview", "chargers", "sessions", "revenue"})


async def _network(session: AsyncSession) -> tuple[ZoneInfo, str]:
    values = await system_settings.current(session)
    return ZoneInfo(values.time_zone), values.currency


def period_of(
    zone: ZoneInfo, *, start_date: date | None, end_date: date | None, default_days: int
) -> Period:
    """``[startDate, endDate]`` (local dates, inclusive); by default the last
    ``default_days`` days up to today. At most ``MAX_DAYS`` days."""
    end = end_date or today_in(zone, utcnow())
    start = start_date or end - timedelta(days=default_days - 1)
    if start > end:
        raise ValidationFailed(
            "startDate must not be after endDate",
            fields=[FieldError("startDate", "must not be after endDate")],
        )
    period = Period(start, end, zone)
    if period.days > MAX_DAYS:
        raise ValidationFailed(
            f"A period covers at most {MAX_DAYS} days",
            fields=[FieldError("endDate", f"at most {MAX_DAYS} days after startDate")],
        )
    return period


async def _scope(
    session: AsyncSession, principal: Principal, station_id: int | None
) -> repository.StationScope:
    stations = readable_station_ids(principal)
    if station_id is not None and not await repository.station_in_scope(
        session, station_id, stations
    ):
        raise NotFound(f"Station {station_id} not found")
    return stations


# -- revenue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RevenuePoint:
    bucket: Bucket
    sessions_minor: int
    sessions: int
    fees_minor: int

    @property
    def revenue_minor(self) -> int:
        return self.sessions_minor + self.fees_minor


@dataclass(frozen=True)
class Revenue:
    period: Period
    grain: Grain
    currency: str
    points: list[RevenuePoint]
    # With a franchise and groupBy=month: each month's settlement (docs/franchises.md).
    settlements: list[Settlement] = field(default_factory=list)

    @property
    def revenue_minor(self) -> int:
        return sum(point.revenue_minor for point in self.points)

    @property
    def sessions_minor(self) -> int:
        return sum(point.sessions_minor for point in self.points)

    @property
    def fees_minor(self) -> int:
        return sum(point.fees_minor for point in self.points)

    @property
    def sessions(self) -> int:
        return sum(point.sessions for point in self.points)


async def revenue(
    session: AsyncSession,
    principal: Principal,
    *,
    start_date: date | None,
    end_date: date | None,
    grain: Grain,
    station_id: int | None = None,
    franchise_id: int | None = None,
) -> Revenue:
    """Revenue per day, week or month of the period at the caller's stations (or one of
    them, or a franchise's: its brand, its staff and admins; anyone else 404).

    SQL sums each local day; the (at most ``MAX_DAYS``) day sums are added into the
    weeks or months asked for, every bucket of the period listed, empty ones as 0. By
    month with a franchise, each month also carries the franchise's settlement."""
    zone, currency = await _network(session)
    period = period_of(zone, start_date=start_date, end_date=end_date, default_days=DEFAULT_DAYS)
    stations = await _scope(session, principal, station_id)
    if franchise_id is not None:
        franchise = (await get_franchise(session, principal, franchise_id)).franchise
        stations = select(FranchiseStation.station_id).where(
            FranchiseStation.franchise_id == franchise.id
        )
        if station_id is not None and not await repository.station_in_scope(
            session, station_id, stations
        ):
            raise NotFound(f"Station {station_id} not found")
    if station_id is not None:
        stations = _one_station(station_id)
    days = await repository.revenue_by_day(
        session,
        start=period.start,
        end=period.end,
        zone=zone,
        currency=currency,
        stations=stations,
    )
    sums: dict[date, list[int]] = {}
    for day in days:
        key = bucket_start(day_of(day.day), grain)
        totals = sums.setdefault(key, [0, 0, 0])
        totals[0] += day.sessions_minor
        totals[1] += day.sessions
        totals[2] += day.fees_minor
    points = []
    for bucket in buckets(period, grain):
        found = sums.get(bucket_start(bucket.first, grain), [0, 0, 0])
        points.append(RevenuePoint(bucket, found[0], found[1], found[2]))
    settlements = []
    if franchise_id is not None and grain is Grain.MONTH:
        for bucket in buckets(period, grain):
            settlements.append(
                await franchise_settlement(
                    session,
                    principal,
                    franchise_id=franchise_id,
                    year=bucket.first.year,
                    month=bucket.first.month,
                    zone=zone,
                    currency=currency,
                )
            )
    return Revenue(period, grain, currency, points, settlements)


def _one_station(station_id: int) -> repository.StationScope:
    return repository.one_station(station_id)


# -- sessions and users ------------------------------------------------------------------------


async def session_summary(
    session: AsyncSession,
    principal: Principal,
    *,
    start_date: date | None,
    end_date: date | None,
    station_id: int | None = None,
) -> tuple[Period, str, repository.SessionSummary]:
    """Sessions started in the period at the caller's stations, by outcome."""
    zone, currency = await _network(session)
    period = period_of(zone, start_date=start_date, end_date=end_date, default_days=DEFAULT_DAYS)
    stations = await _scope(session, principal, station_id)
    if station_id is not None:
        stations = _one_station(station_id)
    summary = await repository.session_summary(
        session, start=period.start, end=period.end, currency=currency, stations=stations
    )
    return period, currency, summary


async def user_activity(
    session: AsyncSession,
    principal: Principal,
    *,
    start_date: date | None,
    end_date: date | None,
) -> tuple[Period, str, int, int, list[repository.TopUser]]:
    """Drivers active in the period, accounts created in it, the most active drivers
    (admins)."""
    require_admin(principal)
    zone, currency = await _network(session)
    period = period_of(zone, start_date=start_date, end_date=end_date, default_days=DEFAULT_DAYS)
    active, new, top = await repository.user_activity(
        session, start=period.start, end=period.end, currency=currency, top=TOP_USERS
    )
    return period, currency, active, new, top


# -- chargers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargerStats:
    period: Period
    until: datetime
    chargers: Page[repository.ChargerUse]
    charging_seconds: float
    available_seconds: float


def _use_window(
    zone: ZoneInfo, *, start_date: date | None, end_date: date | None
) -> tuple[Period, datetime, datetime]:
    """The period utilization is measured over (by default the last 7 local days), and
    its part up to now: ``(period, start, until)``."""
    period = period_of(zone, start_date=start_date, end_date=end_date, default_days=7)
    until = min(period.end, utcnow())
    return period, min(period.start, until), until


@dataclass(frozen=True)
class Utilization:
    """Charging time over in-service time of every charger in scope, over a period."""

    period: Period
    until: datetime
    charging_seconds: float
    available_seconds: float

    @property
    def percent(self) -> float:
        return percent(self.charging_seconds, self.available_seconds)


async def network_utilization(session: AsyncSession, zone: ZoneInfo) -> Utilization:
    """The network's utilization over charger stats' default period (the last 7 local
    days up to now): the dashboard's ``utilizationRate``, the same figure as
    ``charger-stats``' ``avgUtilization`` asked without a period."""
    period, start, until = _use_window(zone, start_date=None, end_date=None)
    _, charging, available = await repository.use_totals(
        session, start=start, end=until, stations=None, station_id=None
    )
    return Utilization(period, until, charging, available)


def percent(part: float, whole: float) -> float:
    """``part`` of ``whole`` as a percentage to one decimal (0 of nothing)."""
    if whole <= 0:
        return 0.0
    return round(100.0 * part / whole, 1)


async def charger_stats(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    start_date: date | None,
    end_date: date | None,
    station_id: int | None = None,
) -> ChargerStats:
    """Each charger's utilization over the period (by default the last 7 days up to
    now), from its connectors' status history."""
    zone, _ = await _network(session)
    period, start, until = _use_window(zone, start_date=start_date, end_date=end_date)
    stations = await _scope(session, principal, station_id)
    total, charging, available, rows = await repository.charger_use(
        session,
        start=start,
        end=until,
        stations=stations,
        station_id=station_id,
        offset=params.offset,
        limit=params.limit,
    )
    return ChargerStats(period, until, Page(rows, total, params), charging, available)


# -- the admin dashboard -----------------------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """The instants the dashboard's periods begin, in the network's time zone."""

    now: datetime
    today: datetime
    week: datetime
    month: datetime
    previous_month: datetime
    previous_month_to_date: datetime


def marks_at(now: datetime, zone: ZoneInfo) -> Marks:
    today = today_in(zone, now)
    month = today.replace(day=1)
    previous = (month - timedelta(days=1)).replace(day=1)
    month_start = local_midnight(month, zone)
    previous_start = local_midnight(previous, zone)
    # The same share of the previous month as has passed of this one.
    elapsed = now - month_start
    previous_to_date = min(previous_start + elapsed, month_start)
    return Marks(
        now=now,
        today=local_midnight(today, zone),
        week=local_midnight(today - timedelta(days=today.weekday()), zone),
        month=month_start,
        previous_month=previous_start,
        previous_month_to_date=previous_to_date,
    )


@dataclass(frozen=True)
class Dashboard:
    currency: str
    network: repository.NetworkCounts | None = None
    chargers: repository.ChargerStates | None = None
    sessions: repository.SessionCounts | None = None
    revenue: repository.RevenueMarks | None = None
    top_stations: list[tuple[int, int]] | None = None
    utilization: Utilization | None = None


async def dashboard(
    session: AsyncSession, principal: Principal, *, include: frozenset[str]
) -> Dashboard:
    """The parts of the admin dashboard asked for (admins); each part is one or two
    aggregate statements."""
    require_admin(principal)
    unknown = include - DASHBOARD_PARTS
    if unknown or not include:
        raise ValidationFailed(
            "include lists overview, chargers, sessions or revenue",
            fields=[FieldError("include", f"one or more of {', '.join(sorted(DASHBOARD_PARTS))}")],
        )
    zone, currency = await _network(session)
    marks = marks_at(utcnow(), zone)
    needs_revenue = bool(include & {"overview", "revenue"})
    money = (
        await repository.revenue_since(
            session,
            today=marks.today,
            week=marks.week,
            month=marks.month,
            previous_month=marks.previous_month,
            previous_month_to_date=marks.previous_month_to_date,
            until=marks.now + timedelta(seconds=1),
            currency=currency,
        )
        if needs_revenue
        else None
    )
    return Dashboard(
        currency=currency,
        network=await repository.network_counts(session) if "overview" in include else None,
        chargers=await repository.charger_states(session) if "chargers" in include else None,
        sessions=(
            await repository.session_counts(
                session, today=marks.today, week=marks.week, month=marks.month
            )
            if "sessions" in include
            else None
        ),
        utilization=await network_utilization(session, zone) if "chargers" in include else None,
        revenue=money,
        top_stations=(
            await repository.top_stations(
                session,
                start=marks.month,
                end=marks.now + timedelta(seconds=1),
                currency=currency,
                limit=TOP_STATIONS,
            )
            if "revenue" in include
            else None
        ),
    )
