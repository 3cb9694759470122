"""Webhook endpoints, their deliveries (one per event and endpoint) and every attempt."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEndpoint(Timestamped, Base):
    """A partner's receiving URL (``wh_...``) and the event types it hears.

    Its signing secrets are kept encrypted (``webhooks.secrets``): they must be read to
    sign, so a hash would not do. After a rotation the previous one signs too, until
    ``previous_secret_expires_at``."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default=EndpointStatus.ENABLED)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    previous_secret_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # When its current run of failed attempts began (None: its last attempt succeeded).
    failing_since: Mapped[datetime | None] = mapped_column(default=None)


class WebhookDelivery(Base):
    """One event for one endpoint (``msg_...``, the ``webhook-id`` the partner sees)."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        # The claim walks pending deliveries oldest first and stops at its limit.
        Index("ix_webhook_delivery_due", "status", "created_at"),
        Index("ix_webhook_delivery_resource", "endpoint_id", "resource_key", "status"),
    )

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True
    )
    # The outbox event it announces (None for a test ping).
    event_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # What it is about (``session:SES000012``): a resource's deliveries go out in order.
    resource_key: Mapped[str | None] = mapped_column(String(120), default=None)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempt_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    # A runner holds it until then (its attempt in flight); another may take it after.
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    claim_token: Mapped[uuid.UUID | None] = mapped_column(default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    succeeded_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(Base):
    """One HTTP POST of a delivery: when, what came back, how long it took."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None] = mapped_column(default=None)
    latency_ms: Mapped[int]
    # At most 1 KiB of the response body (read no further).
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
