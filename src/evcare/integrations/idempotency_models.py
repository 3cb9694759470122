"""Idempotency keys: one row per (user, key) with the first request's outcome."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class IdempotencyKey(Base):
    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    # sha256 of method, path and the canonical body: the same key with another request
    # is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # running | completed
    status: Mapped[str] = mapped_column(String(10))
    claim_token: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)
    # A running request holds the key until then; past it a retry may take over (the
    # first request's transaction cannot have committed: its outcome commits with it).
    locked_until: Mapped[datetime]
    response_status: Mapped[int | None] = mapped_column(default=None)
    response_type: Mapped[str | None] = mapped_column(String(100), default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
