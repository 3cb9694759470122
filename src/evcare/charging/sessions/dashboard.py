"""A driver's own dashboard (EV-CMS ``GET /api/v1/dashboard/stats``), read by the database.

Always the caller's own figures, whatever their role: upcoming connector bookings
(pending or confirmed, not yet over), the running session, the wallet balance, this
month's sessions (started this month in the network's time zone; energy over all of them,
spend over the completed ones), the five latest sessions and the five stations the driver
completed most sessions at (ties: the most recent first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import wallet_repository
from evcare.charging.bookings.models import BookingStatus, ConnectorBooking
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions import repository
from evcare.charging.sessions.models import ChargingSession, SessionStatus
from evcare.charging.sessions.records import SessionView
from evcare.charging.stations.models import Station
from evcare.core.clock import utcnow
from evcare.core.pagination import PageParams
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings

RECENT_SESSIONS = 5
FAVOURITE_STATIONS = 5


@dataclass(frozen=True)
class MonthFigures:
    sessions: int
    energy_wh: int
    spent_minor: int


@dataclass(frozen=True)
class FavouriteStation:
    station_id: int
    name: str
    address: str
    city: str
    sessions: int
    energy_wh: int
    last_charged_at: datetime | None


@dataclass(frozen=True)
class Dashboard:
    upcoming_bookings: int
    active_session: SessionView | None
    wallet_balance_minor: int
    currency: str
    this_month: MonthFigures
    recent_sessions: list[SessionView]
    favourite_stations: list[FavouriteStation]


def month_start(moment: datetime, zone: ZoneInfo) -> datetime:
    """The first instant, in UTC, of the month ``moment`` falls in (in ``zone``)."""
    local = moment.astimezone(zone)
    return datetime(local.year, local.month, 1, tzinfo=zone).astimezone(UTC)


async def _upcoming_bookings(session: AsyncSession, user_id: int, now: datetime) -> int:
    query = select(func.count(ConnectorBooking.id)).where(
        ConnectorBooking.user_id == user_id,
        ConnectorBooking.status.in_((BookingStatus.PENDING, BookingStatus.CONFIRMED)),
        ConnectorBooking.ends_at > now,
    )
    return int(await session.scalar(query) or 0)


async def _month(session: AsyncSession, user_id: int, since: datetime) -> MonthFigures:
    completed = ChargingSession.status == SessionStatus.COMPLETED
    query = select(
        func.count(ChargingSession.id),
        func.coalesce(func.sum(ChargingSession.energy_wh), 0),
        func.coalesce(func.sum(case((completed, ChargingSession.cost_minor), else_=0)), 0),
    ).where(ChargingSession.user_id == user_id, ChargingSession.started_at >= since)
    count, energy, spent = (await session.execute(query)).one()
    return MonthFigures(int(count), int(energy), int(spent))


async def _favourites(session: AsyncSession, user_id: int) -> list[FavouriteStation]:
    sessions = func.count(ChargingSession.id)
    last = func.max(ChargingSession.ended_at)
    query = (
        select(
            Station.id,
            Station.name,
            Station.address,
            Station.city,
            sessions,
            func.coalesce(func.sum(ChargingSession.energy_wh), 0),
            last,
        )
        .select_from(ChargingSession)
        .join(Charger, Charger.id == ChargingSession.charger_id)
        .join(Station, Station.id == Charger.station_id)
        .where(
            ChargingSession.user_id == user_id,
            ChargingSession.status == SessionStatus.COMPLETED,
            Station.deleted_at.is_(None),
        )
        .group_by(Station.id, Station.name, Station.address, Station.city)
        .order_by(sessions.desc(), last.desc(), Station.id)
        .limit(FAVOURITE_STATIONS)
    )
    return [
        FavouriteStation(row[0], row[1], row[2], row[3], int(row[4]), int(row[5] or 0), row[6])
        for row in await session.execute(query)
    ]


async def user_dashboard(
    session: AsyncSession, principal: Principal, *, zone: ZoneInfo | None = None
) -> Dashboard:
    """The caller's own dashboard (every figure is theirs, whatever their role); "this
    month" in the network's time zone (setting ``time_zone``) unless ``zone`` is given."""
    if zone is None:
        zone = ZoneInfo((await system_settings.current(session)).time_zone)
    user_id = principal.user_id
    now = utcnow()
    active = await repository.list_views(
        session, None, PageParams(1, 1), status=SessionStatus.ACTIVE, user_id=user_id
    )
    recent = await repository.list_views(
        session, None, PageParams(1, RECENT_SESSIONS), user_id=user_id
    )
    wallet = await wallet_repository.wallet_of(session, user_id)
    return Dashboard(
        upcoming_bookings=await _upcoming_bookings(session, user_id, now),
        active_session=active.items[0] if active.items else None,
        wallet_balance_minor=wallet.balance_minor if wallet else 0,
        currency=wallet.currency if wallet else "INR",
        this_month=await _month(session, user_id, month_start(now, zone)),
        recent_sessions=recent.items,
        favourite_stations=await _favourites(session, user_id),
    )
