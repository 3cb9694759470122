"""Stations and their connectors (chargers are in :mod:`evcare.charging.chargers.models`).

A station belongs to an owner (a brand, franchise or admin user), and may be handed by
its brand to one of the brand's franchises. A charger is one OCPP
charge point at a station, identified on the wire by ``charge_point_id``. A connector
belongs to a station and, when it is a charge point's outlet, to that charger too (OCPP
connector number ``1..N`` per charger). Prices are integer minor units plus a currency.
"""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship, validates

from evcare.charging.franchises.models import FranchiseStation
from evcare.core.db import Base, Timestamped

if TYPE_CHECKING:
    from evcare.charging.chargers.models import Charger

LAT_BAND_DEGREES = 0.05  # about 5.6 km of latitude


def lat_band_of(latitude: float) -> int:
    """The latitude band a point falls in (the nearby index's leading column)."""
    return math.floor(latitude / LAT_BAND_DEGREES)


class StationStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    MAINTENANCE = "maintenance"


class ConnectorType(StrEnum):
    TYPE2 = "Type2"
    CCS = "CCS"
    CHADEMO = "CHAdeMO"
    GBT = "GB-T"
    TYPE1 = "Type1"


class ConnectorStatus(StrEnum):
    """What the charger last reported (OCPP 1.6 ChargePointStatus, 2.0.1 ``Occupied``)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EV = "SuspendedEV"
    SUSPENDED_EVSE = "SuspendedEVSE"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    OCCUPIED = "Occupied"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


class Station(Timestamped, Base):
    __tablename__ = "station"
    # The nearby search reads only this index: for each latitude band the box touches it
    # seeks the band and scans the box's longitude range, and checks latitude and
    # visibility (status, is_verified, deleted_at, owner_id) without reading a table row.
    # Status and deleted_at get no index of their own: nearly every row is active and
    # live, and such an index would tempt SQLite's planner away from this one.
    __table_args__ = (
        Index(
            "ix_station_geo",
            "lat_band",
            "longitude",
            "latitude",
            "status",
            "is_verified",
            "deleted_at",
            "owner_id",
            "id",  # so PostgreSQL answers from the index alone (SQLite always has rowid)
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    owner_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    pincode: Mapped[str] = mapped_column(String(12), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    # floor(latitude / LAT_BAND_DEGREES), kept in step with latitude by _set_lat_band.
    lat_band: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=StationStatus.ACTIVE)
    # Drivers see verified stations only; an admin's verdict (PUT /admin/stations/:id/verify).
    is_verified: Mapped[bool] = mapped_column(default=False)
    verification_notes: Mapped[str | None] = mapped_column(Text, default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    rating: Mapped[float] = mapped_column(default=0.0)
    total_reviews: Mapped[int] = mapped_column(default=0)
    amenities: Mapped[list[str]] = mapped_column(JSON, default=list)
    opening_time: Mapped[str] = mapped_column(String(5), default="00:00")
    closing_time: Mapped[str] = mapped_column(String(5), default="23:59")
    images: Mapped[list[str]] = mapped_column(JSON, default=list)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    # The franchise the owning brand handed the station to (owner_type "franchise"): its
    # staff operate the station too (see repository.operated_stations). Read-only here;
    # the franchises service writes the hand-over.
    franchise_id: Mapped[int | None] = column_property(
        select(FranchiseStation.franchise_id)
        .where(FranchiseStation.station_id == id)
        .correlate_except(FranchiseStation)
        .scalar_subquery()
    )

    connectors: Mapped[list[Connector]] = relationship(
        back_populates="station",
        lazy="raise",
        order_by="Connector.id",
        cascade="all, delete-orphan",
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @validates("latitude")
    def _set_lat_band(self, _key: str, latitude: float) -> float:
        self.lat_band = lat_band_of(latitude)
        return latitude


class Connector(Timestamped, Base):
    __tablename__ = "connector"
    __table_args__ = (
        UniqueConstraint("station_id", "connector_id"),
        UniqueConstraint("charger_id", "connector_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), index=True
    )
    charger_id: Mapped[int | None] = mapped_column(
        ForeignKey("charger.id", ondelete="CASCADE"), default=None
    )
    connector_id: Mapped[str] = mapped_column(String(20))
    connector_number: Mapped[int | None] = mapped_column(default=None)
    type: Mapped[str] = mapped_column(String(20))
    power_kw: Mapped[float]
    status: Mapped[str] = mapped_column(String(20), default=ConnectorStatus.AVAILABLE)
    error_code: Mapped[str | None] = mapped_column(String(50), default=None)
    status_at: Mapped[datetime | None] = mapped_column(default=None)
    base_price_minor: Mapped[int] = mapped_column(default=0)
    parking_fee_minor: Mapped[int] = mapped_column(default=0)
    reservation_fee_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="INR")

    station: Mapped[Station] = relationship(back_populates="connectors", lazy="raise")
    charger: Mapped[Charger | None] = relationship(back_populates="connectors", lazy="raise")
