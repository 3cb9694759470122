"""Chargers: OCPP charge points at a station, identified on the wire by ``charge_point_id``.

A charger's outlets are connectors of its station (:mod:`evcare.charging.stations.models`)
that name it, numbered ``1..N`` per charger as OCPP does.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from evcare.charging.stations.models import Connector, Station
from evcare.core.db import Base, Timestamped


class ChargerStatus(StrEnum):
    ONLINE = "Online"
    OFFLINE = "Offline"
    FAULTED = "Faulted"
    MAINTENANCE = "Maintenance"


class Charger(Timestamped, Base):
    __tablename__ = "charger"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_point_id: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    station_id: Mapped[int] = mapped_column(
        ForeignKey("station.id", ondelete="RESTRICT"), index=True
    )
    manufacturer: Mapped[str] = mapped_column(String(100), index=True)
    model: Mapped[str] = mapped_column(String(100))
    serial_number: Mapped[str | None] = mapped_column(String(100), default=None)
    firmware_version: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20), default=ChargerStatus.OFFLINE, index=True)
    last_heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    ocpp_protocol: Mapped[str | None] = mapped_column(String(20), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    current_power_w: Mapped[int] = mapped_column(default=0)
    temperature_c: Mapped[float | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None, index=True)

    station: Mapped[Station] = relationship(lazy="raise")
    connectors: Mapped[list[Connector]] = relationship(
        back_populates="charger", lazy="raise", order_by="Connector.connector_number"
    )

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class ConnectorStatusChange(Base):
    """One connector status a charger reported (StatusNotification), from ``at`` until the
    connector's next change: the history utilization is measured from."""

    __tablename__ = "connector_status_change"
    __table_args__ = (
        # A connector's history in time order (utilization, the state at a period's start).
        Index("ix_connector_status_change_connector_at", "connector_id", "at"),
        Index("ix_connector_status_change_charger_at", "charger_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connector_id: Mapped[int] = mapped_column(ForeignKey("connector.id", ondelete="CASCADE"))
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    error_code: Mapped[str | None] = mapped_column(String(50), default=None)
    # The charger's own time of the change (its timestamp, else when we heard it).
    at: Mapped[datetime]
