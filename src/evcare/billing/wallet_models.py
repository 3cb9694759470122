"""The wallet ledger: one wallet per user, and its append-only entries.

The balance lives on the wallet row and changes only in the same transaction as the
entry that moves it; a CHECK keeps it from going below zero whatever the code does.
An entry's money (type, amount, ``balance_after_minor``) is written once. The one state
change an entry knows is a pending top-up settling (``pending`` -> ``completed`` with its
``balance_after_minor``, or -> ``failed``), made by one conditional UPDATE, so it happens
at most once; a correction is a new entry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, Timestamped


class EntryType(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"


class EntryStatus(StrEnum):
    PENDING = "pending"  # a top-up waiting for its verified payment
    COMPLETED = "completed"
    FAILED = "failed"


class EntryKind(StrEnum):
    """What moved the money; later kinds (booking fees, refunds) join this list."""

    TOPUP = "topup"
    PAYMENT = "payment"  # POST /wallet/pay without a session
    SESSION = "session"  # a charging session paid from the wallet
    BOOKING_FEE = "booking_fee"
    REFUND = "refund"
    CORRECTION = "correction"


class Wallet(Timestamped, Base):
    __tablename__ = "wallet"
    __table_args__ = (CheckConstraint("balance_minor >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), unique=True
    )
    # 64-bit: a balance is a sum, and sums outgrow what one amount needs.
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="INR")


class WalletEntry(Base):
    __tablename__ = "wallet_entry"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("balance_after_minor >= 0", name="balance_after_not_negative"),
        CheckConstraint("type IN ('credit', 'debit')", name="type_known"),
        Index("ix_wallet_entry_wallet_id_id", "wallet_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallet.id", ondelete="RESTRICT"))
    type: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(30))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    # None while pending (no money has moved yet).
    balance_after_minor: Mapped[int | None] = mapped_column(BigInteger, default=None)
    status: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(200))
    # What the entry pays for, unique: posting the same reference twice posts it once.
    reference: Mapped[str | None] = mapped_column(String(100), unique=True, default=None)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_session.id", ondelete="SET NULL"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
