"""EV-CMS section 2, Wallet Management (``/api/v1/profile/wallet``).

A top-up is paid through Razorpay (or the local sandbox without keys): ``POST /topup``
opens a pending credit and answers Checkout's options; the client completes it with
``POST /topup/verify`` and Checkout's three ``razorpay_*`` values, or Razorpay's webhook
(``POST /payment/razorpay/webhook``) does. Either credits the top-up exactly once.
``topup`` and ``pay`` accept an ``Idempotency-Key`` header.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.billing import wallet
from evcare.billing.razorpay import PaymentGateway, gateway_for
from evcare.billing.wallet_models import WalletEntry
from evcare.charging.sessions import payments as session_payments
from evcare.core.money import Money, major_number
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import OrderId, PaymentId, SessionId
from evcare.surfaces.money import MoneyIn

router = APIRouter(prefix="/profile/wallet", tags=["wallet"], route_class=IdempotentRoute)

_read = Authenticator(Scope.READ_WALLET)
_write = Authenticator(Scope.WRITE_WALLET)
WalletRead = Annotated[Principal, Depends(_read)]
WalletWrite = Annotated[Principal, Depends(_write)]


def _gateway(runtime: RuntimeDep) -> PaymentGateway:
    return gateway_for(runtime.settings)


Gateway = Annotated[PaymentGateway, Depends(_gateway)]


class WalletOut(CamelModel):
    balance: float | int
    currency: str

    @classmethod
    def of(cls, balance: Money) -> WalletOut:
        return cls(
            balance=major_number(balance.amount_minor, balance.currency), currency=balance.currency
        )


class TransactionOut(CamelModel):
    """The seed's Transaction; ``balanceAfter`` is null until a pending top-up is paid."""

    id: str
    type: Literal["credit", "debit"]
    amount: float | int
    description: str
    balance_after: float | int | None
    status: Literal["completed", "pending", "failed"]
    session_id: str | None = None
    created_at: datetime

    @classmethod
    def of(cls, entry: WalletEntry) -> TransactionOut:
        after = entry.balance_after_minor
        return cls(
            id=str(entry.id),
            type=entry.type,
            amount=major_number(entry.amount_minor, entry.currency),
            description=entry.description,
            balance_after=None if after is None else major_number(after, entry.currency),
            status=entry.status,
            session_id=None if entry.session_id is None else str(entry.session_id),
            created_at=entry.created_at,
        )


class WalletBody(CamelModel):
    balance: float | int
    currency: str
    transactions: list[TransactionOut]


class PostingBody(CamelModel):
    wallet: WalletOut
    transaction: TransactionOut


class CheckoutOut(CamelModel):
    """What Razorpay Checkout takes (``amount`` in paise, as Checkout wants it)."""

    key: str
    amount: int
    currency: str
    order_id: str
    name: str = "EVCare"


class TopupBody(PostingBody):
    checkout: CheckoutOut


class TransactionsBody(CamelModel):
    transactions: list[TransactionOut]


class TopupIn(MoneyIn, StrictCamelModel):
    payment_method: Literal["razorpay", "upi", "card", "netbanking", "wallet"] = Field(
        description="How the driver pays Razorpay Checkout"
    )


class VerifyIn(StrictCamelModel):
    """Checkout's handler values, as Razorpay names them (camelCase accepted too)."""

    razorpay_order_id: OrderId
    razorpay_payment_id: PaymentId
    razorpay_signature: str = Field(min_length=1, max_length=128)


class PayIn(MoneyIn, StrictCamelModel):
    description: str = Field(min_length=1, max_length=200)
    session_id: SessionId | None = Field(default=None, description="A charging session to pay")


class SandboxCheckoutOut(CamelModel):
    razorpay_order_id: str
    razorpay_payment_id: str
    razorpay_signature: str


def _posting(posting: wallet.Posting) -> PostingBody:
    return PostingBody(
        wallet=WalletOut.of(posting.balance), transaction=TransactionOut.of(posting.entry)
    )


@router.get("", operation_id="cms_get_wallet")
async def get_wallet(
    principal: WalletRead,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100, description="recent transactions")] = 10,
) -> Envelope[WalletBody]:
    """The balance and the most recent transactions, newest first."""
    view = await wallet.wallet_view(session, principal, limit=limit)
    return Envelope(
        data=WalletBody(
            balance=major_number(view.balance.amount_minor, view.balance.currency),
            currency=view.balance.currency,
            transactions=[TransactionOut.of(entry) for entry in view.entries],
        )
    )


@router.post("/topup", operation_id="cms_wallet_topup", dependencies=[idempotent(_write)])
async def topup(
    body: TopupIn, principal: WalletWrite, session: SessionDep, gateway: Gateway
) -> Envelope[TopupBody]:
    """A pending top-up and the Razorpay order to pay it; credited once it is verified."""
    opened = await wallet.open_topup(
        session, gateway, principal, amount=body.money(), method=body.payment_method
    )
    assert opened.payment.provider_order_id is not None
    return Envelope(
        message="Top-up created: complete the payment, then verify it",
        data=TopupBody(
            wallet=WalletOut.of(opened.balance),
            transaction=TransactionOut.of(opened.entry),
            checkout=CheckoutOut(
                key=gateway.key_id,
                amount=opened.payment.amount_minor,
                currency=opened.payment.currency,
                order_id=opened.payment.provider_order_id,
            ),
        ),
    )


@router.post("/topup/verify", operation_id="cms_wallet_topup_verify")
async def verify_topup(
    body: VerifyIn, principal: WalletWrite, session: SessionDep, gateway: Gateway
) -> Envelope[PostingBody]:
    """Checks Checkout's signature over our stored ``order_id|payment_id``, then credits."""
    posting = await wallet.verify_topup(
        session,
        gateway,
        principal,
        order_id=body.razorpay_order_id,
        payment_id=body.razorpay_payment_id,
        signature=body.razorpay_signature,
    )
    return Envelope(message="Top-up credited", data=_posting(posting))


@router.post("/topup/sandbox-checkout/{order_id}", operation_id="cms_wallet_topup_sandbox_checkout")
async def sandbox_checkout(
    order_id: OrderId,
    principal: WalletWrite,
    session: SessionDep,
    gateway: Gateway,
) -> Envelope[SandboxCheckoutOut]:
    """Local sandbox only (no Razorpay keys): pay a top-up order as Checkout would."""
    payment_id, signature = await wallet.sandbox_checkout(
        session, gateway, principal, order_id=order_id
    )
    return Envelope(
        data=SandboxCheckoutOut(
            razorpay_order_id=order_id,
            razorpay_payment_id=payment_id,
            razorpay_signature=signature,
        )
    )


@router.post("/pay", operation_id="cms_wallet_pay", dependencies=[idempotent(_write)])
async def pay(body: PayIn, principal: WalletWrite, session: SessionDep) -> Envelope[PostingBody]:
    """Pay from the wallet; with ``sessionId`` the session's exact cost, once."""
    if body.session_id is None:
        posting = await wallet.pay(
            session, principal, amount=body.money(), description=body.description
        )
    else:
        posting = await session_payments.pay_from_wallet(
            session,
            principal,
            session_id=body.session_id,
            amount=body.money(),
            description=body.description,
        )
    return Envelope(message="Payment successful", data=_posting(posting))


@router.get("/transactions", operation_id="cms_wallet_transactions")
async def transactions(
    principal: WalletRead,
    session: SessionDep,
    page: Pagination,
    type: Annotated[Literal["credit", "debit"] | None, Query()] = None,
) -> PagedEnvelope[TransactionsBody]:
    result = await wallet.list_entries(session, principal, page, entry_type=type)
    return PagedEnvelope(
        data=TransactionsBody(transactions=[TransactionOut.of(entry) for entry in result.items]),
        pagination=PaginationOut.of(result),  # type: ignore[arg-type]
    )
