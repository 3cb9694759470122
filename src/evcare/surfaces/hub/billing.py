"""HUB.md "Subscriptions, usage, Paystack", second half: an integration's monthly
invoices and paying them through Paystack (initialize, verify, Paystack's webhook)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from pydantic import EmailStr, Field

from evcare.billing.hub_invoice_models import HubInvoice
from evcare.billing.paystack import Paystack, paystack_for
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import invoices, paystack_billing
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.hub.schemas import (
    HubModel,
    IntegrationIdPath,
    Paged,
    PaginationOut,
    StrictHubModel,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import HubInvoiceId

router = APIRouter(prefix="/integrations", tags=["billing"], route_class=IdempotentRoute)

BillingRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SUBSCRIPTION))]
_pay = Authenticator(Scope.WRITE_SUBSCRIPTION)
BillingPay = Annotated[Principal, Depends(_pay)]
# Money moves: a call without Idempotency-Key is refused (400 IDEMPOTENCY_KEY_REQUIRED).
_once = idempotent(_pay, required=True)
InvoiceIdPath = Annotated[HubInvoiceId, Path(alias="invoiceId", description="inv_...")]
ReferencePath = Annotated[
    str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.=-]+$", description="ours")
]
# ISO 4217, as Paystack takes it (GHS, NGN, ZAR, KES, USD).
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
# Minor units; Paystack's ceiling is far below this.
Amount = Annotated[int, Field(gt=0, le=10**12)]


def _paystack(runtime: RuntimeDep) -> Paystack:
    return paystack_for(runtime.settings)


PaystackDep = Annotated[Paystack, Depends(_paystack)]


class InvoiceOut(HubModel):
    id: str
    number: str
    integration_id: str
    month: str
    status: Literal["open", "paid"]
    plan_id: str
    plan_name: str
    currency: str
    # Minor units of ``currency``.
    monthly_fee: int
    calls: int
    included_calls: int
    overage: int
    total: int
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, invoice: HubInvoice) -> InvoiceOut:
        return cls(
            id=invoice.id,
            number=invoice.number,
            integration_id=invoice.integration_id,
            month=invoice.month,
            status=invoice.status,
            plan_id=invoice.plan_id,
            plan_name=invoice.plan_name,
            currency=invoice.currency,
            monthly_fee=invoice.fee_minor,
            calls=invoice.calls,
            included_calls=invoice.included_calls,
            overage=invoice.overage_minor,
            total=invoice.total_minor,
            created_at=invoice.created_at,
            paid_at=invoice.paid_at,
        )


class InitializeIn(StrictHubModel):
    email: Annotated[EmailStr, Field(max_length=254)]
    amount: Amount
    currency: Currency
    invoice_id: HubInvoiceId | None = None


class InitializeOut(HubModel):
    authorization_url: str
    access_code: str
    reference: str


class VerifyOut(HubModel):
    reference: str
    # Ours: initialized (not paid yet), success, or mismatch (Paystack took another
    # amount or currency; nothing credited).
    status: Literal["initialized", "success", "mismatch"]
    paystack_status: str
    amount: int
    currency: str
    invoice: InvoiceOut | None


class PaystackWebhookOut(HubModel):
    received: bool
    credited: bool


@router.get("/{integrationId}/invoices", operation_id="hub_list_invoices")
async def list_invoices(
    integration_id: IntegrationIdPath, principal: BillingRead, session: SessionDep, page: Pagination
) -> Paged[InvoiceOut]:
    """The integration's monthly invoices, newest month first."""
    found = await invoices.list_invoices(session, principal, integration_id, page)
    return Paged(
        data=[InvoiceOut.of(item) for item in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get("/{integrationId}/invoices/{invoiceId}", operation_id="hub_get_invoice")
async def get_invoice(
    integration_id: IntegrationIdPath,
    invoice_id: InvoiceIdPath,
    principal: BillingRead,
    session: SessionDep,
) -> InvoiceOut:
    return InvoiceOut.of(await invoices.get_invoice(session, principal, integration_id, invoice_id))


@router.post(
    "/{integrationId}/billing/paystack/initialize",
    operation_id="hub_paystack_initialize",
    dependencies=[_once],
)
async def paystack_initialize(
    integration_id: IntegrationIdPath,
    body: InitializeIn,
    principal: BillingPay,
    session: SessionDep,
    paystack: PaystackDep,
) -> InitializeOut:
    """Start a Paystack payment; send the payer to ``authorizationUrl``. With an
    ``invoiceId``, ``amount`` and ``currency`` must be the invoice's."""
    started = await paystack_billing.initialize(
        session,
        principal,
        integration_id,
        paystack,
        email=body.email,
        amount_minor=body.amount,
        currency=body.currency,
        invoice_id=body.invoice_id,
    )
    return InitializeOut(
        authorization_url=started.authorization_url,
        access_code=started.access_code,
        reference=started.reference,
    )


@router.get(
    "/{integrationId}/billing/paystack/verify/{reference}", operation_id="hub_paystack_verify"
)
async def paystack_verify(
    integration_id: IntegrationIdPath,
    reference: ReferencePath,
    principal: BillingPay,
    session: SessionDep,
    paystack: PaystackDep,
) -> VerifyOut:
    """Ask Paystack about the transaction; a success for the initialized amount and
    currency pays its invoice (once)."""
    settled = await paystack_billing.verify(
        session, principal, integration_id, paystack, reference=reference
    )
    payment = settled.payment
    return VerifyOut(
        reference=payment.reference,
        status=payment.status,
        paystack_status=settled.provider_status,
        amount=payment.amount_minor,
        currency=payment.currency,
        invoice=None if settled.invoice is None else InvoiceOut.of(settled.invoice),
    )


@router.post("/billing/paystack/webhook", operation_id="hub_paystack_webhook")
async def paystack_webhook(
    request: Request,
    session: SessionDep,
    paystack: PaystackDep,
    signature: Annotated[str | None, Header(alias="x-paystack-signature", max_length=256)] = None,
) -> PaystackWebhookOut:
    """Paystack's event (no token: ``x-paystack-signature`` is HMAC-SHA512 of the raw
    body). The transaction is verified with Paystack before anything is credited."""
    credited = await paystack_billing.webhook(
        session, paystack, body=await request.body(), signature=signature
    )
    return PaystackWebhookOut(received=True, credited=credited)
