"""Billing tables: the GST rate history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class GstRate(Base):
    """One GST rate change; the newest row is the rate in force. Never updated or deleted.

    Stored in basis points (18.25 % = 1825) so no float or database decimal is involved.
    """

    __tablename__ = "gst_rate"
    __table_args__ = (
        CheckConstraint("basis_points BETWEEN 0 AND 10000", name="basis_points_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    basis_points: Mapped[int]
    effective_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    set_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
