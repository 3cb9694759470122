"""Cancellation and reschedule fees, collected rather than only recorded: from the
customer's wallet when it covers the fee, otherwise added to the customer's next booking
payment (cash or online), where the receipt shows it as a line of its own.

A fee is gross (GST included, the GST part beside it), computed like every workshop
charge: ``percent`` of the booking's net amount, rounded half up, plus GST on the fee.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import wallet
from evcare.billing.wallet_models import EntryKind
from evcare.core.clock import utcnow
from evcare.core.errors import ValidationFailed
from evcare.core.money import Money
from evcare.service.bookings import repository
from evcare.service.bookings.models import BookingFee, FeeKind, FeeStatus, ServiceBooking
from evcare.service.bookings.views import BookingView


def fee_of(view: BookingView, percent: int) -> tuple[Money, Money]:
    """(gross fee, its GST) for ``percent`` of the booking's net amount."""
    fee = view.subtotal.percent(percent)
    gst = fee.percent(view.gst_percent)
    return fee + gst, gst


async def charge_fee(
    session: AsyncSession,
    booking: ServiceBooking,
    *,
    kind: FeeKind,
    amount: Money,
    gst: Money,
) -> BookingFee | None:
    """Write the fee and collect it: the wallet pays when it can, else it is outstanding
    until the customer's next booking payment. Nothing for a zero fee."""
    if amount.amount_minor <= 0:
        return None
    fee = BookingFee(
        booking_id=booking.id,
        customer_id=booking.customer_id,
        kind=kind,
        amount_minor=amount.amount_minor,
        gst_minor=gst.amount_minor,
        currency=amount.currency,
        status=FeeStatus.OUTSTANDING,
    )
    session.add(fee)
    await session.flush()
    try:
        await wallet.debit(
            session,
            user_id=booking.customer_id,
            amount=amount,
            kind=EntryKind.BOOKING_FEE,
            description=f"Workshop booking {booking.id}: {kind} fee",
            reference=f"service_booking_fee:{fee.id}",
        )
    except (wallet.InsufficientFunds, ValidationFailed):
        return fee  # no wallet, another currency, or too little in it: the next payment
    fee.status = FeeStatus.COLLECTED
    fee.settled_at = utcnow()
    await session.flush()
    return fee


async def carry_outstanding(session: AsyncSession, booking: ServiceBooking) -> None:
    """Add the customer's outstanding fees to this booking's payment (called as a payment
    is opened, before its amount is taken)."""
    for fee in await repository.outstanding_fees(session, booking.customer_id):
        if fee.currency != booking.currency:
            continue
        fee.status = FeeStatus.CARRIED
        fee.carried_to_booking_id = booking.id
    await session.flush()


async def release_carried(session: AsyncSession, booking: ServiceBooking) -> None:
    """A cancelled booking will not be paid: fees carried to it wait for the next one."""
    for fees in (await repository.fees_carried_to(session, [booking.id])).values():
        for fee in fees:
            fee.status = FeeStatus.OUTSTANDING
            fee.carried_to_booking_id = None
    await session.flush()


async def settle_carried(session: AsyncSession, booking: ServiceBooking) -> None:
    """The booking is paid: the fees carried to it are paid with it."""
    for fees in (await repository.fees_carried_to(session, [booking.id])).values():
        for fee in fees:
            fee.settled_at = utcnow()
    await session.flush()
