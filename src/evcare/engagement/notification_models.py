"""Notifications: what each user was told, on which channel, and whether it was read."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"


class Delivery(StrEnum):
    DELIVERED = "delivered"  # in-app: stored is delivered
    PENDING = "pending"  # email being sent
    LOGGED = "logged"  # email without SMTP configured: written to the log instead
    SENT = "sent"
    FAILED = "failed"


class Notification(Base):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_category_created", "category", "created_at"),
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
