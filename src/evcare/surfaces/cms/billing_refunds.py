"""EV-CMS section 8, Billing: refunds (``/api/v1/billing/refunds``).

A user asks for at most the refundable rest of one of their own transactions (a wallet
transaction's id, or ``PAY000012`` for an online payment); an admin approves it (credited
to the wallet, or returned through Razorpay) or rejects it, with notes. ``POST /refunds``
accepts an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.billing import refunds
from evcare.billing.razorpay import PaymentGateway, gateway_for
from evcare.billing.refund_models import Refund
from evcare.billing.refunds import TransactionRef
from evcare.core.errors import Unavailable
from evcare.core.money import major_number
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
from evcare.surfaces.ids import RefundId
from evcare.surfaces.ids import TransactionRef as TransactionRefIn
from evcare.surfaces.money import MoneyIn

router = APIRouter(prefix="/billing/refunds", tags=["billing"], route_class=IdempotentRoute)

_read = Authenticator(Scope.READ_BILLING)
_write = Authenticator(Scope.WRITE_BILLING)
_manage = Authenticator(Scope.MANAGE_BILLING)
RefundsRead = Annotated[Principal, Depends(_read)]
RefundsWrite = Annotated[Principal, Depends(_write)]
RefundsManage = Annotated[Principal, Depends(_manage)]
Status = Literal["pending", "approved", "rejected"]


def _gateway(runtime: RuntimeDep) -> PaymentGateway | None:
    """The payment provider, or None where none is configured (a wallet refund needs none)."""
    try:
        return gateway_for(runtime.settings)
    except Unavailable:
        return None


Gateway = Annotated[PaymentGateway | None, Depends(_gateway)]


class RefundOut(CamelModel):
    id: str
    transaction_id: str
    user_id: str
    amount: float | int
    currency: str
    reason: str
    status: Status
    method: Literal["wallet", "provider"]
    admin_notes: str | None
    provider_refund_id: str | None
    processed_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(
            id=str(refund.id),
            transaction_id=str(refunds.refund_reference(refund)),
            user_id=str(refund.user_id),
            amount=major_number(refund.amount_minor, refund.currency),
            currency=refund.currency,
            reason=refund.reason,
            status=refund.status,
            method=refund.method,
            admin_notes=refund.admin_notes,
            provider_refund_id=refund.provider_refund_id,
            processed_at=refund.processed_at,
            created_at=refund.created_at,
        )


class RefundBody(CamelModel):
    refund: RefundOut


class RefundsBody(CamelModel):
    refunds: list[RefundOut]


class RequestIn(MoneyIn, StrictCamelModel):
    transaction_id: TransactionRefIn
    reason: str = Field(min_length=1, max_length=500)


class ProcessIn(StrictCamelModel):
    status: Literal["approved", "rejected"]
    admin_notes: str | None = Field(default=None, max_length=1000)


@router.get("", operation_id="cms_list_refunds")
async def list_refunds(
    principal: RefundsRead,
    session: SessionDep,
    page: Pagination,
    status: Annotated[Status | None, Query()] = None,
) -> PagedEnvelope[RefundsBody]:
    """Newest first: a user's own, an admin's every one."""
    found = await refunds.list_refunds(session, principal, page, status=status)
    return PagedEnvelope(
        data=RefundsBody(refunds=[RefundOut.of(refund) for refund in found.items]),
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.post(
    "", status_code=201, operation_id="cms_request_refund", dependencies=[idempotent(_write)]
)
async def request_refund(
    body: RequestIn, principal: RefundsWrite, session: SessionDep
) -> Envelope[RefundBody]:
    """Ask for a refund of (part of) one of your transactions."""
    source, key = body.transaction_id
    refund = await refunds.request_refund(
        session,
        principal,
        transaction=TransactionRef(source, key),
        amount=body.money(),
        reason=body.reason,
    )
    return Envelope(message="Refund requested", data=RefundBody(refund=RefundOut.of(refund)))


@router.get("/{refund_id}", operation_id="cms_get_refund")
async def get_refund(
    refund_id: RefundId, principal: RefundsRead, session: SessionDep
) -> Envelope[RefundBody]:
    refund = await refunds.get_refund(session, principal, refund_id)
    return Envelope(data=RefundBody(refund=RefundOut.of(refund)))


@router.put("/{refund_id}/process", operation_id="cms_process_refund")
async def process_refund(
    refund_id: RefundId,
    body: ProcessIn,
    principal: RefundsManage,
    session: SessionDep,
    gateway: Gateway,
) -> Envelope[RefundBody]:
    """Approve (pays it out) or reject a pending refund."""
    refund = await refunds.process_refund(
        session,
        gateway,
        principal,
        refund_id=refund_id,
        approve=body.status == "approved",
        admin_notes=body.admin_notes,
    )
    return Envelope(message=f"Refund {refund.status}", data=RefundBody(refund=RefundOut.of(refund)))
