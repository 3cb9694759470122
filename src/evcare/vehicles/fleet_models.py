"""A fleet's side of the one vehicle table: who may drive its vehicles, what the platform
knows of their odometer, their service plans, and the maintenance-due points raised.

A fleet vehicle is a ``vehicle`` row whose ``organization_id`` is the fleet's
organization (its ``owner_id`` may be empty: an integration has no user). Charging reads
these tables (an assigned driver may charge the vehicle; the organization may pay), so
they live in the vehicles context, below charging; the fleet rules are in
:mod:`evcare.fleet`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base


class ChargingPaidBy(StrEnum):
    DRIVER = "driver"
    ORGANIZATION = "organization"


class VehicleDriver(Base):
    """A driver (a user who is a DRIVER of the organization) assigned to a fleet vehicle."""

    __tablename__ = "vehicle_driver"

    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OdometerReading(Base):
    """An odometer value somebody told the platform (the fleet, on create or update)."""

    __tablename__ = "odometer_reading"
    __table_args__ = (CheckConstraint("km >= 0", name="km_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle.id", ondelete="CASCADE"), index=True
    )
    km: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class FleetSettings(Base):
    """An organization's fleet rules: who pays its vehicles' charging, its service plan."""

    __tablename__ = "fleet_settings"
    __table_args__ = (
        CheckConstraint("charging_paid_by IN ('driver', 'organization')", name="paid_by_known"),
        CheckConstraint(
            "charging_paid_by = 'driver' OR payer_user_id IS NOT NULL", name="payer_when_paying"
        ),
    )

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    charging_paid_by: Mapped[str] = mapped_column(String(20), default=ChargingPaidBy.DRIVER)
    # Wallets are a user's: the fleet's wallet is the wallet of this manager's account.
    payer_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True, default=None
    )
    service_every_km: Mapped[int | None] = mapped_column(default=None)
    service_every_months: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VehicleServicePlan(Base):
    """One vehicle's own service plan; it replaces the fleet's for that vehicle."""

    __tablename__ = "vehicle_service_plan"

    vehicle_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle.id", ondelete="CASCADE"), primary_key=True
    )
    every_km: Mapped[int | None] = mapped_column(default=None)
    every_months: Mapped[int | None] = mapped_column(default=None)


class MaintenanceDue(Base):
    """A due point raised for a vehicle (``km:20000``, ``date:2027-06-01``): once each."""

    __tablename__ = "maintenance_due"
    __table_args__ = (UniqueConstraint("vehicle_id", "due_point"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id", ondelete="CASCADE"))
    due_point: Mapped[str] = mapped_column(String(40))
    estimated_km: Mapped[int]
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
