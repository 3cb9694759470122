"""Refund requests against a wallet entry or an online payment, and an admin's decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class RefundStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RefundMethod(StrEnum):
    WALLET = "wallet"  # credited back to the wallet (a wallet payment)
    PROVIDER = "provider"  # returned through the payment provider (an online payment)


class Refund(Timestamped, Base):
    """A user's request to get (part of) a transaction back, and an admin's decision.

    Against exactly one of: a wallet debit entry, a wallet top-up entry (refunded through
    its online payment and debited from the wallet), or an online payment."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("(entry_id IS NULL) <> (payment_id IS NULL)", name="one_transaction"),
        CheckConstraint("status IN ('pending', 'approved', 'rejected')", name="status_known"),
        Index("ix_refund_user_id_id", "user_id", "id"),
        Index("ix_refund_processed_at", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("wallet_entry.id", ondelete="RESTRICT"), index=True, default=None
    )
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment.id", ondelete="RESTRICT"), index=True, default=None
    )
    method: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default=RefundStatus.PENDING)
    admin_notes: Mapped[str | None] = mapped_column(String(1000), default=None)
    processed_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_refund_id: Mapped[str | None] = mapped_column(String(64), default=None)
