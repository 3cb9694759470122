"""Every payments-ledger query."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.payment_models import Payment, PaymentStatus, PaymentWebhookEvent


async def payments_for(
    session: AsyncSession, reference_type: str, reference_id: int
) -> list[Payment]:
    query = (
        select(Payment)
        .where(Payment.reference_type == reference_type, Payment.reference_id == reference_id)
        .order_by(Payment.id)
        .with_for_update()
    )
    return list((await session.scalars(query)).all())


async def latest_payments(
    session: AsyncSession, reference_type: str, reference_ids: list[int]
) -> dict[int, Payment]:
    """The newest payment of each reference (for showing a payment status; no lock)."""
    if not reference_ids:
        return {}
    query = (
        select(Payment)
        .where(Payment.reference_type == reference_type)
        .where(Payment.reference_id.in_(reference_ids))
        .order_by(Payment.id)
    )
    latest: dict[int, Payment] = {}
    for payment in (await session.scalars(query)).all():
        shown = latest.get(payment.reference_id)
        if shown is None or shown.status != PaymentStatus.CAPTURED:
            latest[payment.reference_id] = payment
    return latest


async def reference_of_order(
    session: AsyncSession, provider_order_id: str
) -> tuple[str, int] | None:
    """What an order pays for, read without a lock (callers lock what it names first)."""
    query = select(Payment.reference_type, Payment.reference_id).where(
        Payment.provider_order_id == provider_order_id
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (str(row[0]), int(row[1]))


async def payment_by_order(session: AsyncSession, provider_order_id: str) -> Payment | None:
    query = select(Payment).where(Payment.provider_order_id == provider_order_id).with_for_update()
    return (await session.scalars(query)).one_or_none()


async def add_webhook_event(session: AsyncSession, event: PaymentWebhookEvent) -> bool:
    """Store a webhook delivery; False when this provider already sent this event id."""
    try:
        async with session.begin_nested():
            session.add(event)
            await session.flush()
    except IntegrityError:
        return False
    return True
