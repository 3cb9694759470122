"""Payments for anything payable (a service booking today): online orders through a
gateway, cash on delivery, signature checks and webhooks. Every call is idempotent: a
repeated request answers the payment already recorded and changes nothing.

Callers (the booking rules) decide who may pay what and how much; this module keeps
the ledger honest: amounts in minor units, one captured payment per reference, and
signatures checked against the order id *we* stored, never one the client sends alone.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payment_repository as repository
from evcare.billing.payment_models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    PaymentWebhookEvent,
)
from evcare.billing.razorpay import PaymentGateway, signatures_match
from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, NotFound, Unauthorized
from evcare.core.events import publish
from evcare.core.money import Money

CAPTURING_EVENTS = {"payment.captured", "order.paid"}
FAILING_EVENT = "payment.failed"
# Published when a payer's attempt failed (the partner webhook ``payment.failed``).
PAYMENT_FAILED = "billing.payment_failed"

CaptureHandler = Callable[[AsyncSession, Payment], Awaitable[None]]
_capture_handlers: dict[str, CaptureHandler] = {}


def on_capture(reference_type: str, handler: CaptureHandler) -> None:
    """Run ``handler`` in the capturing transaction each time an online payment for
    ``reference_type`` is newly captured, whichever way it was (verify call or webhook)."""
    _capture_handlers[reference_type] = handler


@dataclass(frozen=True)
class Capture:
    payment: Payment
    newly_captured: bool


@dataclass(frozen=True)
class Reference:
    type: str
    id: int


def _captured(payments: list[Payment]) -> Payment | None:
    return next((p for p in payments if p.status == PaymentStatus.CAPTURED), None)


def _refuse_if_paid(payments: list[Payment]) -> None:
    if _captured(payments) is not None:
        raise Conflict("Already paid")


async def open_online_order(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    reference: Reference,
    payer_id: int,
    amount_minor: int,
    currency: str,
    receipt: str,
) -> Payment:
    """An order for ``amount_minor``; the open one is reused while the amount stands."""
    payments = await repository.payments_for(session, reference.type, reference.id)
    _refuse_if_paid(payments)
    for payment in payments:
        if payment.method == PaymentMethod.ONLINE and payment.status == PaymentStatus.CREATED:
            if (
                payment.provider == gateway.name
                and payment.amount_minor == amount_minor
                and payment.currency == currency
            ):
                return payment
            payment.status = PaymentStatus.CANCELLED
    order = await gateway.create_order(
        amount_minor=amount_minor,
        currency=currency,
        receipt=receipt,
        notes={"reference_type": reference.type, "reference_id": str(reference.id)},
    )
    if order.amount_minor != amount_minor or order.currency != currency:
        raise Conflict("The payment provider answered a different amount; order not used")
    return await _add(
        session,
        Payment(
            provider=gateway.name,
            method=PaymentMethod.ONLINE,
            provider_order_id=order.id,
            status=PaymentStatus.CREATED,
        ),
        reference=reference,
        payer_id=payer_id,
        amount=Money(amount_minor, currency),
    )


async def _add(
    session: AsyncSession, payment: Payment, *, reference: Reference, payer_id: int, amount: Money
) -> Payment:
    payment.reference_type = reference.type
    payment.reference_id = reference.id
    payment.payer_id = payer_id
    payment.amount_minor = amount.amount_minor
    payment.currency = amount.currency
    session.add(payment)
    await session.flush()
    return payment


async def reserve_cash(
    session: AsyncSession,
    *,
    reference: Reference,
    payer_id: int,
    amount_minor: int,
    currency: str,
) -> Payment:
    """Promise cash on delivery for ``amount_minor`` (open online orders are dropped)."""
    payments = await repository.payments_for(session, reference.type, reference.id)
    _refuse_if_paid(payments)
    reserved: Payment | None = None
    for payment in payments:
        if payment.status not in (PaymentStatus.CREATED, PaymentStatus.RESERVED):
            continue
        if payment.method == PaymentMethod.COD and reserved is None:
            reserved = payment
        else:
            payment.status = PaymentStatus.CANCELLED
    if reserved is not None:
        reserved.amount_minor = amount_minor
        reserved.currency = currency
        await session.flush()
        return reserved
    return await _add(
        session,
        Payment(provider="cash", method=PaymentMethod.COD, status=PaymentStatus.RESERVED),
        reference=reference,
        payer_id=payer_id,
        amount=Money(amount_minor, currency),
    )


async def collect_cash(
    session: AsyncSession, *, reference: Reference, collected_by: int, amount_minor: int
) -> Capture:
    """Record the cash as collected; a second confirmation answers the first."""
    payments = await repository.payments_for(session, reference.type, reference.id)
    captured = _captured(payments)
    if captured is not None:
        if captured.method != PaymentMethod.COD:
            raise Conflict("Already paid online")
        return Capture(captured, newly_captured=False)
    reserved = next(
        (
            p
            for p in payments
            if p.method == PaymentMethod.COD and p.status == PaymentStatus.RESERVED
        ),
        None,
    )
    if reserved is None:
        raise Conflict("Cash on delivery was not chosen for this booking")
    reserved.amount_minor = amount_minor
    reserved.status = PaymentStatus.CAPTURED
    reserved.collected_by = collected_by
    reserved.captured_at = utcnow()
    await session.flush()
    return Capture(reserved, newly_captured=True)


async def cancel_open(session: AsyncSession, *, reference: Reference) -> None:
    """Drop open orders and cash promises of something no longer payable."""
    for payment in await repository.payments_for(session, reference.type, reference.id):
        if payment.status in (PaymentStatus.CREATED, PaymentStatus.RESERVED):
            payment.status = PaymentStatus.CANCELLED
    await session.flush()


async def order_reference(session: AsyncSession, provider_order_id: str) -> Reference | None:
    """What an order we created pays for (None for an order that is not ours)."""
    found = await repository.reference_of_order(session, provider_order_id)
    return None if found is None else Reference(*found)


async def latest_payments(
    session: AsyncSession, reference_type: str, reference_ids: list[int]
) -> dict[int, Payment]:
    return await repository.latest_payments(session, reference_type, reference_ids)


async def verify_checkout(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    order_id: str,
    payment_id: str,
    signature: str,
) -> Capture:
    """Check ``HMAC(order_id|payment_id)`` for an order we created, and capture it."""
    payment = await repository.payment_by_order(session, order_id)
    if payment is None or payment.provider != gateway.name:
        raise NotFound(f"Order {order_id} not found")
    assert payment.provider_order_id is not None
    expected = gateway.payment_signature(payment.provider_order_id, payment_id)
    if not signatures_match(expected, signature):
        raise BusinessRuleViolation("Payment signature verification failed")
    return await _capture_online(session, payment, payment_id)


async def _capture_online(session: AsyncSession, payment: Payment, payment_id: str) -> Capture:
    if payment.status == PaymentStatus.CAPTURED:
        if payment.provider_payment_id == payment_id:
            return Capture(payment, newly_captured=False)
        raise Conflict("This order was already paid by another payment")
    others = await repository.payments_for(session, payment.reference_type, payment.reference_id)
    if _captured(others) is not None:
        raise Conflict("Already paid")
    payment.status = PaymentStatus.CAPTURED
    payment.provider_payment_id = payment_id
    payment.captured_at = utcnow()
    await session.flush()
    handler = _capture_handlers.get(payment.reference_type)
    if handler is not None:
        await handler(session, payment)
    return Capture(payment, newly_captured=True)


@dataclass(frozen=True)
class WebhookOutcome:
    duplicate: bool
    event_type: str
    capture: Capture | None


async def _announce_failure(
    session: AsyncSession, gateway: PaymentGateway, data: dict[str, Any]
) -> None:
    """A payment attempt failed: the order stays open (the payer may try again), and the
    failure is published (partner webhook ``payment.failed``). Not ours: ignored."""
    entity = data.get("payload", {}).get("payment", {}).get("entity", {})
    order_id = entity.get("order_id")
    if not isinstance(order_id, str):
        return
    payment = await repository.payment_by_order(session, order_id)
    if payment is None or payment.provider != gateway.name or payment.payer_id is None:
        return
    await publish(
        session,
        PAYMENT_FAILED,
        {
            "userId": payment.payer_id,
            "paymentId": payment.id,
            "amountMinor": payment.amount_minor,
            "currency": payment.currency,
            "reason": str(entity.get("error_description") or "")[:200],
        },
    )


async def receive_webhook(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    body: bytes,
    signature: str | None,
    event_id: str | None,
    lock_reference: Callable[[Reference], Awaitable[None]] | None = None,
) -> WebhookOutcome:
    """A Razorpay webhook: signature over the raw body, deduplicated by event id.

    ``lock_reference`` locks what the payment is for before the payment row is locked, the
    same order every other payment step takes (so two of them never deadlock)."""
    if not signature or not signatures_match(gateway.webhook_signature(body), signature):
        raise Unauthorized("Webhook signature verification failed")
    try:
        data: dict[str, Any] = json.loads(body)
    except ValueError as error:
        raise BusinessRuleViolation("Webhook body is not JSON") from error
    event_type = str(data.get("event", ""))[:60]
    if not event_id:
        raise BusinessRuleViolation("x-razorpay-event-id header missing")
    record = PaymentWebhookEvent(
        provider=gateway.name, event_id=event_id[:100], event_type=event_type, payload=data
    )
    if not await repository.add_webhook_event(session, record):
        return WebhookOutcome(duplicate=True, event_type=event_type, capture=None)
    if event_type == FAILING_EVENT:
        await _announce_failure(session, gateway, data)
        return WebhookOutcome(duplicate=False, event_type=event_type, capture=None)
    if event_type not in CAPTURING_EVENTS:
        return WebhookOutcome(duplicate=False, event_type=event_type, capture=None)
    entity = data.get("payload", {}).get("payment", {}).get("entity", {})
    order_id, payment_id = entity.get("order_id"), entity.get("id")
    if not isinstance(order_id, str) or not isinstance(payment_id, str):
        raise BusinessRuleViolation("Webhook payment entity lacks order_id or id")
    reference = await order_reference(session, order_id)
    if reference is not None and lock_reference is not None:
        await lock_reference(reference)
    payment = await repository.payment_by_order(session, order_id)
    if payment is None or payment.provider != gateway.name:
        # Not ours (another integration on the same account): acknowledged, ignored.
        return WebhookOutcome(duplicate=False, event_type=event_type, capture=None)
    if int(entity.get("amount", -1)) != payment.amount_minor:
        raise BusinessRuleViolation("Webhook amount differs from the order")
    capture = await _capture_online(session, payment, payment_id)
    record.payment_id = payment.id
    await session.flush()
    return WebhookOutcome(duplicate=False, event_type=event_type, capture=capture)
