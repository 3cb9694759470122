"""Workshop tables: the service catalogue, mechanics, reviews, cart, favourites,
addresses, serviceable areas, timeslots and the work-status master."""

from __future__ import annotations

from datetime import datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped
from evcare.core.names import NameKeyed, name_key


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    HIDDEN = "hidden"


class ServiceCategory(NameKeyed, Timestamped, Base):
    __tablename__ = "service_category"
    __table_args__ = (Index("uq_service_category_name_key", "name_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    is_active: Mapped[bool] = mapped_column(default=True)


class Service(Timestamped, Base):
    """One bookable workshop job; the price is in minor units of ``currency``."""

    __tablename__ = "service"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The workshop (organization of kind ``workshop``) that offers it; RevCare's own
    # catalogue is the default workshop's (``evcare.service.workshops``).
    workshop_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    # A category with services cannot be deleted (the service layer says 409 first).
    category_id: Mapped[int] = mapped_column(
        ForeignKey("service_category.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(150))
    description: Mapped[str] = mapped_column(String(2000), default="")
    price_minor: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    duration_minutes: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True, index=True)
    # name_key(name) + "\n" + name_key(description): what ``search`` is matched against
    # (a key never holds a newline, so a search cannot match across the two).
    search_key: Mapped[str] = mapped_column(Text, default="")

    @validates("name", "description")
    def _keep_search_key(self, field: str, value: str) -> str:
        name = value if field == "name" else self.name or ""
        description = value if field == "description" else self.description or ""
        self.search_key = f"{name_key(name)}\n{name_key(description)}"
        return value


class ServiceReview(Timestamped, Base):
    """A customer's rating of a service they had done; shown publicly once approved."""

    __tablename__ = "service_review"
    __table_args__ = (
        UniqueConstraint("service_id", "user_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        # Covers a page's rating averages (service_id IN .., status) and per-service lists.
        Index("ix_service_review_service_status", "service_id", "status", "rating"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(20), default=ReviewStatus.PENDING)
    moderated_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    moderated_at: Mapped[datetime | None] = mapped_column(default=None)
    moderation_note: Mapped[str | None] = mapped_column(String(500), default=None)


class CartItem(Base):
    __tablename__ = "cart_item"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class FavouriteService(Base):
    __tablename__ = "favourite_service"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    service_id: Mapped[int] = mapped_column(
        ForeignKey("service.id", ondelete="CASCADE"), primary_key=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class MechanicAssignmentType(NameKeyed, Timestamped, Base):
    """How a mechanic takes work: doorstep, in-workshop, roadside, ..."""

    __tablename__ = "mechanic_assignment_type"
    __table_args__ = (Index("uq_mechanic_assignment_type_name_key", "name_key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(String(300), default="")


class MechanicProfile(Timestamped, Base):
    """The workshop side of a ``mechanic`` user: skills, assignment type, availability."""

    __tablename__ = "mechanic_profile"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # The workshop the mechanic works for; they are assigned only its bookings.
    workshop_id: Mapped[str] = mapped_column(
        ForeignKey("organization.id", ondelete="RESTRICT"), index=True
    )
    assignment_type_id: Mapped[int | None] = mapped_column(
        ForeignKey("mechanic_assignment_type.id", ondelete="SET NULL"), default=None, index=True
    )
    skills: Mapped[list[Any]] = mapped_column(JSON, default=list)
    experience_years: Mapped[int] = mapped_column(default=0)
    is_available: Mapped[bool] = mapped_column(default=True)


class ServiceArea(Timestamped, Base):
    """A serviceable postal code; addresses there can get doorstep service."""

    __tablename__ = "service_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    city: Mapped[str] = mapped_column(String(100))
    pincode: Mapped[str] = mapped_column(String(10), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Address(Timestamped, Base):
    """A customer's address; serviceable when an active area covers its pincode."""

    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(50), default="home")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    landmark: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(100))
    pincode: Mapped[str] = mapped_column(String(10), index=True)
    is_default: Mapped[bool] = mapped_column(default=False)


class Timeslot(Timestamped, Base):
    """A daily service window (UTC wall time) with room for ``capacity`` bookings."""

    __tablename__ = "timeslot"
    __table_args__ = (
        UniqueConstraint("start_time", "end_time"),
        CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    start_time: Mapped[time] = mapped_column(Time())
    end_time: Mapped[time] = mapped_column(Time())
    capacity: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)


class WorkStatus(Base):
    """The ``/utils/status`` master: the steps a mechanic reports on a service item."""

    __tablename__ = "work_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(default=0)
    is_final: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
