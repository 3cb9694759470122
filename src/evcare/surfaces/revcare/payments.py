"""RevCare payments: cash on delivery, Razorpay orders, checkout verification, webhook.

Razorpay is used when ``EVCARE_RAZORPAY_KEY_ID``/``_KEY_SECRET`` are set; otherwise a
local sandbox with Razorpay's ids and signatures answers, and
``/payment/razorpay/sandbox/checkout/{order_id}`` plays the customer's checkout.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import Field

from evcare.billing.razorpay import PaymentGateway, gateway_for
from evcare.core.errors import BusinessRuleViolation
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import bookings
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.ids import BookingId, OrderId, PaymentId
from evcare.surfaces.revcare.booking_schemas import BookingOut, PaymentOut, PaymentResult
from evcare.surfaces.revcare.schemas import RevIn, RevModel

router = APIRouter(prefix="/payment", tags=["payment"], route_class=TransactionalRoute)

PaymentsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PAYMENTS))]
PaymentsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_PAYMENTS))]
MAX_WEBHOOK_BYTES = 256 * 1024


async def _gateway(runtime: RuntimeDep) -> PaymentGateway:
    return gateway_for(runtime.settings)


Gateway = Annotated[PaymentGateway, Depends(_gateway)]


class VerifyIn(RevIn):
    razorpay_order_id: OrderId
    razorpay_payment_id: PaymentId
    razorpay_signature: str = Field(min_length=1, max_length=128)
    booking_id: BookingId | None = None


class CheckoutOptions(RevModel):
    """Exactly what Razorpay Checkout takes: amount in paise."""

    key: str
    amount: int
    currency: str
    order_id: str
    name: str = "EVCare RevCare"


class OrderOut(RevModel):
    message: str
    checkout: CheckoutOptions
    payment: PaymentOut
    booking: BookingOut


class SandboxCheckoutOut(RevModel):
    razorpay_order_id: str
    razorpay_payment_id: str
    razorpay_signature: str


class CodIn(RevIn):
    booking_id: BookingId


class WebhookOut(RevModel):
    status: str
    event: str


@router.post("/cash-on-delivery/{booking_id}", operation_id="revcare_reserve_cod")
async def reserve_cash_on_delivery(
    booking_id: BookingId, principal: PaymentsWrite, session: SessionDep
) -> PaymentResult:
    """Pay in cash when the vehicle is delivered (replaces an unpaid online order)."""
    payment, view = await bookings.reserve_cash_on_delivery(
        session, principal, booking_id=booking_id
    )
    return PaymentResult(
        message="Cash on delivery reserved",
        payment=PaymentOut.of(payment),
        booking=BookingOut.of(view),
    )


@router.post("/verify-cod", operation_id="revcare_verify_cod")
async def verify_cash_on_delivery(
    body: CodIn, principal: PaymentsManage, session: SessionDep
) -> PaymentResult:
    """An admin or the assigned mechanic confirms the cash was collected."""
    payment, view = await bookings.confirm_cash_collected(
        session, principal, booking_id=body.booking_id
    )
    return PaymentResult(
        message="Cash payment confirmed",
        payment=PaymentOut.of(payment),
        booking=BookingOut.of(view),
    )


@router.post("/razorpay/order/{booking_id}", operation_id="revcare_create_razorpay_order")
async def create_razorpay_order(
    booking_id: BookingId, principal: PaymentsWrite, session: SessionDep, gateway: Gateway
) -> OrderOut:
    """A Razorpay order for the booking total (GST included); reused while unpaid."""
    payment, view = await bookings.open_online_payment(
        session, principal, gateway, booking_id=booking_id
    )
    assert payment.provider_order_id is not None
    return OrderOut(
        message="Order created",
        checkout=CheckoutOptions(
            key=gateway.key_id,
            amount=payment.amount_minor,
            currency=payment.currency,
            order_id=payment.provider_order_id,
        ),
        payment=PaymentOut.of(payment),
        booking=BookingOut.of(view),
    )


@router.post("/verify", operation_id="revcare_verify_payment")
async def verify_payment(
    body: VerifyIn, principal: PaymentsWrite, session: SessionDep, gateway: Gateway
) -> PaymentResult:
    """Checks Razorpay Checkout's signature over our stored ``order_id|payment_id``."""
    payment, view = await bookings.verify_online_payment(
        session,
        principal,
        gateway,
        order_id=body.razorpay_order_id,
        payment_id=body.razorpay_payment_id,
        signature=body.razorpay_signature,
        booking_id=body.booking_id,
    )
    return PaymentResult(
        message="Payment verified", payment=PaymentOut.of(payment), booking=BookingOut.of(view)
    )


@router.post("/razorpay/webhook", operation_id="revcare_razorpay_webhook")
async def razorpay_webhook(
    request: Request,
    session: SessionDep,
    gateway: Gateway,
    x_razorpay_signature: Annotated[str | None, Header(max_length=256)] = None,
    x_razorpay_event_id: Annotated[str | None, Header(max_length=100)] = None,
) -> WebhookOut:
    """Razorpay's notice (``payment.captured``, ``order.paid``): the signature is checked
    over the raw body, and a repeated event id changes nothing."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        raise BusinessRuleViolation("Webhook body too large")
    outcome = await bookings.receive_payment_webhook(
        session, gateway, body=body, signature=x_razorpay_signature, event_id=x_razorpay_event_id
    )
    return WebhookOut(status="duplicate" if outcome.duplicate else "ok", event=outcome.event_type)


@router.post("/razorpay/sandbox/checkout/{order_id}", operation_id="revcare_sandbox_checkout")
async def sandbox_checkout(
    order_id: OrderId, principal: PaymentsWrite, session: SessionDep, gateway: Gateway
) -> SandboxCheckoutOut:
    """Local sandbox only (no Razorpay keys): pay an order as Checkout would."""
    payment_id, signature = await bookings.sandbox_checkout(
        session, principal, gateway, order_id=order_id
    )
    return SandboxCheckoutOut(
        razorpay_order_id=order_id, razorpay_payment_id=payment_id, razorpay_signature=signature
    )
