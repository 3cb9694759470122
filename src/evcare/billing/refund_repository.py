"""Every refund query, and the transactions a refund may be asked against."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.payment_models import Payment, PaymentMethod, PaymentStatus
from evcare.billing.refund_models import Refund, RefundStatus
from evcare.billing.wallet_models import Wallet, WalletEntry
from evcare.core.pagination import PageParams


def _visible(user_id: int | None) -> list[ColumnElement[bool]]:
    return [] if user_id is None else [Refund.user_id == user_id]


async def entry_of_user(
    session: AsyncSession, entry_id: int, *, user_id: int
) -> WalletEntry | None:
    """The user's wallet entry, locked: refund requests against it queue here."""
    query = (
        select(WalletEntry)
        .join(Wallet, Wallet.id == WalletEntry.wallet_id)
        .where(WalletEntry.id == entry_id, Wallet.user_id == user_id)
        .with_for_update(of=WalletEntry)
    )
    return (await session.scalars(query)).one_or_none()


async def payment_of_user(
    session: AsyncSession, payment_id: int, *, user_id: int
) -> Payment | None:
    """A payment the user made, locked."""
    query = (
        select(Payment)
        .where(Payment.id == payment_id, Payment.payer_id == user_id)
        .with_for_update()
    )
    return (await session.scalars(query)).one_or_none()


async def captured_online_payment(
    session: AsyncSession, *, reference_type: str, reference_id: int
) -> Payment | None:
    """The captured online payment of what ``reference_type`` + id names (a top-up)."""
    query = select(Payment).where(
        Payment.reference_type == reference_type,
        Payment.reference_id == reference_id,
        Payment.method == PaymentMethod.ONLINE,
        Payment.status == PaymentStatus.CAPTURED,
    )
    return (await session.scalars(query)).first()


async def claimed_minor(
    session: AsyncSession, *, entry_id: int | None = None, payment_id: int | None = None
) -> int:
    """What refunds asked or granted against one transaction add up to (rejected ones
    give theirs back)."""
    target = (
        Refund.entry_id == entry_id if entry_id is not None else Refund.payment_id == payment_id
    )
    query = select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
        target, Refund.status != RefundStatus.REJECTED
    )
    return int(await session.scalar(query) or 0)


async def add_refund(session: AsyncSession, refund: Refund) -> Refund:
    session.add(refund)
    await session.flush()
    return refund


async def get_refund(
    session: AsyncSession, refund_id: int, *, user_id: int | None, lock: bool = False
) -> Refund | None:
    query = select(Refund).where(Refund.id == refund_id, *_visible(user_id))
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


async def list_refunds(
    session: AsyncSession, params: PageParams, *, user_id: int | None, status: str | None
) -> tuple[list[Refund], int]:
    conditions = _visible(user_id)
    if status is not None:
        conditions.append(Refund.status == status)
    total = await session.scalar(select(func.count()).select_from(Refund).where(*conditions))
    query = (
        select(Refund)
        .where(*conditions)
        .order_by(Refund.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return list((await session.scalars(query)).all()), int(total or 0)
