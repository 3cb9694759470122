"""EV-CMS section 17, Dashboard (User) (``/api/v1/dashboard``): the caller's own figures.

Money is rupees and energy kWh on the wire, as the sessions section shows them; every
figure is summed by the database (``charging.sessions.dashboard``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends

from evcare.charging.sessions import dashboard
from evcare.core.money import major_number
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import CamelModel, Envelope
from evcare.surfaces.cms.sessions import SessionOut, sessions_out
from evcare.surfaces.deps import Authenticator

router = APIRouter(prefix="/dashboard", tags=["dashboard"], route_class=TransactionalRoute)

DashboardRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SESSIONS, Scope.READ_WALLET))]


def _kwh(energy_wh: int) -> float:
    return round(energy_wh / 1000, 3)


class MonthOut(CamelModel):
    sessions: int
    energy_consumed: float  # kWh
    total_spent: float | int  # rupees, completed sessions


class FavouriteStationOut(CamelModel):
    id: str
    name: str
    address: str
    city: str
    session_count: int
    energy_consumed: float  # kWh
    last_charged_at: datetime | None


class StatsOut(CamelModel):
    upcoming_bookings: int
    active_session: SessionOut | None
    wallet_balance: float | int
    currency: str
    this_month: MonthOut
    recent_sessions: list[SessionOut]
    favorite_stations: list[FavouriteStationOut]

    @classmethod
    def of(cls, stats: dashboard.Dashboard) -> StatsOut:
        month = stats.this_month
        return cls(
            upcoming_bookings=stats.upcoming_bookings,
            active_session=SessionOut.of(stats.active_session) if stats.active_session else None,
            wallet_balance=major_number(stats.wallet_balance_minor, stats.currency),
            currency=stats.currency,
            this_month=MonthOut(
                sessions=month.sessions,
                energy_consumed=_kwh(month.energy_wh),
                total_spent=major_number(month.spent_minor, stats.currency),
            ),
            recent_sessions=sessions_out(stats.recent_sessions),
            favorite_stations=[
                FavouriteStationOut(
                    id=str(station.station_id),
                    name=station.name,
                    address=station.address,
                    city=station.city,
                    session_count=station.sessions,
                    energy_consumed=_kwh(station.energy_wh),
                    last_charged_at=station.last_charged_at,
                )
                for station in stats.favourite_stations
            ],
        )


class StatsBody(CamelModel):
    stats: StatsOut


@router.get("/stats", operation_id="cms_dashboard_stats")
async def stats(principal: DashboardRead, session: SessionDep) -> Envelope[StatsBody]:
    found = await dashboard.user_dashboard(session, principal)
    return Envelope(data=StatsBody(stats=StatsOut.of(found)))
