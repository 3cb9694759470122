"""A paid booking's receipt: an invoice in the one billing ledger (``billing.invoices``),
written in the transaction that marks the booking paid, PDF included. Its lines are the
booking's charged lines (labour and parts, net of GST) and the fees carried to this
payment (net of their GST); its total is what the customer paid, to the paisa."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoices
from evcare.billing.invoice_models import Invoice, ItemComponent
from evcare.billing.invoice_pdf import render_pdf
from evcare.core.errors import NotFound
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings
from evcare.service.bookings import lifecycle
from evcare.service.bookings.models import ServiceBooking
from evcare.service.bookings.views import BookingView, view_of


def _charge(view: BookingView) -> invoices.BookingCharge:
    booking = view.booking
    lines = []
    for line in view.lines:
        if line.amount.amount_minor == 0:
            continue
        item = line.item
        text = item.service_name + (f" x{item.quantity}" if item.quantity > 1 else "")
        if line.parts:
            text += " (parts: " + ", ".join(p.name for p in line.parts) + ")"
        if item.found:
            text += " - found at inspection"
        lines.append(invoices.BookingLine(ItemComponent.SERVICE, text, line.amount.amount_minor))
    fee_gst = 0
    for fee in view.fees:
        fee_gst += fee.gst_minor
        lines.append(
            invoices.BookingLine(
                ItemComponent.FEE,
                f"{fee.kind.capitalize()} fee, booking {fee.booking_id}",
                fee.amount_minor - fee.gst_minor,
            )
        )
    subtotal = sum(line.amount_minor for line in lines)
    gst = view.gst.amount_minor + fee_gst
    assert subtotal + gst == view.total.amount_minor
    return invoices.BookingCharge(
        booking_id=booking.id,
        user_id=booking.customer_id,
        currency=booking.currency,
        lines=lines,
        subtotal_minor=subtotal,
        gst_minor=gst,
        gst_bp=int(view.gst_percent * Decimal(100)),
        total_minor=view.total.amount_minor,
    )


async def invoice_paid_booking(session: AsyncSession, booking: ServiceBooking) -> Invoice:
    """Call where the booking is marked paid, in the same transaction."""
    return await invoices.invoice_booking(session, _charge(await view_of(session, booking)))


async def receipt_of(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> invoices.InvoiceView:
    """The receipt of a paid booking: its customer's and the admins' (404 otherwise)."""
    await lifecycle.load_as_customer(session, principal, booking_id)
    view = await invoices.receipt_of_service_booking(session, principal, booking_id=booking_id)
    if view is None:
        raise NotFound(f"Booking {booking_id} has no receipt yet (it is issued once paid)")
    return view


async def receipt_pdf(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> tuple[invoices.InvoiceView, bytes]:
    """The receipt and its PDF, as the ledger renders every invoice."""
    view = await receipt_of(session, principal, booking_id=booking_id)
    seller = (await system_settings.current(session)).site_name
    return view, render_pdf(view, seller=seller)
