"""The payments ledger: one row per payment attempt, and the provider webhooks seen."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class PaymentMethod(StrEnum):
    ONLINE = "online"
    COD = "cod"


class PaymentStatus(StrEnum):
    CREATED = "created"  # an online order exists; the customer has not paid yet
    RESERVED = "reserved"  # cash on delivery promised
    CAPTURED = "captured"  # money received (signature verified, or cash collected)
    CANCELLED = "cancelled"  # superseded or the booking was cancelled


class Payment(Timestamped, Base):
    """Money owed for something (a service booking today): ``reference_type`` + id names it."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        Index("ix_payment_reference", "reference_type", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_type: Mapped[str] = mapped_column(String(40))
    reference_id: Mapped[int]
    payer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    provider: Mapped[str] = mapped_column(String(20))  # razorpay | sandbox | cash
    method: Mapped[str] = mapped_column(String(10))
    provider_order_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    provider_payment_id: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    amount_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    status: Mapped[str] = mapped_column(String(20), index=True)
    collected_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    captured_at: Mapped[datetime | None] = mapped_column(default=None)


class PaymentWebhookEvent(Base):
    """A provider webhook delivery, kept so a replayed event id changes nothing."""

    __tablename__ = "payment_webhook_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(100))
    event_type: Mapped[str] = mapped_column(String(60))
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="SET NULL"), default=None
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
