"""A fleet's maintenance: which workshops it may use, and its maintenance requests.

A request is a RevCare service booking made for the fleet (``booking_id``): its status is
the booking's, read from the booking, never copied here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class SelectionMode(StrEnum):
    # Only the workshops in the fleet's allowed list (its contracted partners).
    ALLOWED_ONLY = "allowed_only"
    # Any active workshop EVCare lists.
    INDEPENDENT = "independent"


class FleetMaintenanceSettings(Base):
    """The fleet's selection mode; a fleet that never chose is ``independent``."""

    __tablename__ = "fleet_maintenance_settings"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    selection_mode: Mapped[str] = mapped_column(String(20), default=SelectionMode.INDEPENDENT)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FleetAllowedWorkshop(Base):
    """One workshop of the fleet's allowed list (kept in either mode; enforced in
    ``allowed_only``)."""

    __tablename__ = "fleet_allowed_workshop"

    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    workshop_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class FleetMaintenance(Timestamped, Base):
    """A maintenance request (``mnt_...``) of a fleet's vehicle, booked at a workshop."""

    __tablename__ = "fleet_maintenance"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # The booking carries the vehicle, the date, the services and the state.
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("service_booking.id", ondelete="CASCADE"), unique=True
    )
    workshop_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    # Who asked for it (a fleet manager, or the integration's service account).
    requested_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    notes: Mapped[str] = mapped_column(String(1000), default="")
