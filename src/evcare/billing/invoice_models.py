"""Invoices (EV-CMS section 8): numbered per year without gaps, with their items.

An invoice's money is written once: items, ``subtotal_minor``, ``tax_minor`` and
``total_minor`` (``subtotal + tax = total``, items add up to the subtotal). A charging
session's invoice also keeps what the billing report groups by (station, energy), as it
was when the session was paid, so a report never reaches into another context's tables.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class InvoiceStatus(StrEnum):
    """Stored statuses; ``overdue`` is read: a pending invoice past its due date."""

    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


class InvoiceKind(StrEnum):
    """What a document bills, and whether it is an invoice or a credit note of one."""

    SESSION = "session"  # a paid charging session, written when it is paid
    BOOKING = "booking"  # a connector booking's reservation fee, written when it is debited
    MANUAL = "manual"  # created by an admin
    # Credit notes (numbered CN-<year>-<6 digits>): each reverses one invoice in full.
    CREDIT_SESSION = "cn_session"
    CREDIT_BOOKING = "cn_booking"
    CREDIT_MANUAL = "cn_manual"


CREDIT_NOTE_OF = {
    InvoiceKind.SESSION: InvoiceKind.CREDIT_SESSION,
    InvoiceKind.BOOKING: InvoiceKind.CREDIT_BOOKING,
    InvoiceKind.MANUAL: InvoiceKind.CREDIT_MANUAL,
}
CREDIT_NOTE_KINDS = frozenset(CREDIT_NOTE_OF.values())


class ItemComponent(StrEnum):
    """What an item charges for: the billing report's revenue by component."""

    BASE = "base"  # FLAT + TIME of a tariff
    ENERGY = "energy"
    PARKING = "parking"
    PEAK = "peak"
    DISCOUNT = "discount"
    PLATFORM_FEE = "platform_fee"
    RESERVATION = "reservation"  # a connector booking's reservation fee
    OTHER = "other"  # an admin's item


class InvoiceCounter(Base):
    """The last number given out in a year. Taken by a conditional UPDATE, which holds
    the row lock until the transaction ends: numbers are gap-free because a transaction
    that rolls back gives its number back with the lock."""

    __tablename__ = "invoice_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CreditNoteCounter(Base):
    """The last credit note number given out in a year: credit notes are a series of their
    own (``CN-<year>-<6 digits>``), gap-free as invoices are, by the same conditional
    UPDATE."""

    __tablename__ = "credit_note_counter"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(Timestamped, Base):
    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("subtotal_minor + tax_minor = total_minor", name="total_adds_up"),
        CheckConstraint("tax_minor >= 0", name="tax_not_negative"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("status IN ('pending', 'paid', 'cancelled')", name="status_known"),
        Index("ix_invoice_paid_at", "paid_at"),
        Index("ix_invoice_created_at", "created_at"),
        Index("ix_invoice_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3), default="INR")
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    tax_bp: Mapped[int]  # the GST rate in basis points (1800 = 18 %)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    # A session's invoice: at most one per session.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_session.id", ondelete="SET NULL"), unique=True, default=None
    )
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("station.id", ondelete="SET NULL"), default=None
    )
    station_name: Mapped[str | None] = mapped_column(String(200), default=None)
    energy_wh: Mapped[int] = mapped_column(BigInteger, default=0)


class InvoiceItem(Base):
    __tablename__ = "invoice_item"
    __table_args__ = (
        CheckConstraint("quantity_milli > 0", name="quantity_positive"),
        Index("ix_invoice_item_invoice_id_position", "invoice_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]
    component: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(200))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)  # thousandths: 1.5 -> 1500
    rate_minor: Mapped[int] = mapped_column(BigInteger)
    # Signed: a discount is a negative item.
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class CreditNote(Timestamped, Base):
    """A credit note (an ``invoice`` row of a ``cn_*`` kind, ``CN-...``) and the invoice it
    reverses in full, which stays as it was written, marked ``cancelled``. A correction
    (a charger's late Stop re-priced a paid session) also names the invoice issued in the
    original's place, with the corrected amounts."""

    __tablename__ = "credit_note"

    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    credited_invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), unique=True
    )
    replacement_invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), unique=True, default=None
    )
    # The charging session both invoices bill (a replacement has no session_id of its own:
    # a session's first invoice holds it, uniquely).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("charging_session.id", ondelete="SET NULL"), index=True, default=None
    )
    reason: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )


class BookingInvoice(Base):
    """The invoice of a connector booking's reservation fee (one per booking)."""

    __tablename__ = "booking_invoice"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("connector_booking.id", ondelete="CASCADE"), primary_key=True
    )
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), unique=True
    )
