"""Plans, an integration's subscription to one, and its metered calls per endpoint per day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class Plan(Timestamped, Base):
    """What an integration pays each month: a fee, calls included, and the overage price
    per started 1,000 calls beyond them (amounts in the currency's minor unit)."""

    __tablename__ = "integration_plan"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    monthly_fee_minor: Mapped[int]
    included_calls: Mapped[int]
    overage_per_1000_minor: Mapped[int]
    # A retired plan is not offered any more; subscriptions to it keep working.
    active: Mapped[bool] = mapped_column(default=True)


class Subscription(Timestamped, Base):
    """The plan an integration is on now (one per integration)."""

    __tablename__ = "integration_subscription"

    integration_id: Mapped[str] = mapped_column(
        ForeignKey("integration.id", ondelete="CASCADE"), primary_key=True
    )
    plan_id: Mapped[str] = mapped_column(ForeignKey("integration_plan.id", ondelete="RESTRICT"))
    started_at: Mapped[datetime]


class UsageCount(Base):
    """Calls made with an integration's tokens to one endpoint on one UTC day, added to in
    batches by the usage meter (never written by the call itself)."""

    __tablename__ = "integration_usage"
    __table_args__ = (UniqueConstraint("integration_id", "day", "endpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[str] = mapped_column(ForeignKey("integration.id", ondelete="CASCADE"))
    day: Mapped[date]
    # "METHOD /path/template", as the allowlist names it.
    endpoint: Mapped[str] = mapped_column(String(300))
    calls: Mapped[int]
