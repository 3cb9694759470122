"""Support tickets and their comments.

A ticket belongs to its ``owner`` (the person it is for); every read goes through
:func:`evcare.support.repository.readable`, where the developer hub's fleet and client
scopes are added too (:class:`evcare.support.repository.Reach`), in one place.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class TicketStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in-progress"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketPriority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class TicketCategory(StrEnum):
    TECHNICAL = "technical"
    BILLING = "billing"
    GENERAL = "general"
    COMPLAINT = "complaint"


class AuthorType(StrEnum):
    USER = "user"
    SUPPORT = "support"


class Ticket(Timestamped, Base):
    __tablename__ = "support_ticket"
    __table_args__ = (
        Index("ix_support_ticket_owner_created", "owner_id", "created_at"),
        Index("ix_support_ticket_status_priority", "status", "priority"),
        CheckConstraint(
            "rating_score IS NULL OR (rating_score >= 1 AND rating_score <= 5)",
            name="rating_in_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[str | None] = mapped_column(String(24), unique=True, default=None)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(20))
    priority: Mapped[str] = mapped_column(String(10), default=TicketPriority.MEDIUM)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN)
    assigned_to: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None, index=True
    )
    # The first comment by support staff: the first response the SLA measures.
    first_response_at: Mapped[datetime | None] = mapped_column(default=None)
    # Seconds from creation to that reply, kept so the average is one portable AVG().
    first_response_seconds: Mapped[int | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    rating_score: Mapped[int | None] = mapped_column(default=None)
    rating_feedback: Mapped[str | None] = mapped_column(String(2000), default=None)
    rated_at: Mapped[datetime | None] = mapped_column(default=None)


class TicketComment(Base):
    __tablename__ = "support_ticket_comment"
    __table_args__ = (Index("ix_support_ticket_comment_ticket", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("support_ticket.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    author_type: Mapped[str] = mapped_column(String(10))
    comment: Mapped[str] = mapped_column(Text)
    # Upload URL paths (/uploads/<type>/<filename>) the author owned when commenting.
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
