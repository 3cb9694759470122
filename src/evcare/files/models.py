"""Uploads: who sent which file, what it really is, and where it is kept."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class UploadKind(StrEnum):
    """The documented ``type`` of an upload; ``document`` is private to its owner."""

    PROFILE = "profile"
    VEHICLE = "vehicle"
    DOCUMENT = "document"
    STATION = "station"


PUBLIC_KINDS = frozenset({UploadKind.PROFILE, UploadKind.VEHICLE, UploadKind.STATION})


class Upload(Base):
    """One stored file. ``stored_name`` is random (``<32 hex>.<ext>``) and is the
    ``filename`` of its URL; the client's own file name is never kept."""

    __tablename__ = "upload"
    __table_args__ = (
        Index("ix_upload_owner_created", "owner_id", "created_at"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
