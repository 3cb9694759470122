"""Service bookings: the booking, its service items, the mechanic's analysis, per-item
progress reports, and the timeline of every status change."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class BookingStatus(StrEnum):
    CREATED = "created"
    MECHANIC_ASSIGNED = "mechanic_assigned"
    ANALYSIS_SUBMITTED = "analysis_submitted"
    ANALYSIS_APPROVED = "analysis_approved"
    SERVICES_CONFIRMED = "services_confirmed"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    PAID = "paid"
    CANCELLED = "cancelled"


class PickupType(StrEnum):
    DOORSTEP = "doorstep"
    DROP_OFF = "drop_off"


class PaymentMode(StrEnum):
    COD = "cod"
    ONLINE = "online"


class ItemDecision(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ServiceBooking(Timestamped, Base):
    __tablename__ = "service_booking"
    __table_args__ = (
        Index("ix_service_booking_slot_date", "timeslot_id", "service_date", "status"),
        CheckConstraint("cancellation_fee_minor >= 0", name="fee_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The workshop doing the work: the one that offers the booked services.
    workshop_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle.id", ondelete="SET NULL"), default=None, index=True
    )
    timeslot_id: Mapped[int] = mapped_column(ForeignKey("timeslot.id", ondelete="RESTRICT"))
    service_date: Mapped[date] = mapped_column(Date())
    pickup_type: Mapped[str] = mapped_column(String(20))
    address_id: Mapped[int | None] = mapped_column(
        ForeignKey("address.id", ondelete="SET NULL"), default=None
    )
    notes: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(30), index=True, default=BookingStatus.CREATED)
    mechanic_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    payment_mode: Mapped[str | None] = mapped_column(String(10), default=None)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    # GST fixed when the customer confirms; until then the rate in force applies.
    gst_basis_points: Mapped[int | None] = mapped_column(default=None)
    # Gross (GST included); the GST part on its own beside it.
    cancellation_fee_minor: Mapped[int] = mapped_column(default=0)
    cancellation_fee_gst_minor: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)


class BookingItem(Base):
    """One service on a booking: catalogue price at booking, then the mechanic's estimate."""

    __tablename__ = "service_booking_item"
    __table_args__ = (
        UniqueConstraint("booking_id", "service_id"),
        CheckConstraint("quantity BETWEEN 1 AND 100", name="quantity_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="RESTRICT"))
    service_name: Mapped[str] = mapped_column(String(150))
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_minor: Mapped[int]
    estimated_cost_minor: Mapped[int | None] = mapped_column(default=None)
    estimated_minutes: Mapped[int | None] = mapped_column(default=None)
    analysis_note: Mapped[str] = mapped_column(String(1000), default="")
    decision: Mapped[str] = mapped_column(String(20), default=ItemDecision.PENDING)
    # The latest status an admin validated for this item.
    work_status_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_status.id", ondelete="RESTRICT"), default=None
    )


class BookingAnalysis(Base):
    """The mechanic's inspection report; the estimates themselves sit on the items."""

    __tablename__ = "service_booking_analysis"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking.id", ondelete="CASCADE"), primary_key=True
    )
    mechanic_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    summary: Mapped[str] = mapped_column(String(2000), default="")
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    approved_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    approved_at: Mapped[datetime | None] = mapped_column(default=None)


class BookingProgress(Base):
    """A mechanic's report on one item; it counts once an admin validated it."""

    __tablename__ = "service_booking_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking_item.id", ondelete="CASCADE"), index=True
    )
    work_status_id: Mapped[int] = mapped_column(ForeignKey("work_status.id", ondelete="RESTRICT"))
    notes: Mapped[str] = mapped_column(String(1000), default="")
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    edited_at: Mapped[datetime | None] = mapped_column(default=None)
    validated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    validated_at: Mapped[datetime | None] = mapped_column(default=None)


class BookingEvent(Base):
    """The timeline: one row per status change (and per notable step within a status)."""

    __tablename__ = "service_booking_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(30), default=None)
    to_status: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
