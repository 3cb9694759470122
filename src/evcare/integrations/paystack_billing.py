"""Paying the hub through Paystack: initialize a transaction, verify it, take its webhook.

Every transaction EVCare initializes is recorded (``paystack_payment``) under a reference
of ours. Nothing is credited on a caller's word: ``verify`` and the webhook both ask
Paystack (``GET /transaction/verify/{reference}``) and an invoice is marked paid only
when Paystack says ``success`` for the amount and currency that were initialized, which
must be the invoice's. A transaction settles once (a conditional UPDATE), so a replayed
webhook, or verify and the webhook racing, credit once.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.hub_invoice_models import HubInvoice, HubInvoiceStatus, PaystackPayment
from evcare.billing.paystack import Paystack, Verified
from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, Unauthorized, ValidationFailed
from evcare.identity.principal import Principal
from evcare.integrations import invoices
from evcare.integrations.subscriptions import visible_integration

INITIALIZED = "initialized"
SUCCESS = "success"
MISMATCH = "mismatch"  # Paystack took another amount or currency: nothing credited


@dataclass(frozen=True)
class Started:
    authorization_url: str
    access_code: str
    reference: str


@dataclass(frozen=True)
class Settled:
    payment: PaystackPayment
    provider_status: str
    invoice: HubInvoice | None


async def initialize(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    paystack: Paystack,
    *,
    email: str,
    amount_minor: int,
    currency: str,
    invoice_id: str | None,
) -> Started:
    integration = await visible_integration(session, principal, integration_id)
    if invoice_id is not None:
        invoice = await invoices.get_invoice(session, principal, integration_id, invoice_id)
        if invoice.status == HubInvoiceStatus.PAID:
            raise Conflict("This invoice is paid already")
        wrong = [
            FieldError(name, f"must be the invoice's {expected}")
            for name, given, expected in (
                ("amount", amount_minor, invoice.total_minor),
                ("currency", currency, invoice.currency),
            )
            if given != expected
        ]
        if wrong:
            raise ValidationFailed("The payment does not match the invoice", fields=wrong)
    reference = f"evc_{secrets.token_hex(12)}"
    metadata = {"integrationId": integration.id, "invoiceId": invoice_id or ""}
    started = await paystack.initialize(
        email=email,
        amount_minor=amount_minor,
        currency=currency,
        reference=reference,
        metadata=metadata,
    )
    session.add(
        PaystackPayment(
            reference=reference,
            integration_id=integration.id,
            invoice_id=invoice_id,
            email=email,
            amount_minor=amount_minor,
            currency=currency,
            status=INITIALIZED,
        )
    )
    await session.flush()
    return Started(started.authorization_url, started.access_code, reference)


async def verify(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    paystack: Paystack,
    *,
    reference: str,
) -> Settled:
    integration = await visible_integration(session, principal, integration_id)
    payment = await session.get(PaystackPayment, reference)
    if payment is None or payment.integration_id != integration.id:
        raise NotFound("Payment not found")
    return await _settle(session, payment, await paystack.verify(reference))


async def webhook(
    session: AsyncSession, paystack: Paystack, *, body: bytes, signature: str | None
) -> bool:
    """Paystack's event, if its signature is ours; True when it credited something now."""
    if not paystack.signature_ok(body, signature):
        raise Unauthorized("x-paystack-signature missing or wrong")
    try:
        event: Any = json.loads(body)
        reference = str(event["data"]["reference"])
        kind = str(event["event"])
    except (ValueError, KeyError, TypeError):
        raise ValidationFailed(
            "Not a Paystack event", fields=[FieldError("data.reference", "missing")]
        ) from None
    if kind != "charge.success":
        return False
    payment = await session.get(PaystackPayment, reference[:100])
    if payment is None or payment.status != INITIALIZED:
        return False  # not ours, or settled already (a replay)
    settled = await _settle(session, payment, await paystack.verify(reference))
    return settled.payment.status == SUCCESS


async def _settle(session: AsyncSession, payment: PaystackPayment, found: Verified) -> Settled:
    """Record what Paystack says of the transaction, once, and pay its invoice."""
    if found.succeeded and payment.status == INITIALIZED:
        matches = (found.amount_minor, found.currency) == (payment.amount_minor, payment.currency)
        changed = await session.execute(
            update(PaystackPayment)
            .where(
                PaystackPayment.reference == payment.reference,
                PaystackPayment.status == INITIALIZED,
            )
            .values(status=SUCCESS if matches else MISMATCH, verified_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        await session.refresh(payment)
        if changed.rowcount and payment.status == SUCCESS and payment.invoice_id:  # type: ignore[attr-defined]
            invoice = await session.get(HubInvoice, payment.invoice_id)
            assert invoice is not None  # RESTRICT
            if (invoice.total_minor, invoice.currency) == (found.amount_minor, found.currency):
                await invoices.mark_paid(session, invoice, reference=payment.reference)
    invoice = None
    if payment.invoice_id:
        invoice = await session.get(HubInvoice, payment.invoice_id)
        if invoice is not None:
            await session.refresh(invoice)
    return Settled(payment, found.status, invoice)
