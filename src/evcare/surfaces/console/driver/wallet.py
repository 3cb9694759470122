"""``/app/wallet``: the driver's balance and transactions, and a top-up paid through
Razorpay Checkout, over the same services as ``/api/v1/wallet``.

A top-up opens a pending entry and its Razorpay order (``POST /app/wallet/topup``), then
shows the checkout. In development without Razorpay keys the checkout is the local
sandbox's (``POST /app/wallet/checkout/<order>``): it hands back a payment id and
Razorpay's signature over ``order_id|payment_id`` exactly as Checkout would, and the
top-up is credited by the same signature check as ``POST /api/v1/wallet/topup/verify``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.billing import wallet
from evcare.billing.razorpay import PaymentGateway, SandboxGateway, gateway_for
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.money import Money, major_number
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.ids import OrderId
from evcare.surfaces.money import check_amount

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

ENTRIES_PER_PAGE = 20
SUGGESTED_TOPUPS = (200, 500, 1000, 2000)


def _gateway(runtime: RuntimeDep) -> PaymentGateway:
    return gateway_for(runtime.settings)


@router.get("/wallet")
async def wallet_page(
    request: Request,
    principal: DriverPage,
    session: SessionDep,
    credited: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    view = await wallet.wallet_view(session, principal, limit=1)
    entries = await wallet.list_entries(
        session, principal, PageParams(page, ENTRIES_PER_PAGE), entry_type=None
    )
    currency = view.balance.currency
    return render(
        request,
        "driver/wallet.html",
        {
            "title": "Wallet",
            "balance": major_number(view.balance.amount_minor, currency),
            "currency": currency,
            "entries": [
                {
                    "at": entry.created_at,
                    "description": entry.description,
                    "type": entry.type,
                    "status": entry.status,
                    "amount": major_number(entry.amount_minor, entry.currency),
                }
                for entry in entries.items
            ],
            "credited": credited,
            "suggested": SUGGESTED_TOPUPS,
        },
    )


class TopupForm(BaseModel):
    amount: Decimal = Field(gt=0, max_digits=12, decimal_places=2)


@router.post("/wallet/topup")
async def open_topup(
    request: Request,
    form: Annotated[TopupForm, Form()],
    principal: DriverPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The pending top-up's checkout page."""
    try:
        amount = check_amount(form.amount, "INR")
    except ValueError as error:
        raise ValidationFailed(
            f"amount {error}", fields=[FieldError("amount", str(error))]
        ) from error
    gateway = _gateway(runtime)
    opened = await wallet.open_topup(
        session, gateway, principal, amount=Money.from_major(amount, "INR"), method="razorpay"
    )
    payment = opened.payment
    return render(
        request,
        "driver/checkout.html",
        {
            "title": "Pay your top-up",
            "order_id": payment.provider_order_id,
            "amount": major_number(payment.amount_minor, payment.currency),
            "currency": payment.currency,
            "key": gateway.key_id,
            "sandbox": isinstance(gateway, SandboxGateway),
        },
    )


@router.post("/wallet/checkout/{order_id}")
async def sandbox_checkout(
    order_id: OrderId, principal: DriverPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """The sandbox's Checkout: pay the order, then credit it by its signature."""
    gateway = _gateway(runtime)
    payment_id, signature = await wallet.sandbox_checkout(
        session, gateway, principal, order_id=order_id
    )
    posting = await wallet.verify_topup(
        session,
        gateway,
        principal,
        order_id=order_id,
        payment_id=payment_id,
        signature=signature,
    )
    paid = major_number(posting.entry.amount_minor, posting.entry.currency)
    return RedirectResponse(f"/app/wallet?credited={paid}", status_code=303)
