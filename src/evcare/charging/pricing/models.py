"""Pricing rules: a tariff (price elements, peak windows, a discount) for a scope.

The scope is a station and a connector type, a station, a connector type, or the whole
network (both empty). ``elements`` and ``peaks`` are JSON in domain units (minor units,
basis points; see :mod:`evcare.charging.pricing.tariff`); a rule is valid from
``valid_from`` (inclusive) to ``valid_to`` (exclusive, open when empty).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class PricingRule(Timestamped, Base):
    __tablename__ = "pricing_rule"
    __table_args__ = (Index("ix_pricing_rule_scope", "station_id", "connector_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), default=None
    )
    connector_type: Mapped[str | None] = mapped_column(String(20), default=None)
    elements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    peaks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    discount_bp: Mapped[int] = mapped_column(default=0)
    prices_include_gst: Mapped[bool] = mapped_column(default=True)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    is_active: Mapped[bool] = mapped_column(default=True)
    valid_from: Mapped[datetime | None] = mapped_column(default=None)
    valid_to: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
