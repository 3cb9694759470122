"""Invoices: numbered ``INV-<year>-<6 digits>`` without gaps, one for every paid charging
session (written in the transaction that pays it) and any an admin creates.

Rules enforced here: items add up to the subtotal and ``subtotal + tax = total`` (a
CHECK holds the second too); an invoice's money never changes after it is written; a
user reads only their own invoices, an admin (``MANAGE:BILLING``) every one; a session is
invoiced at most once.

How a paid session reaches an invoice: the charging context registers, once, how to
describe a session's charge (:func:`provide_session_charges`); whoever marks a session
paid calls :func:`invoice_paid_session` (or :func:`invoice_session` when it holds the
charge already). Billing never reads charging's tables.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoice_repository as repository
from evcare.billing.invoice_models import (
    Invoice,
    InvoiceItem,
    InvoiceKind,
    InvoiceStatus,
    ItemComponent,
)
from evcare.billing.invoice_pdf import render_pdf
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, NotFound, Unavailable, ValidationFailed
from evcare.core.mail import Attachment, SmtpMailer
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings

NUMBER_PREFIX = "INV"
MAX_ITEMS = 100


def invoice_number(year: int, number: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{number:06d}"


def round_half_up(value: Fraction) -> int:
    """The money rounding rule of every amount here: nearest minor unit, halves away from
    zero (the same as pricing's)."""
    if value < 0:
        return -round_half_up(-value)
    return int((value * 2 + 1) // 2)


@dataclass(frozen=True)
class Line:
    """One charged component, as priced (a discount negative)."""

    component: ItemComponent
    description: str
    amount_minor: int


@dataclass(frozen=True)
class SessionCharge:
    """What an invoice needs to know about a paid charging session."""

    session_id: int
    user_id: int
    station_id: int | None
    station_name: str | None
    energy_wh: int
    currency: str
    lines: Sequence[Line]  # add up to the total (GST included) or to the subtotal
    subtotal_minor: int
    gst_minor: int
    gst_bp: int
    total_minor: int


SessionCharges = Callable[[AsyncSession, int], Awaitable[SessionCharge | None]]
_session_charges: SessionCharges | None = None


def provide_session_charges(source: SessionCharges) -> None:
    """Called once by the charging context: how to read a session's charge."""
    global _session_charges
    _session_charges = source


@dataclass(frozen=True)
class ItemDraft:
    description: str
    quantity_milli: int  # thousandths: 1.5 -> 1500
    rate_minor: int


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    items: list[InvoiceItem]
    user_name: str
    user_email: str
    status: str  # as shown: overdue when pending past the due date


@dataclass(frozen=True)
class Summary:
    by_status: dict[str, tuple[int, int]]  # shown status -> (count, total minor)
    currency: str


def _scope(principal: Principal) -> int | None:
    """The user whose invoices the caller may read; None: an admin, everyone's."""
    return None if principal.has(Scope.MANAGE_BILLING) else principal.user_id


def shown_status(invoice: Invoice, today: date) -> str:
    if invoice.status == InvoiceStatus.PENDING and invoice.due_date < today:
        return "overdue"
    return invoice.status


def _net_of_tax(lines: Sequence[Line], subtotal_minor: int) -> list[tuple[Line, int]]:
    """Each line's share of ``subtotal_minor`` (the lines' sum less the GST they include),
    largest remainder first, so the shares are whole minor units that add up exactly."""
    charged = sum(line.amount_minor for line in lines)
    if charged == subtotal_minor or charged == 0:
        return [(line, line.amount_minor) for line in lines]
    exact = [Fraction(line.amount_minor * subtotal_minor, charged) for line in lines]
    shares = [int(value // 1) for value in exact]
    leftover = subtotal_minor - sum(shares)
    order = sorted(range(len(lines)), key=lambda n: (-(exact[n] - shares[n]), n))
    for n in order[:leftover]:
        shares[n] += 1
    return list(zip(lines, shares, strict=True))


async def invoice_session(session: AsyncSession, charge: SessionCharge) -> Invoice:
    """The paid session's invoice (written now, or the one it has): items net of GST,
    tax the session's GST, total what was paid."""
    existing = await repository.invoice_of_session(session, charge.session_id)
    if existing is not None:
        return existing
    now = utcnow()
    items = [
        {
            "component": line.component,
            "description": line.description[:200],
            "quantity_milli": 1000,
            "rate_minor": share,
            "amount_minor": share,
        }
        for line, share in _net_of_tax(charge.lines, charge.subtotal_minor)
        if line.amount_minor != 0
    ]
    invoice = Invoice(
        user_id=charge.user_id,
        kind=InvoiceKind.SESSION,
        status=InvoiceStatus.PAID,
        currency=charge.currency,
        subtotal_minor=charge.subtotal_minor,
        tax_minor=charge.gst_minor,
        tax_bp=charge.gst_bp,
        total_minor=charge.total_minor,
        due_date=now.date(),
        paid_at=now,
        session_id=charge.session_id,
        station_id=charge.station_id,
        station_name=(charge.station_name or "")[:200] or None,
        energy_wh=charge.energy_wh,
    )
    return await _add_numbered(session, invoice, items)


@dataclass(frozen=True)
class BookingLine:
    """One charged line of a workshop booking, net of GST."""

    component: ItemComponent
    description: str
    amount_minor: int


@dataclass(frozen=True)
class BookingCharge:
    """What a paid workshop booking's receipt needs: its lines (net, adding up to the
    subtotal), the GST and the total paid."""

    booking_id: int
    user_id: int
    currency: str
    lines: Sequence[BookingLine]
    subtotal_minor: int
    gst_minor: int
    gst_bp: int
    total_minor: int


async def invoice_booking(session: AsyncSession, charge: BookingCharge) -> Invoice:
    """The paid booking's receipt (written now, or the one it has), in the one ledger."""
    existing = await repository.invoice_of_booking(session, charge.booking_id)
    if existing is not None:
        return existing
    if sum(line.amount_minor for line in charge.lines) != charge.subtotal_minor:
        raise ValueError("a booking's lines must add up to its subtotal")
    now = utcnow()
    items = [
        {
            "component": line.component,
            "description": line.description[:200],
            "quantity_milli": 1000,
            "rate_minor": line.amount_minor,
            "amount_minor": line.amount_minor,
        }
        for line in charge.lines
        if line.amount_minor != 0
    ]
    invoice = Invoice(
        user_id=charge.user_id,
        kind=InvoiceKind.BOOKING,
        status=InvoiceStatus.PAID,
        currency=charge.currency,
        subtotal_minor=charge.subtotal_minor,
        tax_minor=charge.gst_minor,
        tax_bp=charge.gst_bp,
        total_minor=charge.total_minor,
        due_date=now.date(),
        paid_at=now,
        service_booking_id=charge.booking_id,
    )
    return await _add_numbered(session, invoice, items)


async def invoice_of_booking(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> InvoiceView | None:
    """A booking's receipt, if it has one the caller may read."""
    invoice = await repository.invoice_of_booking(session, booking_id)
    if invoice is None or _scope(principal) not in (None, invoice.user_id):
        return None
    return (await _views(session, [invoice]))[0]


async def _add_numbered(
    session: AsyncSession, invoice: Invoice, items: Sequence[dict[str, object]]
) -> Invoice:
    """Give the invoice the next number of this year, last, so the counter's lock is held
    for as short a time as the transaction allows."""
    year = utcnow().year
    invoice.number = invoice_number(year, await repository.take_number(session, year))
    return await repository.add_invoice(session, invoice, items)


async def invoice_paid_session(session: AsyncSession, *, session_id: int) -> Invoice | None:
    """Invoice a session that has just been paid (call it where the session is marked
    paid, in the same transaction). None for a session with nothing to invoice."""
    if _session_charges is None:
        raise RuntimeError("no charging context registered with evcare.billing.invoices")
    charge = await _session_charges(session, session_id)
    if charge is None or charge.total_minor <= 0:
        return None
    return await invoice_session(session, charge)


async def create_invoice(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int,
    items: Sequence[ItemDraft],
    due_date: date,
) -> InvoiceView:
    """An admin's invoice for ``user_id``: each item ``quantity x rate`` rounded once,
    GST at the settings' ``gstPercentage`` on the subtotal. Due today or later."""
    if due_date < utcnow().date():
        raise ValidationFailed(
            "dueDate is in the past", fields=[FieldError("dueDate", "must be today or later")]
        )
    user = await identity_repository.get_user(session, user_id)
    if user is None:
        raise NotFound(f"User {user_id} not found")
    settings = await system_settings.current(session)
    amounts = [
        round_half_up(Fraction(item.quantity_milli * item.rate_minor, 1000)) for item in items
    ]
    rows = [
        {
            "component": ItemComponent.OTHER,
            "description": item.description,
            "quantity_milli": item.quantity_milli,
            "rate_minor": item.rate_minor,
            "amount_minor": amount,
        }
        for item, amount in zip(items, amounts, strict=True)
    ]
    subtotal = sum(amounts)
    tax = round_half_up(Fraction(subtotal * settings.gst_basis_points, 10_000))
    invoice = Invoice(
        user_id=user.id,
        kind=InvoiceKind.MANUAL,
        status=InvoiceStatus.PENDING,
        currency=settings.currency,
        subtotal_minor=subtotal,
        tax_minor=tax,
        tax_bp=settings.gst_basis_points,
        total_minor=subtotal + tax,
        due_date=due_date,
        created_by=principal.user_id,
    )
    await _add_numbered(session, invoice, rows)
    return await get_invoice(session, principal, invoice.id)


async def get_invoice(session: AsyncSession, principal: Principal, invoice_id: int) -> InvoiceView:
    """One invoice with its items (someone else's: 404)."""
    invoice = await repository.get_invoice(session, invoice_id, user_id=_scope(principal))
    if invoice is None:
        raise NotFound(f"Invoice {invoice_id} not found")
    return (await _views(session, [invoice]))[0]


async def _views(session: AsyncSession, invoices: list[Invoice]) -> list[InvoiceView]:
    items = await repository.items_of(session, [invoice.id for invoice in invoices])
    users = await identity_repository.users_by_ids(
        session, {invoice.user_id for invoice in invoices}
    )
    today = utcnow().date()
    views = []
    for invoice in invoices:
        user = users.get(invoice.user_id)
        views.append(
            InvoiceView(
                invoice=invoice,
                items=items.get(invoice.id, []),
                user_name=user.name if user else "",
                user_email=user.email if user else "",
                status=shown_status(invoice, today),
            )
        )
    return views


async def list_invoices(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> tuple[Page[InvoiceView], Summary]:
    """Newest first; the summary counts every invoice the caller may read, by status."""
    today = utcnow().date()
    scope = _scope(principal)
    found, total = await repository.list_invoices(
        session, params, user_id=scope, status=status, today=today
    )
    by_status = await repository.summary(session, user_id=scope, today=today)
    currency = system_settings.DEFAULTS.currency
    return Page(await _views(session, found), total, params), Summary(by_status, currency)


async def send_invoice(
    session: AsyncSession, principal: Principal, mailer: SmtpMailer | None, invoice_id: int
) -> InvoiceView:
    """Email the invoice with its PDF to its user through the SMTP sender (an admin's)."""
    view = await get_invoice(session, principal, invoice_id)
    if mailer is None:
        raise Unavailable("Email is not configured (EVCARE_SMTP_HOST)")
    if not view.user_email:
        raise NotFound(f"The user of invoice {invoice_id} has no email address")
    settings = await system_settings.current(session)
    pdf = render_pdf(view, seller=settings.site_name)
    number = view.invoice.number
    try:
        await mailer.send(
            to=view.user_email,
            subject=f"{settings.site_name} invoice {number}",
            body=(
                f"Dear {view.user_name or 'customer'},\n\nPlease find invoice {number} "
                f"attached.\n\n{settings.site_name}\n"
            ),
            attachments=[Attachment(f"{number}.pdf", "application/pdf", pdf)],
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        raise Unavailable("The invoice email could not be sent right now") from error
    view.invoice.sent_at = utcnow()
    await session.flush()
    return view
