"""Cancelling a booking: free while no mechanic is assigned, then
``booking_cancellation_fee_percent`` of the net amount plus GST on that fee (collected:
``fees``), refused once work has started. Closing a customer's account cancels their open
bookings by the same rules and frees their slots."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments as billing
from evcare.core.clock import utcnow
from evcare.core.config import get_settings
from evcare.identity import closing
from evcare.identity.models import User
from evcare.identity.principal import Principal
from evcare.service.bookings import fees, lifecycle, repository
from evcare.service.bookings.models import BookingStatus, FeeKind, ServiceBooking
from evcare.service.bookings.views import BOOKING_REFERENCE, BookingView, view_of

S = BookingStatus

CANCELLABLE = {
    S.CREATED,
    S.MECHANIC_ASSIGNED,
    S.ANALYSIS_SUBMITTED,
    S.ANALYSIS_APPROVED,
    S.SERVICES_CONFIRMED,
}


async def cancel_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    reason: str,
    fee_percent: int,
) -> BookingView:
    """Free before a mechanic is assigned; after that ``fee_percent`` of the net amount plus
    GST on the fee; refused once work has started."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    if booking.status not in CANCELLABLE:
        raise lifecycle.refuse(booking, "cancel (work has started or the booking is closed)")
    await _cancel(session, booking, actor=principal.user_id, reason=reason, fee_percent=fee_percent)
    return await view_of(session, booking)


async def _cancel(
    session: AsyncSession,
    booking: ServiceBooking,
    *,
    actor: int | None,
    reason: str,
    fee_percent: int,
) -> None:
    await fees.release_carried(session, booking)
    if booking.status != S.CREATED:
        # The fee is a charge like any other: a percentage of the net amount, plus its GST.
        amount, gst = fees.fee_of(await view_of(session, booking), fee_percent)
        booking.cancellation_fee_minor = amount.amount_minor
        booking.cancellation_fee_gst_minor = gst.amount_minor
        await fees.charge_fee(session, booking, kind=FeeKind.CANCELLATION, amount=amount, gst=gst)
    booking.cancelled_at = utcnow()
    await billing.cancel_open(session, reference=billing.Reference(BOOKING_REFERENCE, booking.id))
    await lifecycle.record(session, booking, S.CANCELLED, actor=actor, note=reason)


async def cancel_for_closed_account(session: AsyncSession, user: User) -> None:
    """Every open booking of a closing account that can still be cancelled is, by the
    cancellation rules (its fee is charged to the wallet, or stays outstanding)."""
    percent = get_settings().booking_cancellation_fee_percent
    for booking in await repository.open_bookings_of(session, customer_id=user.id):
        locked = await repository.get_booking(session, booking.id, principal=None, lock=True)
        if locked is not None and locked.status in CANCELLABLE:
            await _cancel(
                session, locked, actor=None, reason="account deleted", fee_percent=percent
            )


closing.on_account_closing(cancel_for_closed_account)
