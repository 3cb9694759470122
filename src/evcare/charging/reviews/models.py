"""A driver's review of a station, from a completed connector booking's rating.

A review waits for moderation (``pending``); only ``approved`` reviews count in the
station's ``rating`` and ``totalReviews``, which are recomputed from them on every
moderation (one UPDATE with the aggregate, so they never drift).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class StationReview(Timestamped, Base):
    __tablename__ = "station_review"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # A station's approved average (station_id, status) reads the index alone.
        Index("ix_station_review_station_status", "station_id", "status", "rating"),
        Index("ix_station_review_rating", "rating", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    # The booking whose completion carried the rating: one review per booking.
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("connector_booking.id", ondelete="CASCADE"), unique=True, default=None
    )
    rating: Mapped[int]
    review: Mapped[str | None] = mapped_column(Text, default=None)
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PENDING)
    moderation_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    moderated_at: Mapped[datetime | None] = mapped_column(default=None)
