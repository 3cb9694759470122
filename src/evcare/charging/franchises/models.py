"""Franchises of a brand, their agreement (revenue share and term) and their staff.

A franchise belongs to one brand (``brand_id``, a ``brand`` user). A station the brand
hands to the franchise keeps ``owner_id`` = the brand and gets a ``franchise_station``
row (``Station.franchise_id`` reads it): the brand still sees and operates it, and so
does the franchise's staff, who see nothing else of the brand (the scoping is
``charging.stations.repository``'s). The hand-over is a table of its own rather than a
station column so that the migration adds tables only: adding a foreign key to the
station table on SQLite means rebuilding it, and dropping the old table with foreign keys
on would cascade into its connectors and bookings.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped

# The franchise's share is kept in basis points: 37.5 % is 3750, 100 % is 10000.
FULL_SHARE_BP = 10_000


class FranchiseStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    SUSPENDED = "suspended"


class Franchise(Timestamped, Base):
    __tablename__ = "franchise"

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(500))
    contact_person: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    status: Mapped[str] = mapped_column(String(20), default=FranchiseStatus.ACTIVE)
    # The agreement: the franchise's share of its stations' net revenue, and its term.
    revenue_share_bp: Mapped[int] = mapped_column(default=0)
    agreement_start_date: Mapped[date | None] = mapped_column(default=None)
    agreement_end_date: Mapped[date | None] = mapped_column(default=None)


class FranchiseStaff(Base):
    """A user (role ``franchise``) who works for one franchise."""

    __tablename__ = "franchise_staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    franchise_id: Mapped[int] = mapped_column(
        ForeignKey("franchise.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FranchiseStation(Base):
    """A station its brand handed to the franchise (a station is with one franchise)."""

    __tablename__ = "franchise_station"

    station_id: Mapped[int] = mapped_column(
        ForeignKey("station.id", ondelete="CASCADE"), primary_key=True
    )
    franchise_id: Mapped[int] = mapped_column(
        ForeignKey("franchise.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
