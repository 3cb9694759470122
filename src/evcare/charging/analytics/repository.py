"""Every analytics query: SQL aggregates over sessions, bookings, connector status history.

Nothing here loads rows to add them up in Python: each figure is a ``SUM``/``COUNT``/
``AVG`` the database computes, grouped by the database where a figure is per day, per
station, per charger or per user. Scope: ``stations`` is
:func:`evcare.charging.stations.repository.readable_station_ids` of the caller (``None``:
every station).

Revenue is what completed charging sessions were billed (``cost_minor``, GST included,
dated by their end) plus the reservation fees of connector bookings that were kept (not
refunded; dated when the booking was made), in the network's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.analytics.periods import local_day_index
from evcare.charging.bookings.models import ConnectorBooking
from evcare.charging.chargers.models import Charger, ChargerStatus, ConnectorStatusChange
from evcare.charging.chargers.repository import OFFLINE_STATUS
from evcare.charging.sessions.models import ChargingSession, SessionStatus
from evcare.charging.stations.models import ConnectorStatus, Station
from evcare.core.sqltime import epoch_seconds
from evcare.identity.models import Role, User

StationScope = Select[int] | None

# Connector states in which a connector is out of service: not available for charging.
OUT_OF_SERVICE = (ConnectorStatus.UNAVAILABLE, ConnectorStatus.FAULTED, OFFLINE_STATUS)


def one_station(station_id: int) -> Select[int]:
    return select(Station.id).where(Station.id == station_id)


def _in(column: SQLColumnExpression[int], stations: StationScope) -> ColumnElement[bool]:
    return true() if stations is None else column.in_(stations)


def _sum(value: SQLColumnExpression[Any]) -> ColumnElement[int]:
    return func.coalesce(func.sum(value), 0)


def _sum_if(condition: ColumnElement[bool], value: object) -> ColumnElement[int]:
    return _sum(case((condition, value), else_=0))


def _session_station(stations: StationScope) -> ColumnElement[bool]:
    """Sessions at the scope's stations (their charger's station)."""
    if stations is None:
        return true()
    return ChargingSession.charger_id.in_(
        select(Charger.id).where(Charger.station_id.in_(stations))
    )


# -- revenue ---------------------------------------------------------------------------------


def _billed_sessions(
    start: datetime, end: datetime, currency: str, stations: StationScope
) -> list[ColumnElement[bool]]:
    return [
        ChargingSession.ended_at >= start,
        ChargingSession.ended_at < end,
        ChargingSession.status == SessionStatus.COMPLETED,
        ChargingSession.currency == currency,
        _session_station(stations),
    ]


def _kept_fees(
    start: datetime, end: datetime, currency: str, stations: StationScope
) -> list[ColumnElement[bool]]:
    return [
        ConnectorBooking.created_at >= start,
        ConnectorBooking.created_at < end,
        ConnectorBooking.reservation_fee_minor > 0,
        ConnectorBooking.fee_refunded.is_(False),
        ConnectorBooking.currency == currency,
        _in(ConnectorBooking.station_id, stations),
    ]


@dataclass(frozen=True)
class DayRevenue:
    day: int  # local day index (days since 1970-01-01 in the zone)
    sessions_minor: int
    sessions: int
    fees_minor: int


async def revenue_by_day(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    currency: str,
    stations: StationScope,
) -> list[DayRevenue]:
    """Billed sessions and kept booking fees per local day of ``[start, end)``."""
    session_day = local_day_index(ChargingSession.ended_at, zone, start, end)
    booking_day = local_day_index(ConnectorBooking.created_at, zone, start, end)
    charged = (
        select(
            session_day.label("day"),
            ChargingSession.cost_minor.label("sessions_minor"),
            literal(1).label("sessions"),
            literal(0).label("fees_minor"),
        )
        .where(*_billed_sessions(start, end, currency, stations))
        .where(ChargingSession.cost_minor.is_not(None))
    )
    fees = select(
        booking_day.label("day"),
        literal(0).label("sessions_minor"),
        literal(0).label("sessions"),
        ConnectorBooking.reservation_fee_minor.label("fees_minor"),
    ).where(*_kept_fees(start, end, currency, stations))
    lines = union_all(charged, fees).subquery()
    rows = await session.execute(
        select(
            lines.c.day,
            _sum(lines.c.sessions_minor),
            _sum(lines.c.sessions),
            _sum(lines.c.fees_minor),
        )
        .group_by(lines.c.day)
        .order_by(lines.c.day)
    )
    return [DayRevenue(int(d), int(m), int(n), int(f)) for d, m, n, f in rows.all()]


@dataclass(frozen=True)
class RevenueMarks:
    """Revenue (minor units) from each of these instants until ``until``."""

    today: int
    week: int
    month: int
    previous_month_to_date: int  # the previous month, up to the same point in it


async def revenue_since(
    session: AsyncSession,
    *,
    today: datetime,
    week: datetime,
    month: datetime,
    previous_month: datetime,
    previous_month_to_date: datetime,
    until: datetime,
    currency: str,
) -> RevenueMarks:
    """The dashboard's revenue figures in one pass over each source."""
    lowest = min(week, previous_month)

    def marks(
        at: SQLColumnExpression[datetime | None], amount: SQLColumnExpression[Any]
    ) -> list[ColumnElement[int]]:
        return [
            _sum_if(at >= today, amount),
            _sum_if(at >= week, amount),
            _sum_if(at >= month, amount),
            _sum_if(and_(at >= previous_month, at < previous_month_to_date), amount),
        ]

    charged = (
        await session.execute(
            select(*marks(ChargingSession.ended_at, ChargingSession.cost_minor)).where(
                *_billed_sessions(lowest, until, currency, None)
            )
        )
    ).one()
    fees = (
        await session.execute(
            select(
                *marks(ConnectorBooking.created_at, ConnectorBooking.reservation_fee_minor)
            ).where(*_kept_fees(lowest, until, currency, None))
        )
    ).one()
    totals = [int(a) + int(b) for a, b in zip(charged, fees, strict=True)]
    return RevenueMarks(*totals)


async def top_stations(
    session: AsyncSession, *, start: datetime, end: datetime, currency: str, limit: int
) -> list[tuple[int, int]]:
    """``(station id, revenue minor)`` of the stations that earned most in the period."""
    charged = (
        select(
            Charger.station_id.label("station_id"),
            ChargingSession.cost_minor.label("amount"),
        )
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .where(*_billed_sessions(start, end, currency, None))
    )
    fees = select(
        ConnectorBooking.station_id.label("station_id"),
        ConnectorBooking.reservation_fee_minor.label("amount"),
    ).where(*_kept_fees(start, end, currency, None))
    lines = union_all(charged, fees).subquery()
    earned = _sum(lines.c.amount).label("earned")
    rows = await session.execute(
        select(lines.c.station_id, earned)
        .group_by(lines.c.station_id)
        .order_by(earned.desc(), lines.c.station_id)
        .limit(limit)
    )
    return [(int(station), int(amount)) for station, amount in rows.all()]


# -- the network now -------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkCounts:
    users: int
    stations: int
    chargers: int
    active_sessions: int


async def network_counts(session: AsyncSession) -> NetworkCounts:
    """Live accounts (people, not partner service accounts), live stations, chargers in
    service (not archived, on a live station) and sessions charging now."""
    users = (
        select(func.count(User.id))
        .where(User.deleted_at.is_(None), User.role != Role.INTEGRATION)
        .scalar_subquery()
    )
    stations = select(func.count(Station.id)).where(Station.deleted_at.is_(None)).scalar_subquery()
    chargers = (
        select(func.count(Charger.id))
        .join(Station, Station.id == Charger.station_id)
        .where(Station.deleted_at.is_(None), Charger.archived_at.is_(None))
        .scalar_subquery()
    )
    active = (
        select(func.count(ChargingSession.id))
        .where(ChargingSession.status == SessionStatus.ACTIVE)
        .scalar_subquery()
    )
    row = (await session.execute(select(users, stations, chargers, active))).one()
    return NetworkCounts(*(int(value or 0) for value in row))


@dataclass(frozen=True)
class ChargerStates:
    online: int
    offline: int
    faulted: int
    maintenance: int


async def charger_states(session: AsyncSession) -> ChargerStates:
    """Chargers in service by status."""
    in_service = and_(Station.deleted_at.is_(None), Charger.archived_at.is_(None))
    by_status = (
        await session.execute(
            select(
                *[
                    _sum_if(Charger.status == status, 1)
                    for status in (
                        ChargerStatus.ONLINE,
                        ChargerStatus.OFFLINE,
                        ChargerStatus.FAULTED,
                        ChargerStatus.MAINTENANCE,
                    )
                ]
            )
            .join(Station, Station.id == Charger.station_id)
            .where(in_service)
        )
    ).one()
    online, offline, faulted, maintenance = (int(value) for value in by_status)
    return ChargerStates(online, offline, faulted, maintenance)


# -- sessions --------------------------------------------------------------------------------


def _minutes(
    start: SQLColumnExpression[datetime], end: SQLColumnExpression[datetime | None]
) -> ColumnElement[float]:
    return (epoch_seconds(end) - epoch_seconds(start)) / 60.0


@dataclass(frozen=True)
class SessionCounts:
    today: int
    week: int
    month: int
    avg_minutes: float  # completed sessions started this month
    energy_wh: int  # every completed session, ever


async def session_counts(
    session: AsyncSession, *, today: datetime, week: datetime, month: datetime
) -> SessionCounts:
    """Sessions started since each mark; this month's mean duration; all energy."""
    lowest = min(week, month)
    started = ChargingSession.started_at
    completed = ChargingSession.status == SessionStatus.COMPLETED
    counts = (
        await session.execute(
            select(
                _sum_if(started >= today, 1),
                _sum_if(started >= week, 1),
                _sum_if(started >= month, 1),
                func.avg(
                    case(
                        (
                            and_(started >= month, completed),
                            _minutes(started, ChargingSession.ended_at),
                        ),
                        else_=None,
                    )
                ),
            ).where(started >= lowest)
        )
    ).one()
    energy = await session.scalar(
        select(_sum(ChargingSession.energy_wh)).where(
            ChargingSession.ended_at.is_not(None), completed
        )
    )
    return SessionCounts(
        int(counts[0]), int(counts[1]), int(counts[2]), float(counts[3] or 0), int(energy or 0)
    )


@dataclass(frozen=True)
class SessionSummary:
    total: int
    completed: int
    failed: int
    active: int
    avg_minutes: float
    energy_wh: int
    billed_minor: int


async def session_summary(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    currency: str,
    stations: StationScope,
) -> SessionSummary:
    """Sessions started in ``[start, end)`` at the scope's stations, by outcome."""
    status = ChargingSession.status
    completed = status == SessionStatus.COMPLETED
    row = (
        await session.execute(
            select(
                func.count(ChargingSession.id),
                _sum_if(completed, 1),
                _sum_if(status == SessionStatus.FAILED, 1),
                _sum_if(status == SessionStatus.ACTIVE, 1),
                func.avg(
                    case(
                        (
                            completed,
                            _minutes(ChargingSession.started_at, ChargingSession.ended_at),
                        ),
                        else_=None,
                    )
                ),
                _sum_if(completed, func.coalesce(ChargingSession.energy_wh, 0)),
                _sum_if(
                    and_(completed, ChargingSession.currency == currency),
                    func.coalesce(ChargingSession.cost_minor, 0),
                ),
            ).where(
                ChargingSession.started_at >= start,
                ChargingSession.started_at < end,
                _session_station(stations),
            )
        )
    ).one()
    return SessionSummary(
        int(row[0]),
        int(row[1]),
        int(row[2]),
        int(row[3]),
        float(row[4] or 0),
        int(row[5]),
        int(row[6]),
    )


# -- users -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopUser:
    user_id: int
    first_name: str
    last_name: str
    email: str
    sessions: int
    energy_wh: int
    spent_minor: int


async def user_activity(
    session: AsyncSession, *, start: datetime, end: datetime, currency: str, top: int
) -> tuple[int, int, list[TopUser]]:
    """(drivers who charged or booked in the period, accounts created in it, the drivers
    with most sessions in it)."""
    charged = select(ChargingSession.user_id.label("user_id")).where(
        ChargingSession.started_at >= start,
        ChargingSession.started_at < end,
        ChargingSession.user_id.is_not(None),
    )
    booked = select(ConnectorBooking.user_id.label("user_id")).where(
        ConnectorBooking.created_at >= start, ConnectorBooking.created_at < end
    )
    active = select(func.count()).select_from(union(charged, booked).subquery())
    new = select(func.count(User.id)).where(
        User.created_at >= start, User.created_at < end, User.role != Role.INTEGRATION
    )
    completed = ChargingSession.status == SessionStatus.COMPLETED
    per_user = (
        select(
            ChargingSession.user_id.label("user_id"),
            func.count(ChargingSession.id).label("sessions"),
            _sum_if(completed, func.coalesce(ChargingSession.energy_wh, 0)).label("energy"),
            _sum_if(
                and_(completed, ChargingSession.currency == currency),
                func.coalesce(ChargingSession.cost_minor, 0),
            ).label("spent"),
        )
        .where(
            ChargingSession.started_at >= start,
            ChargingSession.started_at < end,
            ChargingSession.user_id.is_not(None),
        )
        .group_by(ChargingSession.user_id)
        .order_by(func.count(ChargingSession.id).desc(), ChargingSession.user_id)
        .limit(top)
        .subquery()
    )
    leaders = await session.execute(
        select(
            User.id,
            User.first_name,
            User.last_name,
            User.email,
            per_user.c.sessions,
            per_user.c.energy,
            per_user.c.spent,
        )
        .join(per_user, per_user.c.user_id == User.id)
        .order_by(per_user.c.sessions.desc(), User.id)
    )
    counts = (await session.execute(select(active.scalar_subquery(), new.scalar_subquery()))).one()
    return (
        int(counts[0] or 0),
        int(counts[1] or 0),
        [TopUser(int(a), b, c, d, int(e), int(f), int(g)) for a, b, c, d, e, f, g in leaders],
    )


# -- charger utilization ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChargerUse:
    charger_id: int
    charge_point_id: str
    name: str
    station_id: int
    status: str
    charging_seconds: float
    available_seconds: float


def _chargers(stations: StationScope, station_id: int | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Station.deleted_at.is_(None),
        Charger.archived_at.is_(None),
    ]
    conditions.append(_in(Charger.station_id, stations))
    if station_id is not None:
        conditions.append(Charger.station_id == station_id)
    return conditions


def _connector_time(
    start: datetime, end: datetime, chargers: Select[int]
) -> Select[int, float, float]:
    """Per charger: seconds its connectors spent charging, and in service, within
    ``[start, end)``, from the status history. Each change lasts until the connector's
    next one (``LEAD``), clipped to the period; the change in force at the start is the
    last one before it. Before a connector's first change nothing is known: not counted."""
    s, e = start.timestamp(), end.timestamp()
    at = epoch_seconds(ConnectorStatusChange.at)
    following = func.lead(at).over(
        partition_by=ConnectorStatusChange.connector_id,
        order_by=(ConnectorStatusChange.at, ConnectorStatusChange.id),
    )
    changes = (
        select(
            ConnectorStatusChange.charger_id.label("charger_id"),
            ConnectorStatusChange.status.label("status"),
            at.label("at"),
            following.label("until"),
        )
        .where(ConnectorStatusChange.at < end, ConnectorStatusChange.charger_id.in_(chargers))
        .subquery()
    )
    begins = case((changes.c.at < s, s), else_=changes.c.at)
    ends = case((or_(changes.c.until.is_(None), changes.c.until > e), e), else_=changes.c.until)
    lasted = ends - begins
    return (
        select(
            changes.c.charger_id,
            _sum_if(changes.c.status == ConnectorStatus.CHARGING, lasted),
            _sum_if(changes.c.status.not_in(OUT_OF_SERVICE), lasted),
        )
        .where(or_(changes.c.until.is_(None), changes.c.until > s))
        .group_by(changes.c.charger_id)
    )


def _chargers_in(stations: StationScope, station_id: int | None) -> Select[int]:
    return (
        select(Charger.id)
        .join(Station, Station.id == Charger.station_id)
        .where(*_chargers(stations, station_id))
    )


async def use_totals(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    stations: StationScope,
    station_id: int | None,
) -> tuple[int, float, float]:
    """(chargers in scope, their total charging and in-service seconds) over the period
    ``[start, end)``, from the connector status history: the one utilization figure."""
    used = _connector_time(start, end, _chargers_in(stations, station_id)).subquery()
    totals = (
        await session.execute(
            select(
                func.count(Charger.id),
                _sum(func.coalesce(used.c[1], 0.0)),
                _sum(func.coalesce(used.c[2], 0.0)),
            )
            .join(Station, Station.id == Charger.station_id)
            .outerjoin(used, used.c.charger_id == Charger.id)
            .where(*_chargers(stations, station_id))
        )
    ).one()
    return int(totals[0]), float(totals[1] or 0), float(totals[2] or 0)


async def charger_use(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    stations: StationScope,
    station_id: int | None,
    offset: int,
    limit: int,
) -> tuple[int, float, float, list[ChargerUse]]:
    """(chargers in scope, their total charging and in-service seconds, one page of them
    with their own), for the period ``[start, end)``."""
    total, charging_seconds, available_seconds = await use_totals(
        session, start=start, end=end, stations=stations, station_id=station_id
    )
    used = _connector_time(start, end, _chargers_in(stations, station_id)).subquery()
    charging = func.coalesce(used.c[1], 0.0)
    available = func.coalesce(used.c[2], 0.0)
    rows = await session.execute(
        select(
            Charger.id,
            Charger.charge_point_id,
            Charger.name,
            Charger.station_id,
            Charger.status,
            charging,
            available,
        )
        .join(Station, Station.id == Charger.station_id)
        .outerjoin(used, used.c.charger_id == Charger.id)
        .where(*_chargers(stations, station_id))
        .order_by(Charger.id)
        .offset(offset)
        .limit(limit)
    )
    page = [ChargerUse(int(a), b, c, int(d), e, float(f), float(g)) for a, b, c, d, e, f, g in rows]
    return total, charging_seconds, available_seconds, page


async def station_in_scope(session: AsyncSession, station_id: int, stations: StationScope) -> bool:
    found = await session.scalar(
        select(Station.id).where(Station.id == station_id, _in(Station.id, stations))
    )
    return found is not None
