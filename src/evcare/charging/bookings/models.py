"""A connector booking and its log.

A booking holds one connector of a station for ``[scheduled_at, ends_at)``. Money is in
minor units of ``currency``: the reservation fee is debited from the wallet when the
booking is made (``confirmed``), and the other cost parts are filled in at completion,
from the linked charging session when there is one.

Columns the periodic job uses: ``reminder_sent_at`` (the 15-minute reminder, set once by
a conditional UPDATE), ``reservation_status`` / ``reservation_lease_until`` (the OCPP
``ReserveNow`` a node claimed for a while, so two nodes never both send it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class BookingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# A booking may start (remotely, or by the driver plugging in) this long before its window.
START_EARLY = timedelta(minutes=15)

# Statuses that hold the connector for the booking's window.
HOLDING = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.ACTIVE)


class ReservationStatus(StrEnum):
    """Where the OCPP reservation on the charger stands."""

    ACCEPTED = "accepted"  # the charger holds the connector (ReserveNow Accepted)
    REFUSED = "refused"  # the charger answered something else (Occupied, Rejected, ...)
    CANCELLED = "cancelled"  # CancelReservation sent


class ConnectorBooking(Timestamped, Base):
    __tablename__ = "connector_booking"
    __table_args__ = (
        # The overlap check of a new booking reads this index.
        Index("ix_connector_booking_connector_window", "connector_id", "status", "scheduled_at"),
        Index("ix_connector_booking_user_created", "user_id", "created_at"),
        # The periodic job's claims (reminders, reservations, no-shows) read this one.
        Index("ix_connector_booking_status_scheduled", "status", "scheduled_at"),
        # Analytics: the reservation fees kept, by when they were paid.
        Index("ix_connector_booking_created_at", "created_at", "station_id"),
        CheckConstraint("estimated_minutes > 0", name="estimated_minutes_positive"),
        CheckConstraint("reservation_fee_minor >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_number: Mapped[str | None] = mapped_column(String(24), unique=True, default=None)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    connector_id: Mapped[int] = mapped_column(ForeignKey("connector.id", ondelete="CASCADE"))
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle.id", ondelete="SET NULL"), default=None
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_session.id", ondelete="SET NULL"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.CONFIRMED)
    scheduled_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    estimated_minutes: Mapped[int]
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    energy_wh: Mapped[int | None] = mapped_column(default=None)
    initial_soc: Mapped[int | None] = mapped_column(default=None)
    final_soc: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    reservation_fee_minor: Mapped[int] = mapped_column(default=0)
    energy_cost_minor: Mapped[int] = mapped_column(default=0)
    parking_fee_minor: Mapped[int] = mapped_column(default=0)
    platform_fee_minor: Mapped[int] = mapped_column(default=0)
    discount_minor: Mapped[int] = mapped_column(default=0)
    gst_minor: Mapped[int] = mapped_column(default=0)
    fee_refunded: Mapped[bool] = mapped_column(default=False)
    rating_score: Mapped[int | None] = mapped_column(default=None)
    rating_review: Mapped[str | None] = mapped_column(Text, default=None)
    rating_images: Mapped[list[str] | None] = mapped_column(JSON, default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)
    cancellation_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    no_show: Mapped[bool] = mapped_column(default=False)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    reservation_status: Mapped[str | None] = mapped_column(String(20), default=None)
    reservation_lease_until: Mapped[datetime | None] = mapped_column(default=None)


class BookingLog(Base):
    """One thing that happened to a booking (the Booking object's ``logs``)."""

    __tablename__ = "connector_booking_log"
    __table_args__ = (Index("ix_connector_booking_log_booking", "booking_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("connector_booking.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(default=utcnow)
