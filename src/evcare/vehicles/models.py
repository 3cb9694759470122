"""Customers' vehicles and the reference data (manufacturers, models, classes, fuels).

One ``vehicle`` table serves every surface: a car added through RevCare ``/car/`` is
the same row EV-CMS lists under ``/profile/vehicles``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evcare.core.db import Base, Timestamped
from evcare.core.names import NameKeyed

# kWh with two decimals: 0.01 .. 9999.99 (inputs are bounded far below).
BATTERY_KWH = Numeric(6, 2)


class FuelType(NameKeyed, Base):
    __tablename__ = "fuel_type"
    __table_args__ = (Index("uq_fuel_type_name_key", "name_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class VehicleClass(NameKeyed, Base):
    __tablename__ = "vehicle_class"
    __table_args__ = (Index("uq_vehicle_class_name_key", "name_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class VehicleManufacturer(NameKeyed, Base):
    __tablename__ = "vehicle_manufacturer"
    __table_args__ = (Index("uq_vehicle_manufacturer_name_key", "name_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    country: Mapped[str | None] = mapped_column(String(60), default=None)


class VehicleModel(NameKeyed, Base):
    __tablename__ = "vehicle_model"
    __table_args__ = (
        UniqueConstraint("manufacturer_id", "name"),
        Index(
            "uq_vehicle_model_manufacturer_id_name_key", "manufacturer_id", "name_key", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(
        ForeignKey("vehicle_manufacturer.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(80))
    vehicle_class_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle_class.id", ondelete="RESTRICT"), index=True, default=None
    )
    fuel_type_id: Mapped[int] = mapped_column(
        ForeignKey("fuel_type.id", ondelete="RESTRICT"), index=True
    )
    battery_capacity_kwh: Mapped[Decimal | None] = mapped_column(BATTERY_KWH, default=None)

    manufacturer: Mapped[VehicleManufacturer] = relationship(lazy="raise")
    vehicle_class: Mapped[VehicleClass | None] = relationship(lazy="raise")
    fuel_type: Mapped[FuelType] = relationship(lazy="raise")


class Vehicle(Timestamped, Base):
    __tablename__ = "vehicle"
    __table_args__ = (
        # At most one default per owner, enforced by the database as well as the service.
        Index(
            "uq_vehicle_default_per_owner",
            "owner_id",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
        # A customer's vehicle has an owner; a fleet's may have only its organization
        # (an integration creating it has no user). docs/developer-hub/fleet.md.
        CheckConstraint(
            "owner_id IS NOT NULL OR organization_id IS NOT NULL", name="owner_or_organization"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    make: Mapped[str] = mapped_column(String(60))
    model: Mapped[str] = mapped_column(String(80))
    year: Mapped[int]
    battery_capacity_kwh: Mapped[Decimal | None] = mapped_column(BATTERY_KWH, default=None)
    # Normalised: upper-case, no spaces or dashes ("MH 12 AB-1234" -> "MH12AB1234").
    registration_number: Mapped[str] = mapped_column(String(20), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    vehicle_model_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle_model.id", ondelete="RESTRICT"), index=True, default=None
    )
    vehicle_class_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle_class.id", ondelete="RESTRICT"), index=True, default=None
    )
    fuel_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("fuel_type.id", ondelete="RESTRICT"), index=True, default=None
    )
    vin: Mapped[str | None] = mapped_column(String(17), default=None)
    color: Mapped[str | None] = mapped_column(String(30), default=None)
    # A fleet's vehicle (developer hub ``/v1/fleet/vehicles``): the organization owns it;
    # the same row charges on EV-CMS and is serviced through RevCare (one history).
    organization_id: Mapped[str | None] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True, default=None
    )

    vehicle_class: Mapped[VehicleClass | None] = relationship(lazy="raise")
    fuel_type: Mapped[FuelType | None] = relationship(lazy="raise")
