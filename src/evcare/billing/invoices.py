"""Invoices: numbered ``INV-<year>-<6 digits>`` without gaps, one for every paid charging
session (written in the transaction that pays it) and any an admin creates.

Rules enforced here: items add up to the subtotal and ``subtotal + tax = total`` (a
CHECK holds the second too); an invoice's money never changes after it is written; a
user reads only their own invoices, an admin (``MANAGE:BILLING``) every one; a session is
invoiced at most once.

How a paid session reaches an invoice: the charging context registers, once, how to
describe a session's charge (:func:`provide_session_charges`); whoever marks a session
paid calls :func:`invoice_paid_session` (or :func:`invoice_session` when it holds the
charge already). Billing never reads charging's tables. A connector booking's reservation
fee is invoiced when it is debited (:func:`invoice_booking_fee`).

Nothing written is rewritten. A wrong invoice is reversed by a **credit note** (its own
gap-free series ``CN-<year>-<6 digits>``, the same items and amounts, naming the invoice),
and the invoice stays as it was, marked ``cancelled``: an admin cancelling an unpaid
invoice (:func:`cancel_invoice`), a refunded reservation fee (:func:`credit_booking_fee`),
and a paid session re-priced by the charger's late Stop (:func:`correct_paid_session`:
the credit note and, in the same transaction, an invoice with the corrected amounts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoice_repository as repository
from evcare.billing.invoice_models import (
    CREDIT_NOTE_KINDS,
    CREDIT_NOTE_OF,
    CreditNote,
    Invoice,
    InvoiceItem,
    InvoiceKind,
    InvoiceStatus,
    ItemComponent,
)
from evcare.billing.invoice_pdf import render_pdf
from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, Unavailable, ValidationFailed
from evcare.core.mail import Attachment, SmtpMailer
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings

NUMBER_PREFIX = "INV"
CREDIT_NOTE_PREFIX = "CN"
MAX_ITEMS = 100
MAX_REASON = 500


def invoice_number(year: int, number: int) -> str:
    return f"{NUMBER_PREFIX}-{year}-{number:06d}"


def credit_note_number(year: int, number: int) -> str:
    return f"{CREDIT_NOTE_PREFIX}-{year}-{number:06d}"


def is_credit_note(invoice: Invoice) -> bool:
    return invoice.kind in CREDIT_NOTE_KINDS


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
class BookingFee:
    """A connector booking's reservation fee, as debited from the wallet."""

    booking_id: int
    booking_number: str
    user_id: int
    station_id: int | None
    station_name: str | None
    currency: str
    amount_minor: int


@dataclass(frozen=True)
class Links:
    """What an invoice says of the documents around it (numbers, as printed)."""

    session_id: int | None = None  # the session it bills (a replacement's too)
    credit_note_id: int | None = None  # the credit note that reversed it
    credit_note_number: str | None = None
    credited_invoice_id: int | None = None  # a credit note: the invoice it reverses
    credited_invoice_number: str | None = None
    replaced_by_id: int | None = None  # the corrected invoice issued in its place
    replaces_id: int | None = None  # a corrected invoice: the one it replaces
    reason: str | None = None  # why it was reversed (or, on a credit note, why issued)
    cancelled_at: datetime | None = None


@dataclass(frozen=True)
class InvoiceView:
    invoice: Invoice
    items: list[InvoiceItem]
    user_name: str
    user_email: str
    status: str  # as shown: overdue when pending past the due date
    links: Links = Links()

    @property
    def is_credit_note(self) -> bool:
        return is_credit_note(self.invoice)


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
    return await _session_invoice(session, charge, session_id=charge.session_id)


async def _session_invoice(
    session: AsyncSession, charge: SessionCharge, *, session_id: int | None
) -> Invoice:
    """A paid invoice of ``charge`` (``session_id`` None: a replacement, whose session its
    credit note names; the session's first invoice holds it, uniquely)."""
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
        session_id=session_id,
        station_id=charge.station_id,
        station_name=(charge.station_name or "")[:200] or None,
        energy_wh=charge.energy_wh,
    )
    return await _add_numbered(session, invoice, items)


async def invoice_booking_fee(session: AsyncSession, fee: BookingFee) -> Invoice:
    """The invoice of a reservation fee just debited (once per booking): one item, the fee
    a price including GST at the settings' ``gstPercentage``, as connector prices are."""
    existing = await repository.invoice_of_booking(session, fee.booking_id)
    if existing is not None:
        return existing
    settings = await system_settings.current(session)
    rate = settings.gst_basis_points
    gst = round_half_up(Fraction(fee.amount_minor * rate, 10_000 + rate))
    subtotal = fee.amount_minor - gst
    now = utcnow()
    invoice = Invoice(
        user_id=fee.user_id,
        kind=InvoiceKind.BOOKING,
        status=InvoiceStatus.PAID,
        currency=fee.currency,
        subtotal_minor=subtotal,
        tax_minor=gst,
        tax_bp=rate,
        total_minor=fee.amount_minor,
        due_date=now.date(),
        paid_at=now,
        station_id=fee.station_id,
        station_name=(fee.station_name or "")[:200] or None,
    )
    item = {
        "component": ItemComponent.RESERVATION,
        "description": f"Reservation fee {fee.booking_number}"[:200],
        "quantity_milli": 1000,
        "rate_minor": subtotal,
        "amount_minor": subtotal,
    }
    await _add_numbered(session, invoice, [item])
    await repository.add_booking_invoice(session, booking_id=fee.booking_id, invoice_id=invoice.id)
    return invoice


async def _credit(
    session: AsyncSession,
    original: Invoice,
    *,
    reason: str,
    by: int | None,
    linked_here: bool = True,
) -> Invoice:
    """Issue the credit note reversing ``original`` in full (its items and amounts) and
    mark ``original`` cancelled; nothing of its money changes. The credit note is settled
    when issued (``paid``); ``paid_at`` is set when it gives back revenue that was paid,
    which is when the billing report counts it, negatively."""
    items = (await repository.items_of(session, [original.id]))[original.id]
    now = utcnow()
    note = Invoice(
        user_id=original.user_id,
        kind=CREDIT_NOTE_OF[InvoiceKind(original.kind)],
        status=InvoiceStatus.PAID,
        currency=original.currency,
        subtotal_minor=original.subtotal_minor,
        tax_minor=original.tax_minor,
        tax_bp=original.tax_bp,
        total_minor=original.total_minor,
        due_date=now.date(),
        paid_at=now if original.paid_at is not None else None,
        created_by=by,
        station_id=original.station_id,
        station_name=original.station_name,
        energy_wh=original.energy_wh,
    )
    rows = [
        {
            "component": item.component,
            "description": item.description,
            "quantity_milli": item.quantity_milli,
            "rate_minor": item.rate_minor,
            "amount_minor": item.amount_minor,
        }
        for item in items
    ]
    await _add_numbered(session, note, rows, credit_note=True)
    original.status = InvoiceStatus.CANCELLED
    if linked_here:  # else the caller links it, with the invoice replacing ``original``
        await repository.add_credit_note(
            session,
            CreditNote(
                invoice_id=note.id,
                credited_invoice_id=original.id,
                session_id=original.session_id,
                reason=reason[:MAX_REASON],
                created_by=by,
            ),
        )
    return note


async def cancel_invoice(
    session: AsyncSession, principal: Principal, *, invoice_id: int, reason: str
) -> tuple[InvoiceView, InvoiceView]:
    """Cancel an unpaid invoice (an admin's): a credit note reverses it and it stays,
    marked ``cancelled``. (invoice, credit note). A paid invoice is not cancelled, its
    money was taken: refund it (409); a credit note or a cancelled invoice: 409."""
    original = await repository.lock_invoice(session, invoice_id, user_id=_scope(principal))
    if original is None:
        raise NotFound(f"Invoice {invoice_id} not found")
    if is_credit_note(original):
        raise Conflict(f"{original.number} is a credit note and cannot be cancelled")
    if original.status == InvoiceStatus.CANCELLED:
        raise Conflict(f"Invoice {original.number} is cancelled already")
    if original.status == InvoiceStatus.PAID:
        raise Conflict(
            f"Invoice {original.number} is paid: refund its transaction instead "
            "(POST /api/v1/billing/refunds)"
        )
    note = await _credit(session, original, reason=reason, by=principal.user_id)
    await session.flush()
    return (
        await get_invoice(session, principal, original.id),
        await get_invoice(session, principal, note.id),
    )


async def credit_booking_fee(session: AsyncSession, *, booking_id: int, reason: str) -> None:
    """A reservation fee refunded to the wallet: a credit note reverses its invoice (in the
    refund's transaction). Nothing for a booking whose fee was never invoiced."""
    invoice = await repository.invoice_of_booking(session, booking_id)
    if invoice is None or invoice.status == InvoiceStatus.CANCELLED:
        return
    await _credit(session, invoice, reason=reason, by=None)


async def correct_paid_session(
    session: AsyncSession, *, session_id: int, reason: str
) -> Invoice | None:
    """A paid session re-priced (the charger's late Stop replaced EVCare's estimate, and
    the difference has been debited or refunded): a credit note reverses its invoice and
    an invoice of the corrected charge takes its place, numbered now. The replacement.
    Nothing for a session without an invoice or whose invoice already says this total."""
    if _session_charges is None:
        raise RuntimeError("no charging context registered with evcare.billing.invoices")
    current = await repository.invoice_of_session(session, session_id)
    if current is None:
        return None
    while (later := await repository.replacement_of(session, current.id)) is not None:
        found = await repository.get_invoice(session, later, user_id=None)
        assert found is not None
        current = found
    charge = await _session_charges(session, session_id)
    if charge is None or current.total_minor == charge.total_minor:
        return None
    if current.status == InvoiceStatus.CANCELLED:
        return None
    note = await _credit(session, current, reason=reason, by=None, linked_here=False)
    replacement = await _session_invoice(session, charge, session_id=None)
    await repository.add_credit_note(
        session,
        CreditNote(
            invoice_id=note.id,
            credited_invoice_id=current.id,
            replacement_invoice_id=replacement.id,
            session_id=session_id,
            reason=reason[:MAX_REASON],
        ),
    )
    return replacement


async def _add_numbered(
    session: AsyncSession,
    invoice: Invoice,
    items: Sequence[dict[str, object]],
    *,
    credit_note: bool = False,
) -> Invoice:
    """Give the invoice (or credit note) the next number of its series this year, last,
    so the counter's lock is held for as short a time as the transaction allows."""
    year = utcnow().year
    number = await repository.take_number(session, year, credit_note=credit_note)
    invoice.number = (credit_note_number if credit_note else invoice_number)(year, number)
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
    ids = [invoice.id for invoice in invoices]
    items = await repository.items_of(session, ids)
    users = await identity_repository.users_by_ids(
        session, {invoice.user_id for invoice in invoices}
    )
    links = await repository.links_of(session, ids)
    numbers = await repository.numbers_of(
        session, {key for link in links for key in (link.invoice_id, link.credited_invoice_id)}
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
                links=_links_of(invoice, links, numbers),
            )
        )
    return views


def _links_of(invoice: Invoice, links: list[CreditNote], numbers: dict[int, str]) -> Links:
    as_note = next((link for link in links if link.invoice_id == invoice.id), None)
    reversed_by = next((link for link in links if link.credited_invoice_id == invoice.id), None)
    replacing = next((link for link in links if link.replacement_invoice_id == invoice.id), None)
    session_id = invoice.session_id
    for link in (as_note, replacing):
        if session_id is None and link is not None:
            session_id = link.session_id
    if as_note is not None:
        return Links(
            session_id=session_id,
            credited_invoice_id=as_note.credited_invoice_id,
            credited_invoice_number=numbers.get(as_note.credited_invoice_id),
            replaced_by_id=as_note.replacement_invoice_id,
            reason=as_note.reason,
        )
    return Links(
        session_id=session_id,
        credit_note_id=reversed_by.invoice_id if reversed_by else None,
        credit_note_number=numbers.get(reversed_by.invoice_id) if reversed_by else None,
        replaced_by_id=reversed_by.replacement_invoice_id if reversed_by else None,
        replaces_id=replacing.credited_invoice_id if replacing else None,
        reason=reversed_by.reason if reversed_by else None,
        cancelled_at=reversed_by.created_at if reversed_by else None,
    )


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
