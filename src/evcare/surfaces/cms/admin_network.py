"""EV-CMS section 12, Admin Dashboard: the network (``/api/v1/admin``).

The dashboard's figures (docs/analytics.md), every station with its verification
(drivers see verified stations only), soft delete and restore, every connector booking,
and the station reviews admins moderate (only approved ones count in a station's
rating).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.charging.analytics import service as analytics
from evcare.charging.bookings import service as bookings
from evcare.charging.reviews import service as reviews
from evcare.charging.reviews.models import StationReview
from evcare.charging.stations import service as stations
from evcare.charging.stations.cards import StationCard
from evcare.charging.stations.models import Station
from evcare.core.money import major_number
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.bookings import BookingOut, BookingsBody
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.cms.stations import StationOut, StationStatusName
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import ReviewId, StationId, UserId
from evcare.surfaces.times import UtcDateTime

router = APIRouter(prefix="/admin", tags=["admin"], route_class=TransactionalRoute)

NetworkManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_NETWORK))]

PART = "(overview|chargers|sessions|revenue)"


# -- dashboard -------------------------------------------------------------------------------


class OverviewOut(CamelModel):
    total_users: int
    total_stations: int
    total_chargers: int
    active_sessions: int
    today_revenue: float | int
    month_revenue: float | int


class ChargersOut(CamelModel):
    online: int
    offline: int
    faulted: int
    maintenance: int
    utilization_rate: float = Field(
        description="% of in-service minutes spent charging, the last 7 days (charger-stats)"
    )


class SessionsOut(CamelModel):
    today: int
    this_week: int
    this_month: int
    avg_duration: float = Field(description="minutes, completed sessions started this month")
    total_energy_dispensed: float = Field(description="kWh, every completed session")


class TopStationOut(CamelModel):
    station_id: str
    revenue: float | int


class RevenueOut(CamelModel):
    today: float | int
    this_week: float | int
    this_month: float | int
    trend: Literal["up", "down"]
    top_stations: list[TopStationOut]


class StatsOut(CamelModel):
    overview: OverviewOut | None = None
    chargers: ChargersOut | None = None
    sessions: SessionsOut | None = None
    revenue: RevenueOut | None = None

    @classmethod
    def of(cls, board: analytics.Dashboard) -> StatsOut:
        currency = board.currency

        def money(minor: int) -> float | int:
            return major_number(minor, currency)

        out = cls()
        if board.network is not None and board.revenue is not None:
            out.overview = OverviewOut(
                total_users=board.network.users,
                total_stations=board.network.stations,
                total_chargers=board.network.chargers,
                active_sessions=board.network.active_sessions,
                today_revenue=money(board.revenue.today),
                month_revenue=money(board.revenue.month),
            )
        if board.chargers is not None:
            states = board.chargers
            out.chargers = ChargersOut(
                online=states.online,
                offline=states.offline,
                faulted=states.faulted,
                maintenance=states.maintenance,
                utilization_rate=board.utilization.percent if board.utilization else 0.0,
            )
        if board.sessions is not None:
            counts = board.sessions
            out.sessions = SessionsOut(
                today=counts.today,
                this_week=counts.week,
                this_month=counts.month,
                avg_duration=round(counts.avg_minutes, 1),
                total_energy_dispensed=round(counts.energy_wh / 1000, 3),
            )
        if board.revenue is not None and board.top_stations is not None:
            marks = board.revenue
            out.revenue = RevenueOut(
                today=money(marks.today),
                this_week=money(marks.week),
                this_month=money(marks.month),
                trend="up" if marks.month >= marks.previous_month_to_date else "down",
                top_stations=[
                    TopStationOut(station_id=str(station), revenue=money(amount))
                    for station, amount in board.top_stations
                ],
            )
        return out


class StatsBody(CamelModel):
    stats: StatsOut


@router.get("/dashboard", operation_id="cms_admin_dashboard", response_model_exclude_none=True)
async def dashboard(
    principal: NetworkManage,
    session: SessionDep,
    include: Annotated[
        str,
        Query(
            max_length=100,
            pattern=f"^{PART}(,{PART})*$",
            description="comma-separated parts: overview, chargers, sessions, revenue",
        ),
    ] = "overview,chargers,sessions,revenue",
) -> Envelope[StatsBody]:
    parts = frozenset(part for part in include.split(",") if part)
    board = await analytics.dashboard(session, principal, include=parts)
    return Envelope(data=StatsBody(stats=StatsOut.of(board)))


# -- stations --------------------------------------------------------------------------------


class AdminStationOut(StationOut):
    """A station as admins see it: the Station object plus its verification and
    deletion."""

    is_verified: bool
    verification_notes: str | None
    verified_at: datetime | None
    deleted_at: datetime | None

    @classmethod
    def of(cls, station: Station) -> AdminStationOut:
        return cls.model_validate(
            {
                **cls.fields_of(StationCard.of(station)),
                "is_verified": station.is_verified,
                "verification_notes": station.verification_notes,
                "verified_at": station.verified_at,
                "deleted_at": station.deleted_at,
            }
        )


class AdminStationBody(CamelModel):
    station: AdminStationOut


class AdminStationsBody(CamelModel):
    stations: list[AdminStationOut]


class VerifyIn(StrictCamelModel):
    verified: bool = Field(strict=True)
    notes: str | None = Field(default=None, max_length=2000)


@router.get("/stations", operation_id="cms_admin_list_stations")
async def list_stations(
    principal: NetworkManage,
    session: SessionDep,
    pagination: Pagination,
    status: StationStatusName | None = None,
    verified: bool | None = None,
    deleted: Annotated[
        bool | None, Query(description="true: only deleted; false: only live; absent: both")
    ] = None,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> PagedEnvelope[AdminStationsBody]:
    page = await stations.list_every_station(
        session,
        principal,
        params=pagination,
        status=status,
        verified=verified,
        deleted=deleted,
        search=search,
    )
    return PagedEnvelope(
        data=AdminStationsBody(stations=[AdminStationOut.of(s) for s in page.items]),
        pagination=PaginationOut.of(cast(Page[object], page)),
    )


@router.put("/stations/{station_id}/verify", operation_id="cms_admin_verify_station")
async def verify_station(
    station_id: StationId, body: VerifyIn, principal: NetworkManage, session: SessionDep
) -> Envelope[AdminStationBody]:
    station = await stations.verify_station(
        session, principal, station_id, verified=body.verified, notes=body.notes
    )
    message = "Station verified" if station.is_verified else "Station verification withdrawn"
    return Envelope(message=message, data=AdminStationBody(station=AdminStationOut.of(station)))


@router.delete("/stations/{station_id}", operation_id="cms_admin_delete_station")
async def delete_station(
    station_id: StationId, principal: NetworkManage, session: SessionDep
) -> Envelope[Done]:
    await stations.delete_station(session, principal, station_id)
    return Envelope(message="Station deleted", data=Done())


@router.patch("/stations/{station_id}/restore", operation_id="cms_admin_restore_station")
async def restore_station(
    station_id: StationId, principal: NetworkManage, session: SessionDep
) -> Envelope[AdminStationBody]:
    station = await stations.restore_station(session, principal, station_id)
    return Envelope(
        message="Station restored", data=AdminStationBody(station=AdminStationOut.of(station))
    )


# -- bookings --------------------------------------------------------------------------------


BookingStatusName = Literal["pending", "confirmed", "active", "completed", "cancelled"]


@router.get("/bookings", operation_id="cms_admin_list_bookings")
async def list_bookings(
    principal: NetworkManage,
    session: SessionDep,
    pagination: Pagination,
    status: BookingStatusName | None = None,
    station_id: Annotated[StationId | None, Query(alias="stationId")] = None,
    user_id: Annotated[UserId | None, Query(alias="userId")] = None,
    scheduled_from: Annotated[UtcDateTime | None, Query(alias="from")] = None,
    scheduled_to: Annotated[UtcDateTime | None, Query(alias="to")] = None,
) -> PagedEnvelope[BookingsBody]:
    """Every driver's connector bookings, latest scheduled first."""
    page = await bookings.list_every_booking(
        session,
        principal,
        pagination,
        status=status,
        station_id=station_id,
        user_id=user_id,
        scheduled_from=scheduled_from,
        scheduled_to=scheduled_to,
    )
    return PagedEnvelope(
        data=BookingsBody(bookings=[BookingOut.of(view) for view in page.items]),
        pagination=PaginationOut.of(cast(Page[object], page)),
    )


# -- reviews ---------------------------------------------------------------------------------

ReviewStatusName = Literal["pending", "approved", "rejected"]


class ReviewOut(CamelModel):
    id: str
    station_id: str
    user_id: str | None
    booking_id: str | None
    rating: int
    review: str
    images: list[str]
    status: ReviewStatusName
    moderation_reason: str | None
    moderated_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: StationReview) -> ReviewOut:
        return cls(
            id=str(row.id),
            station_id=str(row.station_id),
            user_id=None if row.user_id is None else str(row.user_id),
            booking_id=None if row.booking_id is None else str(row.booking_id),
            rating=row.rating,
            review=row.review or "",
            images=list(row.images or []),
            status=cast(ReviewStatusName, row.status),
            moderation_reason=row.moderation_reason,
            moderated_at=row.moderated_at,
            created_at=row.created_at,
        )


class ReviewBody(CamelModel):
    review: ReviewOut


class ReviewsBody(CamelModel):
    reviews: list[ReviewOut]


class ModerateIn(StrictCamelModel):
    status: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, min_length=1, max_length=500)


@router.get("/reviews", operation_id="cms_admin_list_reviews")
async def list_reviews(
    principal: NetworkManage,
    session: SessionDep,
    pagination: Pagination,
    rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    status: ReviewStatusName | None = None,
    station_id: Annotated[StationId | None, Query(alias="stationId")] = None,
) -> PagedEnvelope[ReviewsBody]:
    """Every station review, newest first."""
    page = await reviews.list_reviews(
        session, principal, pagination, rating=rating, status=status, station_id=station_id
    )
    return PagedEnvelope(
        data=ReviewsBody(reviews=[ReviewOut.of(row) for row in page.items]),
        pagination=PaginationOut.of(cast(Page[object], page)),
    )


@router.put("/reviews/{review_id}/moderate", operation_id="cms_admin_moderate_review")
async def moderate_review(
    review_id: ReviewId, body: ModerateIn, principal: NetworkManage, session: SessionDep
) -> Envelope[ReviewBody]:
    row = await reviews.moderate_review(
        session, principal, review_id=review_id, status=body.status, reason=body.reason
    )
    return Envelope(message=f"Review {row.status}", data=ReviewBody(review=ReviewOut.of(row)))
