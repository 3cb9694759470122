"""Maintenance records: work on one charger, from scheduled to completed (or cancelled)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evcare.charging.chargers.models import Charger
from evcare.core.db import Base, Timestamped


class MaintenanceType(StrEnum):
    PREVENTIVE = "preventive"
    CORRECTIVE = "corrective"
    EMERGENCY = "emergency"


class MaintenanceStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


OPEN = (MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS)


class MaintenanceRecord(Timestamped, Base):
    __tablename__ = "maintenance_record"
    __table_args__ = (Index("ix_maintenance_record_charger_status", "charger_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(String(20), default=MaintenanceStatus.SCHEDULED, index=True)
    priority: Mapped[str] = mapped_column(String(20), default=Priority.MEDIUM)
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    assigned_to: Mapped[str | None] = mapped_column(String(200), default=None)
    notes: Mapped[str | None] = mapped_column(Text, default=None)
    parts_replaced: Mapped[list[str]] = mapped_column(JSON, default=list)
    cost_minor: Mapped[int | None] = mapped_column(default=None)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    # Opened by the charger's own Faulted report (at most one open per charger).
    opened_by_fault: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )

    charger: Mapped[Charger] = relationship(lazy="raise")
