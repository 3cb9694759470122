"""Charging sessions, their meter readings, and the id tags that identify drivers.

A session is made from the charger's own messages (StartTransaction/StopTransaction on
OCPP 1.6, TransactionEvent on 2.0.1): its times are the charger's clock, its energy the
charger's meter (Wh). Cost is fixed when the session stops, from the price captured when
it started, so a later price change never rewrites a bill.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class SessionStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    FAILED = "failed"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"


class IdTagStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


class IdTag(Timestamped, Base):
    """A driver's charging card (RFID): what ``Authorize``/``idTag``/``idToken`` carry.

    As OCPP's IdTagInfo (and SteVe's ``ocpp_tag``) model it: ``expires_at`` (an expired
    card answers ``Expired``), ``parent_id`` (the group a charger may stop a transaction
    with: its ``parentIdTag`` / ``groupIdToken``), ``max_active_sessions`` (a card with
    that many sessions running answers ``ConcurrentTx``; None: no limit). Expired is a
    time, not a status: ``status`` is what a person decided (``active``/``blocked``)."""

    __tablename__ = "id_tag"
    __table_args__ = (
        CheckConstraint(
            "max_active_sessions IS NULL OR max_active_sessions > 0",
            name="max_active_sessions_positive",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(36), unique=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="app")
    status: Mapped[str] = mapped_column(String(20), default=IdTagStatus.ACTIVE)
    label: Mapped[str | None] = mapped_column(String(100), default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("id_tag.id", ondelete="SET NULL"), index=True, default=None
    )
    max_active_sessions: Mapped[int | None] = mapped_column(default=None)
    blocked_at: Mapped[datetime | None] = mapped_column(default=None)


class ChargingSession(Timestamped, Base):
    __tablename__ = "charging_session"
    __table_args__ = (
        # A charger's transaction id names one session: a replayed Start finds it again.
        UniqueConstraint("charger_id", "transaction_id"),
        Index("ix_charging_session_charger_status", "charger_id", "status"),
        Index("ix_charging_session_user_started", "user_id", "started_at"),
        # A card's running sessions (its concurrent-session limit) read this one.
        Index("ix_charging_session_id_tag_status", "id_tag", "status"),
        # Analytics (docs/analytics.md): revenue by the end of billed sessions, read from
        # the index alone; counts and outcomes by their start.
        Index(
            "ix_charging_session_ended_at",
            "ended_at",
            "status",
            "currency",
            "charger_id",
            "cost_minor",
            "energy_wh",
        ),
        Index("ix_charging_session_started_at", "started_at", "status", "charger_id"),
        # At most one active session per connector: a stale one is closed before a new
        # transaction on its connector is recorded (docs/ocpp.md "Chargers that vanish").
        Index(
            "uq_charging_session_active_connector",
            "charger_id",
            "connector_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    charger_id: Mapped[int] = mapped_column(ForeignKey("charger.id", ondelete="RESTRICT"))
    connector_id: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    vehicle_id: Mapped[int | None] = mapped_column(
        ForeignKey("vehicle.id", ondelete="SET NULL"), index=True, default=None
    )
    ocpp_version: Mapped[str] = mapped_column(String(10))
    # 1.6: the integer we handed out (stored as text); 2.0.1: the charger's transactionId.
    transaction_id: Mapped[str | None] = mapped_column(String(36), default=None)
    remote_start_id: Mapped[int | None] = mapped_column(default=None)
    id_tag: Mapped[str | None] = mapped_column(String(36), default=None)
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.ACTIVE)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None] = mapped_column(default=None)
    meter_start_wh: Mapped[int] = mapped_column(default=0)
    meter_stop_wh: Mapped[int | None] = mapped_column(default=None)
    last_meter_wh: Mapped[int | None] = mapped_column(default=None)
    last_power_w: Mapped[int | None] = mapped_column(default=None)
    last_soc: Mapped[int | None] = mapped_column(default=None)
    energy_wh: Mapped[int | None] = mapped_column(default=None)
    # Price snapshot taken at start: minor units per kWh, plus flat fees, in ``currency``.
    energy_rate_minor: Mapped[int] = mapped_column(default=0)
    parking_fee_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    # The tariff in force at start, fees included (evcare.charging.pricing.snapshot): it
    # prices the live estimate, the stop and the CDR alike. None: energy_rate_minor only.
    tariff: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    energy_cost_minor: Mapped[int | None] = mapped_column(default=None)
    gst_minor: Mapped[int | None] = mapped_column(default=None)
    cost_minor: Mapped[int | None] = mapped_column(default=None)
    payment_status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.PENDING)
    stop_reason: Mapped[str | None] = mapped_column(String(100), default=None)
    # Set while the charger has been offline longer than EVCARE_OCPP_OFFLINE_GRACE_SECONDS:
    # the session may have ended unheard; cleared when the charger reports it again.
    interrupted_at: Mapped[datetime | None] = mapped_column(default=None)
    # Closed by EVCare, not by the charger (billed on the last meter reading): a late
    # StopTransaction / TransactionEvent Ended still replaces the estimate.
    stop_estimated: Mapped[bool] = mapped_column(default=False)


class MeterValue(Base):
    """One sample the charger reported for a session (sampled or at start/stop)."""

    __tablename__ = "meter_value"
    __table_args__ = (Index("ix_meter_value_session_measured", "session_id", "measured_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("charging_session.id", ondelete="CASCADE"))
    measured_at: Mapped[datetime]
    context: Mapped[str | None] = mapped_column(String(30), default=None)
    energy_wh: Mapped[int | None] = mapped_column(default=None)
    power_w: Mapped[int | None] = mapped_column(default=None)
    current_a: Mapped[float | None] = mapped_column(default=None)
    voltage_v: Mapped[float | None] = mapped_column(default=None)
    soc: Mapped[int | None] = mapped_column(default=None)
