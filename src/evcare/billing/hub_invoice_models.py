"""An integration's monthly invoice (developer hub): plan fee plus overage.

It lives in billing's ledger beside the EV-CMS invoices and takes its number from the
same gap-free ``invoice_counter`` (``INV-<year>-<6 digits>``), but in a table of its own:
an EV-CMS invoice belongs to a user and carries GST and charging-session columns, a hub
invoice belongs to an integration and carries its plan and metered calls. One per
integration per month (a unique key), so generating a month twice changes nothing.

``paystack_payment`` records each transaction initialized for the hub; its ``reference``
is the key every Paystack callback (verify, webhook) is deduplicated by.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.db import Base, Timestamped


class HubInvoiceStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"


class HubInvoice(Timestamped, Base):
    __tablename__ = "hub_invoice"
    __table_args__ = (
        UniqueConstraint("integration_id", "month"),
        CheckConstraint("total_minor = fee_minor + overage_minor", name="total_adds_up"),
        CheckConstraint("status IN ('open', 'paid')", name="status_known"),
    )

    id: Mapped[str] = mapped_column(String(48), primary_key=True)  # inv_...
    number: Mapped[str] = mapped_column(String(20), unique=True)  # INV-2026-000042
    # No foreign key: the ledger keeps an invoice after its integration is deleted.
    integration_id: Mapped[str] = mapped_column(String(48))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    plan_id: Mapped[str] = mapped_column(String(48))
    plan_name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    calls: Mapped[int] = mapped_column(BigInteger)
    included_calls: Mapped[int] = mapped_column(BigInteger)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    overage_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    paid_reference: Mapped[str | None] = mapped_column(String(100), default=None)


class PaystackPayment(Timestamped, Base):
    __tablename__ = "paystack_payment"
    __table_args__ = (Index("ix_paystack_payment_integration_id", "integration_id"),)

    reference: Mapped[str] = mapped_column(String(100), primary_key=True)
    integration_id: Mapped[str] = mapped_column(String(48))  # kept, as the invoice's
    invoice_id: Mapped[str | None] = mapped_column(
        ForeignKey("hub_invoice.id", ondelete="RESTRICT"), default=None
    )
    email: Mapped[str] = mapped_column(String(254))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20))  # initialized | success | mismatch
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
