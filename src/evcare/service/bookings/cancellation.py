"""Cancelling a booking: free while no mechanic is assigned, then
``booking_cancellation_fee_percent`` of the net amount plus GST on that fee, refused once
work has started."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments as billing
from evcare.core.clock import utcnow
from evcare.identity.principal import Principal
from evcare.service.bookings import lifecycle
from evcare.service.bookings.models import BookingStatus
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
    if booking.status != S.CREATED:
        # The fee is a charge like any other: a percentage of the net amount, plus its GST.
        view = await view_of(session, booking)
        fee = view.subtotal.percent(fee_percent)
        gst = fee.percent(view.gst_percent)
        booking.cancellation_fee_minor = (fee + gst).amount_minor
        booking.cancellation_fee_gst_minor = gst.amount_minor
    booking.cancelled_at = utcnow()
    await billing.cancel_open(session, reference=billing.Reference(BOOKING_REFERENCE, booking.id))
    await lifecycle.record(session, booking, S.CANCELLED, actor=principal.user_id, note=reason)
    return await view_of(session, booking)
