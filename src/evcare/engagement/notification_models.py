"""Notifications: what each user was told, on which channel, and whether it was read;
each delivery attempt of an outside channel; each user's channel preferences; and admin
broadcasts (system alerts, bulk notifications) fanned out in batches."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


class Delivery(StrEnum):
    DELIVERED = "delivered"  # in-app: stored is delivered
    PENDING = "pending"  # email or SMS being sent
    LOGGED = "logged"  # email without SMTP configured: written to the log instead
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_category_created", "category", "created_at"),
        # A user's inbox (their in-app records), newest first.
        Index("ix_notification_user_channel_created", "user_id", "channel", "created_at"),
        # One record per channel per event: a redelivered event writes nothing twice.
        UniqueConstraint("source_event_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(1000))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(20), default=Channel.IN_APP)
    delivery_status: Mapped[str] = mapped_column(String(20), default=Delivery.DELIVERED)
    is_read: Mapped[bool] = mapped_column(default=False)
    # The outbox event that caused it.
    source_event_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryAttempt(Base):
    """One try at sending an email or SMS notification: its outcome and, on failure, the
    kind of error (never the address, number or text)."""

    __tablename__ = "notification_attempt"
    __table_args__ = (UniqueConstraint("notification_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint, whose first column it is.
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id", ondelete="CASCADE"))
    number: Mapped[int]  # 1, 2, ... per notification
    outcome: Mapped[str] = mapped_column(String(20))  # sent | failed
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    # The provider's id of what it accepted (a Twilio message SID), when it gave one.
    provider_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(Timestamped, Base):
    """Which notifications a user wants on which channel (EV-CMS's preferences object).
    A user without a row has the defaults (the column defaults)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email_booking_confirmation: Mapped[bool] = mapped_column(default=True)
    email_session_complete: Mapped[bool] = mapped_column(default=True)
    email_payment_receipt: Mapped[bool] = mapped_column(default=True)
    email_promotions: Mapped[bool] = mapped_column(default=False)
    push_booking_reminder: Mapped[bool] = mapped_column(default=True)
    push_session_start: Mapped[bool] = mapped_column(default=True)
    push_low_balance: Mapped[bool] = mapped_column(default=True)
    # Text messages cost money and reach a phone: off until the user asks.
    sms_booking_confirmation: Mapped[bool] = mapped_column(default=False)
    sms_payment_confirmation: Mapped[bool] = mapped_column(default=False)
    in_app_all: Mapped[bool] = mapped_column(default=True)


class BroadcastStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"


class Broadcast(Base):
    """An admin's system alert or bulk notification, written to its recipients in
    batches: ``cursor`` is the last recipient id written, moved in the same transaction
    as the batch, so a retried batch continues where the last committed one ended."""

    __tablename__ = "notification_broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(String(1000))
    # The chosen recipients' ids (sorted, unique); None means every active user.
    target_user_ids: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    recipient_count: Mapped[int] = mapped_column(default=0)
    written_count: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20), default=BroadcastStatus.QUEUED)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
