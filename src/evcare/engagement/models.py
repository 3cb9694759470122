"""Engagement tables: CMS content entries (banners, terms, offers)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class ContentEntry(Timestamped, Base):
    """A piece of CMS content addressed by a stable key (``home-banner``, ``terms``)."""

    __tablename__ = "content_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
