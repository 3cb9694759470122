"""EV-CMS section 8, Billing (``/api/v1/billing``): invoices and transactions.

Refunds are in :mod:`billing_refunds`, reports and the export in :mod:`billing_reports`.
A user reads their own invoices and transactions; admins (``MANAGE:BILLING``) everyone's,
create, send and cancel invoices. ``GET /invoices/{id}`` answers the PDF for ``Accept:
application/pdf`` or ``?format=pdf``. ``POST /invoices`` accepts an ``Idempotency-Key``.
Credit notes (``CN-...``) are listed and read as invoices are, ``type: "credit_note"``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import Field, field_validator

from evcare.billing import invoices, transactions
from evcare.billing.invoice_models import InvoiceItem
from evcare.billing.invoice_pdf import render_pdf
from evcare.billing.invoices import InvoiceView
from evcare.billing.transactions import Transaction
from evcare.core.ids import format_public_id
from evcare.core.mail import SmtpMailer, mailer_for
from evcare.core.money import major_number
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import InvoiceId, UserId
from evcare.surfaces.money import MajorAmount, check_amount, to_minor
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/billing", tags=["billing"], route_class=IdempotentRoute)

_read = Authenticator(Scope.READ_BILLING)
_manage = Authenticator(Scope.MANAGE_BILLING)
BillingRead = Annotated[Principal, Depends(_read)]
BillingManage = Annotated[Principal, Depends(_manage)]
CURRENCY = system_settings.DEFAULTS.currency
PDF = "application/pdf"
SESSION_PREFIX = "SES"


def _mailer(runtime: RuntimeDep) -> SmtpMailer | None:
    return mailer_for(runtime.settings)


Mailer = Annotated[SmtpMailer | None, Depends(_mailer)]


def _money(minor: int, currency: str) -> float | int:
    return major_number(minor, currency)


class InvoiceItemOut(CamelModel):
    description: str
    quantity: float | int
    rate: float | int
    amount: float | int

    @classmethod
    def of(cls, item: InvoiceItem, currency: str) -> InvoiceItemOut:
        quantity = Decimal(item.quantity_milli).scaleb(-3)
        return cls(
            description=item.description,
            quantity=int(quantity) if quantity == quantity.to_integral_value() else float(quantity),
            rate=_money(item.rate_minor, currency),
            amount=_money(item.amount_minor, currency),
        )


class InvoiceOut(CamelModel):
    """The seed's Invoice, plus ``currency``, ``taxPercentage``, ``sessionId``, and how it
    stands with the documents around it: ``type`` (``invoice`` or ``credit_note``), links
    by id and number (``creditNote*`` on a reversed invoice, ``creditedInvoice*`` on a
    credit note, ``replacedBy`` / ``replaces`` for a corrected session),
    ``cancellationReason`` and ``cancelledAt``."""

    id: str
    invoice_number: str
    user_id: str
    user_name: str
    items: list[InvoiceItemOut]
    subtotal: float | int
    tax: float | int
    tax_percentage: float | int
    total: float | int
    currency: str
    status: Literal["pending", "paid", "overdue", "cancelled"]
    due_date: date
    paid_date: datetime | None = None
    session_id: str | None = None
    created_at: datetime
    type: Literal["invoice", "credit_note"] = "invoice"
    credit_note_id: str | None = None
    credit_note_number: str | None = None
    credited_invoice_id: str | None = None
    credited_invoice_number: str | None = None
    replaced_by: str | None = None
    replaces: str | None = None
    cancellation_reason: str | None = None
    cancelled_at: datetime | None = None

    @classmethod
    def of(cls, view: InvoiceView) -> InvoiceOut:
        invoice = view.invoice
        currency = invoice.currency
        links = view.links
        session_id = links.session_id

        def key(value: int | None) -> str | None:
            return None if value is None else str(value)

        return cls(
            id=str(invoice.id),
            invoice_number=invoice.number,
            user_id=str(invoice.user_id),
            user_name=view.user_name,
            items=[InvoiceItemOut.of(item, currency) for item in view.items],
            subtotal=_money(invoice.subtotal_minor, currency),
            tax=_money(invoice.tax_minor, currency),
            tax_percentage=major_number(invoice.tax_bp, "INR"),
            total=_money(invoice.total_minor, currency),
            currency=currency,
            status=view.status,
            due_date=invoice.due_date,
            paid_date=invoice.paid_at,
            session_id=None if session_id is None else format_public_id(SESSION_PREFIX, session_id),
            created_at=invoice.created_at,
            type="credit_note" if view.is_credit_note else "invoice",
            credit_note_id=key(links.credit_note_id),
            credit_note_number=links.credit_note_number,
            credited_invoice_id=key(links.credited_invoice_id),
            credited_invoice_number=links.credited_invoice_number,
            replaced_by=key(links.replaced_by_id),
            replaces=key(links.replaces_id),
            cancellation_reason=links.reason,
            cancelled_at=links.cancelled_at,
        )


class StatusTotal(CamelModel):
    count: int
    amount: float | int


class InvoiceSummary(CamelModel):
    """Every invoice the caller may read (whatever the filter), by status; the credit
    notes apart (``creditNotes``, not in ``totalInvoices`` or ``totalAmount``)."""

    total_invoices: int
    total_amount: float | int
    currency: str
    pending: StatusTotal
    paid: StatusTotal
    overdue: StatusTotal
    cancelled: StatusTotal
    credit_notes: StatusTotal

    @classmethod
    def of(cls, summary: invoices.Summary) -> InvoiceSummary:
        def part(status: str) -> StatusTotal:
            count, amount = summary.by_status.get(status, (0, 0))
            return StatusTotal(count=count, amount=_money(amount, summary.currency))

        counts = [value for key, value in summary.by_status.items() if key != "creditNotes"]
        return cls(
            total_invoices=sum(count for count, _ in counts),
            total_amount=_money(sum(amount for _, amount in counts), summary.currency),
            currency=summary.currency,
            pending=part("pending"),
            paid=part("paid"),
            overdue=part("overdue"),
            cancelled=part("cancelled"),
            credit_notes=part("creditNotes"),
        )


class InvoicesBody(CamelModel):
    invoices: list[InvoiceOut]
    summary: InvoiceSummary


class InvoiceBody(CamelModel):
    invoice: InvoiceOut


class CancelInvoiceIn(StrictCamelModel):
    reason: str = Field(min_length=1, max_length=invoices.MAX_REASON)


class CancelledBody(CamelModel):
    invoice: InvoiceOut
    credit_note: InvoiceOut


class ItemIn(StrictCamelModel):
    description: str = Field(min_length=1, max_length=200)
    quantity: MajorAmount = Field(description="More than 0, at most 3 decimals, at most 1,000,000")
    rate: MajorAmount = Field(description="In rupees, more than 0, at most 2 decimals")

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: Decimal) -> Decimal:
        if value <= 0 or value > 1_000_000:
            raise ValueError("must be more than 0 and at most 1000000")
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -3:
            raise ValueError("must have at most 3 decimal places")
        return value

    @field_validator("rate")
    @classmethod
    def _rate(cls, value: Decimal) -> Decimal:
        return check_amount(value, CURRENCY)


class CreateInvoiceIn(StrictCamelModel):
    user_id: UserId
    items: list[ItemIn] = Field(min_length=1, max_length=invoices.MAX_ITEMS)
    due_date: IsoDate


class TransactionOut(CamelModel):
    """The seed's Transaction, plus ``userId``, ``kind`` (what moved the money),
    ``source`` (``wallet`` or ``payment``) and ``currency``."""

    id: str
    type: Literal["credit", "debit"]
    amount: float | int
    currency: str
    description: str
    balance_after: float | int | None
    status: Literal["completed", "pending", "failed"]
    session_id: str | None = None
    user_id: str
    kind: str
    source: Literal["wallet", "payment"]
    created_at: datetime

    @classmethod
    def of(cls, item: Transaction) -> TransactionOut:
        after = item.balance_after_minor
        return cls(
            id=str(item.ref),
            type=item.type,
            amount=_money(item.amount_minor, item.currency),
            currency=item.currency,
            description=item.description,
            balance_after=None if after is None else _money(after, item.currency),
            status=item.status,
            session_id=None if item.session_id is None else str(item.session_id),
            user_id=str(item.user_id),
            kind=item.kind,
            source=item.ref.source,
            created_at=item.created_at,
        )


class TransactionsBody(CamelModel):
    transactions: list[TransactionOut]


def _paged(page: Page[object]) -> PaginationOut:
    return PaginationOut.of(page)


@router.get("/invoices", operation_id="cms_list_invoices")
async def list_invoices(
    principal: BillingRead,
    session: SessionDep,
    page: Pagination,
    status: Annotated[Literal["pending", "paid", "overdue", "cancelled"] | None, Query()] = None,
) -> PagedEnvelope[InvoicesBody]:
    """Newest first, with a summary by status of every invoice the caller may read."""
    found, summary = await invoices.list_invoices(session, principal, page, status=status)
    return PagedEnvelope(
        data=InvoicesBody(
            invoices=[InvoiceOut.of(view) for view in found.items],
            summary=InvoiceSummary.of(summary),
        ),
        pagination=_paged(found),  # type: ignore[arg-type]
    )


@router.get(
    "/invoices/{invoice_id}",
    operation_id="cms_get_invoice",
    responses={200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def get_invoice(
    invoice_id: InvoiceId,
    principal: BillingRead,
    session: SessionDep,
    request: Request,
    format: Annotated[
        Literal["json", "pdf"] | None, Query(description="pdf: the invoice as a PDF file")
    ] = None,
) -> Envelope[InvoiceBody]:
    """The invoice; as a PDF with ``Accept: application/pdf`` or ``?format=pdf``."""
    view = await invoices.get_invoice(session, principal, invoice_id)
    wants_pdf = format == "pdf" or (
        format is None and PDF in request.headers.get("accept", "").lower()
    )
    if wants_pdf:
        settings = await system_settings.current(session)
        pdf = render_pdf(view, seller=settings.site_name)
        return Response(  # type: ignore[return-value]
            pdf,
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="{view.invoice.number}.pdf"'},
        )
    return Envelope(data=InvoiceBody(invoice=InvoiceOut.of(view)))


@router.post(
    "/invoices",
    status_code=201,
    operation_id="cms_create_invoice",
    dependencies=[idempotent(_manage)],
)
async def create_invoice(
    body: CreateInvoiceIn, principal: BillingManage, session: SessionDep
) -> Envelope[InvoiceBody]:
    """An admin's invoice: amounts are ``quantity x rate``, GST at the settings' rate."""
    view = await invoices.create_invoice(
        session,
        principal,
        user_id=body.user_id,
        items=[
            invoices.ItemDraft(
                description=item.description,
                quantity_milli=int(item.quantity.scaleb(3)),
                rate_minor=to_minor(item.rate, CURRENCY),
            )
            for item in body.items
        ],
        due_date=body.due_date,
    )
    return Envelope(message="Invoice created", data=InvoiceBody(invoice=InvoiceOut.of(view)))


@router.post("/invoices/{invoice_id}/send", operation_id="cms_send_invoice")
async def send_invoice(
    invoice_id: InvoiceId, principal: BillingManage, session: SessionDep, mailer: Mailer
) -> Done:
    """Email the invoice, with its PDF, to its user (SMTP)."""
    await invoices.send_invoice(session, principal, mailer, invoice_id)
    return Done()


@router.put("/invoices/{invoice_id}/cancel", operation_id="cms_cancel_invoice")
async def cancel_invoice(
    invoice_id: InvoiceId, body: CancelInvoiceIn, principal: BillingManage, session: SessionDep
) -> Envelope[CancelledBody]:
    """Cancel an unpaid invoice with a reason: a credit note (``CN-...``) reverses it and the
    invoice stays, ``cancelled``. A paid one is refunded instead (409)."""
    invoice, note = await invoices.cancel_invoice(
        session, principal, invoice_id=invoice_id, reason=body.reason
    )
    return Envelope(
        message="Invoice cancelled",
        data=CancelledBody(invoice=InvoiceOut.of(invoice), credit_note=InvoiceOut.of(note)),
    )


@router.get("/transactions", operation_id="cms_billing_transactions")
async def list_transactions(
    principal: BillingRead,
    session: SessionDep,
    page: Pagination,
    type: Annotated[Literal["credit", "debit"] | None, Query()] = None,
    status: Annotated[Literal["completed", "pending", "failed"] | None, Query()] = None,
) -> PagedEnvelope[TransactionsBody]:
    """Wallet entries and online payments, newest first."""
    found = await transactions.list_transactions(
        session, principal, page, entry_type=type, status=status
    )
    return PagedEnvelope(
        data=TransactionsBody(transactions=[TransactionOut.of(item) for item in found.items]),
        pagination=_paged(found),  # type: ignore[arg-type]
    )
