"""Billing queries across the ledgers: GST rate history, and the transactions list (wallet
entries and payments as one list)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.models import GstRate
from evcare.billing.payment_models import Payment, PaymentStatus
from evcare.billing.wallet_models import Wallet, WalletEntry
from evcare.core.pagination import PageParams


async def current_gst_rate(session: AsyncSession) -> GstRate | None:
    query = select(GstRate).order_by(GstRate.effective_at.desc(), GstRate.id.desc()).limit(1)
    return (await session.scalars(query)).first()


async def gst_history(session: AsyncSession, params: PageParams) -> list[GstRate]:
    query = select(GstRate).order_by(GstRate.effective_at.desc(), GstRate.id.desc())
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return list(rows.all())


# A payment as a transaction: the payer's money went out (debit); its state as the
# Transaction object words it.
_PAYMENT_STATUS = case(
    (Payment.status == PaymentStatus.CAPTURED, "completed"),
    (Payment.status == PaymentStatus.CANCELLED, "failed"),
    else_="pending",
)


def _transactions(excluded_payment_reference: str) -> Any:
    entries = select(
        literal("wallet", String).label("source"),
        WalletEntry.id.label("id"),
        Wallet.user_id.label("user_id"),
        WalletEntry.type.label("type"),
        WalletEntry.kind.label("kind"),
        WalletEntry.amount_minor.label("amount_minor"),
        WalletEntry.currency.label("currency"),
        WalletEntry.balance_after_minor.label("balance_after_minor"),
        WalletEntry.status.label("status"),
        WalletEntry.description.label("description"),
        WalletEntry.session_id.label("session_id"),
        cast(null(), Integer).label("reference_id"),
        literal(None, String).label("provider"),
        WalletEntry.created_at.label("created_at"),
    ).join(Wallet, Wallet.id == WalletEntry.wallet_id)
    payments = select(
        literal("payment", String),
        Payment.id,
        Payment.payer_id,
        literal("debit", String),
        Payment.reference_type,
        cast(Payment.amount_minor, BigInteger),
        Payment.currency,
        cast(null(), BigInteger),
        _PAYMENT_STATUS,
        literal("", String),
        cast(null(), Integer),
        Payment.reference_id,
        Payment.provider,
        Payment.created_at,
    ).where(
        # A top-up's payment is the top-up entry already; listing both would count it twice.
        Payment.reference_type != excluded_payment_reference,
        Payment.payer_id.is_not(None),
    )
    return union_all(entries, payments).subquery("txn")


async def list_transactions(
    session: AsyncSession,
    params: PageParams,
    *,
    user_id: int | None,
    entry_type: str | None,
    status: str | None,
    excluded_payment_reference: str,
) -> tuple[list[Any], int]:
    """Wallet entries and payments, newest first, and the count (``user_id`` None: all)."""
    txn = _transactions(excluded_payment_reference)
    conditions = []
    if user_id is not None:
        conditions.append(txn.c.user_id == user_id)
    if entry_type is not None:
        conditions.append(txn.c.type == entry_type)
    if status is not None:
        conditions.append(txn.c.status == status)
    total = await session.scalar(select(func.count()).select_from(txn).where(*conditions))
    query = (
        select(txn)
        .where(*conditions)
        .order_by(txn.c.created_at.desc(), txn.c.source.desc(), txn.c.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return list((await session.execute(query)).all()), int(total or 0)
