"""Every query on station reviews. Only ``flush()``: the caller owns the transaction."""

from __future__ import annotations

from sqlalchemy import Float, cast, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.reviews.models import ReviewStatus, StationReview
from evcare.charging.stations.models import Station
from evcare.core.pagination import Page, PageParams


async def get(session: AsyncSession, review_id: int) -> StationReview | None:
    return await session.get(StationReview, review_id, populate_existing=True)


async def list_reviews(
    session: AsyncSession,
    params: PageParams,
    *,
    rating: int | None = None,
    status: str | None = None,
    station_id: int | None = None,
) -> Page[StationReview]:
    conditions = []
    if rating is not None:
        conditions.append(StationReview.rating == rating)
    if status is not None:
        conditions.append(StationReview.status == status)
    if station_id is not None:
        conditions.append(StationReview.station_id == station_id)
    total = await session.scalar(select(func.count(StationReview.id)).where(*conditions)) or 0
    rows = await session.scalars(
        select(StationReview)
        .where(*conditions)
        .order_by(StationReview.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows), int(total), params)


async def recount_station(session: AsyncSession, station_id: int) -> None:
    """The station's ``rating`` and ``totalReviews`` from its approved reviews, in one
    UPDATE with the aggregate (two moderations racing both end on the true figures)."""
    approved = (
        StationReview.station_id == station_id,
        StationReview.status == ReviewStatus.APPROVED,
    )
    count = select(func.count(StationReview.id)).where(*approved)
    mean = select(func.coalesce(func.avg(cast(StationReview.rating, Float)), 0.0)).where(*approved)
    await session.execute(
        update(Station)
        .where(Station.id == station_id)
        .values(rating=mean.scalar_subquery(), total_reviews=count.scalar_subquery())
        .execution_options(synchronize_session=False)
    )
