"""Station reviews' rules: one per rated booking, moderated by admins.

A review is ``pending`` until an admin approves or rejects it (with a reason); only
approved reviews are counted in the station's ``rating`` and ``totalReviews``, which are
recomputed from them whenever a review's status changes.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.reviews import repository
from evcare.charging.reviews.models import ReviewStatus, StationReview
from evcare.core.clock import utcnow
from evcare.core.errors import NotFound
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal, require_admin


async def record_booking_review(
    session: AsyncSession,
    *,
    station_id: int,
    user_id: int,
    booking_id: int,
    rating: int,
    review: str | None,
    images: list[str],
) -> StationReview:
    """The rating a driver gave when completing a booking, waiting for moderation."""
    row = StationReview(
        station_id=station_id,
        user_id=user_id,
        booking_id=booking_id,
        rating=rating,
        review=review,
        images=list(images),
        status=ReviewStatus.PENDING,
    )
    session.add(row)
    await session.flush()
    return row


async def list_reviews(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    rating: int | None = None,
    status: str | None = None,
    station_id: int | None = None,
) -> Page[StationReview]:
    """Every station review, newest first (admins)."""
    require_admin(principal)
    return await repository.list_reviews(
        session, params, rating=rating, status=status, station_id=station_id
    )


async def moderate_review(
    session: AsyncSession,
    principal: Principal,
    *,
    review_id: int,
    status: str,
    reason: str | None,
) -> StationReview:
    """Approve or reject a review; the station's rating follows its approved reviews."""
    require_admin(principal)
    row = await repository.get(session, review_id)
    if row is None:
        raise NotFound(f"Review {review_id} not found")
    now = utcnow()
    row.status = ReviewStatus(status)
    row.moderation_reason = reason
    row.moderated_by = principal.user_id
    row.moderated_at = now
    row.updated_at = now
    await session.flush()
    await repository.recount_station(session, row.station_id)
    return row
