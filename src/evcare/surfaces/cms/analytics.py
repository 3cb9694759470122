"""EV-CMS section 13, Analytics (``/api/v1/analytics``).

Admins see the whole network; a brand (or franchise) only its own stations and chargers
(another's ``stationId`` is a 404). Dates are local dates of the network's time zone
(setting ``general.timeZone``), ``endDate`` included; money in major units of the
network's currency. What each figure means: docs/analytics.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.charging.analytics import service as analytics
from evcare.charging.analytics.periods import Grain, Period
from evcare.core.money import major_number
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import CamelModel, Envelope, PagedEnvelope, PaginationOut
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import FranchiseId, StationId
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/analytics", tags=["analytics"], route_class=TransactionalRoute)

AnalyticsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_ANALYTICS))]
# User activity is about people: admins only (READ:USERS is theirs alone).
ActivityRead = Annotated[Principal, Depends(Authenticator(Scope.READ_ANALYTICS, Scope.READ_USERS))]

StartDate = Annotated[IsoDate | None, Query(alias="startDate")]
EndDate = Annotated[IsoDate | None, Query(alias="endDate")]
StationFilter = Annotated[StationId | None, Query(alias="stationId")]


class PeriodOut(CamelModel):
    start_date: date
    end_date: date
    time_zone: str
    start: datetime = Field(description="the instant the period begins (UTC)")
    end: datetime = Field(description="the instant after it ends (UTC)")

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            start_date=period.start_date,
            end_date=period.end_date,
            time_zone=period.zone.key,
            start=period.start,
            end=period.end,
        )


class RevenuePeriodOut(PeriodOut):
    group_by: Literal["day", "week", "month"]


class RevenuePointOut(CamelModel):
    period: str = Field(description="2026-11-24, 2026-W48 or 2026-11")
    start_date: date
    end_date: date
    revenue: float | int
    charging: float | int
    booking_fees: float | int
    session_count: int


class SettlementOut(CamelModel):
    """One month of a franchise's agreement: what its stations took and how it splits."""

    franchise_id: str
    period: str = Field(description="2026-11")
    sessions: int
    energy_consumed: float = Field(description="kWh")
    revenue: float | int = Field(description="what drivers paid, GST included")
    gst: float | int
    net: float | int = Field(description="revenue - GST: what the agreement splits")
    revenue_share: float = Field(description="the franchise's share, percent")
    franchise_share: float | int
    brand_share: float | int


class RevenueOut(CamelModel):
    revenue: float | int
    charging: float | int
    booking_fees: float | int
    session_count: int
    currency: str
    period: RevenuePeriodOut
    series: list[RevenuePointOut]
    settlements: list[SettlementOut] | None = Field(
        default=None, description="with franchiseId and groupBy=month: each month's settlement"
    )


@router.get("/revenue", operation_id="cms_analytics_revenue")
async def revenue(
    principal: AnalyticsRead,
    session: SessionDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
    group_by: Annotated[Literal["day", "week", "month"], Query(alias="groupBy")] = "day",
    station_id: StationFilter = None,
    franchise_id: Annotated[FranchiseId | None, Query(alias="franchiseId")] = None,
) -> Envelope[RevenueOut]:
    found = await analytics.revenue(
        session,
        principal,
        start_date=start_date,
        end_date=end_date,
        grain=Grain(group_by),
        station_id=station_id,
        franchise_id=franchise_id,
    )
    currency = found.currency

    def money(minor: int) -> float | int:
        return major_number(minor, currency)

    return Envelope(
        data=RevenueOut(
            revenue=money(found.revenue_minor),
            charging=money(found.sessions_minor),
            booking_fees=money(found.fees_minor),
            session_count=found.sessions,
            currency=currency,
            period=RevenuePeriodOut(**PeriodOut.of(found.period).model_dump(), group_by=group_by),
            series=[
                RevenuePointOut(
                    period=point.bucket.label,
                    start_date=point.bucket.first,
                    end_date=point.bucket.last,
                    revenue=money(point.revenue_minor),
                    charging=money(point.sessions_minor),
                    booking_fees=money(point.fees_minor),
                    session_count=point.sessions,
                )
                for point in found.points
            ],
            settlements=None
            if franchise_id is None or group_by != "month"
            else [
                SettlementOut(
                    franchise_id=str(deal.franchise_id),
                    period=f"{deal.year:04d}-{deal.month:02d}",
                    sessions=deal.sessions,
                    energy_consumed=deal.energy_wh / 1000,
                    revenue=money(deal.revenue_minor),
                    gst=money(deal.gst_minor),
                    net=money(deal.net_minor),
                    revenue_share=deal.revenue_share_bp / 100,
                    franchise_share=money(deal.franchise_share_minor),
                    brand_share=money(deal.brand_share_minor),
                )
                for deal in found.settlements
            ],
        )
    )


class ChargerStatOut(CamelModel):
    id: str
    charger_id: str
    charger_name: str
    station_id: str
    status: str
    utilization: float = Field(description="% of in-service minutes spent charging")
    charging_minutes: float
    available_minutes: float


class ChargerStatsOut(CamelModel):
    chargers: list[ChargerStatOut]
    avg_utilization: float = Field(description="% over every charger in scope")
    period: PeriodOut
    until: datetime = Field(description="measured up to this instant (now, if earlier)")


@router.get("/charger-stats", operation_id="cms_analytics_charger_stats")
async def charger_stats(
    principal: AnalyticsRead,
    session: SessionDep,
    pagination: Pagination,
    station_id: StationFilter = None,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> PagedEnvelope[ChargerStatsOut]:
    found = await analytics.charger_stats(
        session,
        principal,
        pagination,
        start_date=start_date,
        end_date=end_date,
        station_id=station_id,
    )
    chargers = [
        ChargerStatOut(
            id=str(row.charger_id),
            charger_id=row.charge_point_id,
            charger_name=row.name,
            station_id=str(row.station_id),
            status=row.status,
            utilization=analytics.percent(row.charging_seconds, row.available_seconds),
            charging_minutes=round(row.charging_seconds / 60, 1),
            available_minutes=round(row.available_seconds / 60, 1),
        )
        for row in found.chargers.items
    ]
    return PagedEnvelope(
        data=ChargerStatsOut(
            chargers=chargers,
            avg_utilization=analytics.percent(found.charging_seconds, found.available_seconds),
            period=PeriodOut.of(found.period),
            until=found.until,
        ),
        pagination=PaginationOut.of(cast(Page[object], found.chargers)),
    )


class SessionSummaryOut(CamelModel):
    total_sessions: int
    successful: int
    failed: int
    active: int
    avg_duration: float = Field(description="minutes, completed sessions")
    total_energy: float = Field(description="kWh, completed sessions")
    revenue: float | int = Field(description="billed for the completed sessions")
    currency: str
    period: PeriodOut


@router.get("/session-summary", operation_id="cms_analytics_session_summary")
async def session_summary(
    principal: AnalyticsRead,
    session: SessionDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
    station_id: StationFilter = None,
) -> Envelope[SessionSummaryOut]:
    period, currency, summary = await analytics.session_summary(
        session, principal, start_date=start_date, end_date=end_date, station_id=station_id
    )
    return Envelope(
        data=SessionSummaryOut(
            total_sessions=summary.total,
            successful=summary.completed,
            failed=summary.failed,
            active=summary.active,
            avg_duration=round(summary.avg_minutes, 1),
            total_energy=round(summary.energy_wh / 1000, 3),
            revenue=major_number(summary.billed_minor, currency),
            currency=currency,
            period=PeriodOut.of(period),
        )
    )


class TopUserOut(CamelModel):
    user_id: str
    name: str
    email: str
    sessions: int
    energy: float = Field(description="kWh")
    spent: float | int


class UserActivityOut(CamelModel):
    active_users: int
    new_users: int
    top_users: list[TopUserOut]
    currency: str
    period: PeriodOut


@router.get("/user-activity", operation_id="cms_analytics_user_activity")
async def user_activity(
    principal: ActivityRead,
    session: SessionDep,
    start_date: StartDate = None,
    end_date: EndDate = None,
) -> Envelope[UserActivityOut]:
    period, currency, active, new, top = await analytics.user_activity(
        session, principal, start_date=start_date, end_date=end_date
    )
    return Envelope(
        data=UserActivityOut(
            active_users=active,
            new_users=new,
            top_users=[
                TopUserOut(
                    user_id=str(user.user_id),
                    name=f"{user.first_name} {user.last_name}".strip(),
                    email=user.email,
                    sessions=user.sessions,
                    energy=round(user.energy_wh / 1000, 3),
                    spent=major_number(user.spent_minor, currency),
                )
                for user in top
            ],
            currency=currency,
            period=PeriodOut.of(period),
        )
    )
