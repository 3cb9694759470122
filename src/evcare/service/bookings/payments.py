"""Payment hand-off to ``billing``: cash on delivery, Razorpay orders, checkout signatures
and webhooks; a captured payment marks a completed booking paid."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments as billing
from evcare.billing.payment_models import Payment
from evcare.billing.razorpay import PaymentGateway, SandboxGateway
from evcare.core.clock import utcnow
from evcare.core.errors import NotFound
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service.bookings import fees, lifecycle, receipts, repository
from evcare.service.bookings.models import BookingStatus, PaymentMode, ServiceBooking
from evcare.service.bookings.views import BOOKING_REFERENCE, BookingView, view_of

S = BookingStatus

PAYABLE_COD = {S.SERVICES_CONFIRMED, S.IN_PROGRESS, S.COMPLETED}


def _reference(booking: ServiceBooking) -> billing.Reference:
    return billing.Reference(BOOKING_REFERENCE, booking.id)


async def reserve_cash_on_delivery(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """The customer will pay cash when the work is delivered."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    lifecycle.require(booking, PAYABLE_COD, "reserve cash on delivery")
    await fees.carry_outstanding(session, booking)
    view = await view_of(session, booking)
    payment = await billing.reserve_cash(
        session,
        reference=_reference(booking),
        payer_id=booking.customer_id,
        amount_minor=view.total.amount_minor,
        currency=booking.currency,
    )
    if booking.payment_mode != PaymentMode.COD:
        booking.payment_mode = PaymentMode.COD
        await lifecycle.note(session, booking, actor=principal.user_id, note="payment: cod")
    return payment, await view_of(session, booking)


async def _mark_paid(
    session: AsyncSession, booking: ServiceBooking, *, actor: int | None, note: str
) -> None:
    if booking.status == S.PAID:
        return
    lifecycle.require(booking, {S.COMPLETED}, "take payment")
    booking.paid_at = utcnow()
    await fees.settle_carried(session, booking)
    invoice = await receipts.invoice_paid_booking(session, booking)
    await lifecycle.record(
        session,
        booking,
        S.PAID,
        actor=actor,
        note=f"{note}; receipt {invoice.number}",
        data={"invoice_number": invoice.number},
    )


async def confirm_cash_collected(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """An admin or the assigned mechanic confirms the cash was collected (idempotent)."""
    booking = await repository.get_booking(session, booking_id, principal=None, lock=True)
    if booking is None or not (
        principal.has(Scope.MANAGE_BOOKINGS) or booking.mechanic_id == principal.user_id
    ):
        raise NotFound(f"Booking {booking_id} not found")
    lifecycle.require(booking, {S.COMPLETED, S.PAID}, "confirm cash collection")
    if booking.status == S.COMPLETED:
        await fees.carry_outstanding(session, booking)
    view = await view_of(session, booking)
    capture = await billing.collect_cash(
        session,
        reference=_reference(booking),
        collected_by=principal.user_id,
        amount_minor=view.total.amount_minor,
    )
    if capture.newly_captured:
        await _mark_paid(session, booking, actor=principal.user_id, note="cash collected")
    return capture.payment, await view_of(session, booking)


async def open_online_payment(
    session: AsyncSession, principal: Principal, gateway: PaymentGateway, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """A Razorpay order for the booking total, once the work is completed."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    lifecycle.require(
        booking, {S.COMPLETED}, "pay online (payment is due once the work is completed)"
    )
    await fees.carry_outstanding(session, booking)
    view = await view_of(session, booking)
    payment = await billing.open_online_order(
        session,
        gateway,
        reference=_reference(booking),
        payer_id=booking.customer_id,
        amount_minor=view.total.amount_minor,
        currency=booking.currency,
        receipt=f"booking-{booking.id}",
    )
    if booking.payment_mode != PaymentMode.ONLINE:
        booking.payment_mode = PaymentMode.ONLINE
        await session.flush()
    return payment, await view_of(session, booking)


async def _booking_of_order(
    session: AsyncSession, principal: Principal, order_id: str
) -> ServiceBooking | None:
    """The caller's booking an order pays for, locked (before its payment is, as always)."""
    reference = await billing.order_reference(session, order_id)
    if reference is None or reference.type != BOOKING_REFERENCE:
        return None
    booking = await repository.get_booking(session, reference.id, principal=principal, lock=True)
    if booking is None or (
        booking.customer_id != principal.user_id and not principal.has(Scope.MANAGE_BOOKINGS)
    ):
        return None
    return booking


async def verify_online_payment(
    session: AsyncSession,
    principal: Principal,
    gateway: PaymentGateway,
    *,
    order_id: str,
    payment_id: str,
    signature: str,
    booking_id: int | None = None,
) -> tuple[Payment, BookingView]:
    """Checkout's signature over our stored order id; a valid one marks the booking paid.

    When the caller names the booking, the order must be that booking's (checked before
    anything is verified or recorded)."""
    booking = await _booking_of_order(session, principal, order_id)
    if booking is None:
        raise NotFound(f"Order {order_id} not found")
    if booking_id is not None and booking_id != booking.id:
        raise NotFound(f"Order {order_id} is not for booking {booking_id}")
    capture = await billing.verify_checkout(
        session, gateway, order_id=order_id, payment_id=payment_id, signature=signature
    )
    if capture.newly_captured:
        await _mark_paid(session, booking, actor=principal.user_id, note=f"online {payment_id}")
    return capture.payment, await view_of(session, booking)


async def receive_payment_webhook(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    body: bytes,
    signature: str | None,
    event_id: str | None,
) -> billing.WebhookOutcome:
    """Razorpay's server-to-server notice; a captured payment marks its booking paid."""
    locked: list[ServiceBooking] = []

    async def lock_booking(reference: billing.Reference) -> None:
        if reference.type == BOOKING_REFERENCE:
            booking = await repository.get_booking(session, reference.id, principal=None, lock=True)
            if booking is not None:
                locked.append(booking)

    outcome = await billing.receive_webhook(
        session,
        gateway,
        body=body,
        signature=signature,
        event_id=event_id,
        lock_reference=lock_booking,
    )
    capture = outcome.capture
    if capture is not None and capture.newly_captured and locked:
        await _mark_paid(session, locked[0], actor=None, note="online (webhook)")
    return outcome


async def sandbox_checkout(
    session: AsyncSession, principal: Principal, gateway: PaymentGateway, *, order_id: str
) -> tuple[str, str]:
    """What Razorpay Checkout would return to the browser, from the local sandbox only."""
    if not isinstance(gateway, SandboxGateway):
        raise NotFound("The sandbox checkout exists only while no Razorpay keys are configured")
    booking = await _booking_of_order(session, principal, order_id)
    if booking is None:
        raise NotFound(f"Order {order_id} not found")
    return gateway.checkout(order_id)
