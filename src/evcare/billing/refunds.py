"""Refunds: a user asks for (part of) one of their transactions back; an admin approves or
rejects it, with notes. Each step tells the user (in-app notification and email).

What may be refunded, and how an approved refund pays out:

- a wallet **debit** (a charging session, a payment, a reservation fee): credited back to
  the wallet (entry kind ``refund``, reference ``refund:<id>``);
- a wallet **top-up**: returned through the payment provider (Razorpay's Refunds API) and
  debited from the wallet in the same transaction, refused when the wallet no longer
  holds it;
- an **online payment** (``PAY000012``, a workshop booking paid through Razorpay):
  returned through the provider.

Rule: the refunds asked or granted against one transaction never exceed it; the
transaction's row is locked while that is checked, so two racing requests cannot both
take the rest. Lock order: the refund, the transaction, then the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import refund_repository as repository
from evcare.billing import wallet
from evcare.billing.payment_models import Payment, PaymentMethod, PaymentStatus
from evcare.billing.razorpay import PaymentGateway
from evcare.billing.refund_models import Refund, RefundMethod, RefundStatus
from evcare.billing.wallet_models import EntryKind, EntryStatus, EntryType, WalletEntry
from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    NotFound,
    Unavailable,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.ids import format_public_id
from evcare.core.money import Money, major_number
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as identity_repository
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope

REFUND_REQUESTED = "billing.refund_requested"
REFUND_PROCESSED = "billing.refund_processed"
# Admins told of a new request: the first ones by id (a network has a handful).
MAX_ADMINS_TOLD = 100
PAYMENT_PREFIX = "PAY"


@dataclass(frozen=True)
class TransactionRef:
    """A transaction as the billing list names it: a wallet entry or a payment."""

    source: str  # "wallet" | "payment"
    key: int

    def __str__(self) -> str:
        if self.source == "payment":
            return format_public_id(PAYMENT_PREFIX, self.key)
        return str(self.key)


def _scope(principal: Principal) -> int | None:
    return None if principal.has(Scope.MANAGE_BILLING) else principal.user_id


def _refused(message: str, field: str = "transactionId") -> BusinessRuleViolation:
    return BusinessRuleViolation(message, fields=[FieldError(field, message)])


def refund_reference(refund: Refund) -> TransactionRef:
    if refund.payment_id is not None:
        return TransactionRef("payment", refund.payment_id)
    assert refund.entry_id is not None
    return TransactionRef("wallet", refund.entry_id)


def _refundable_entry(entry: WalletEntry) -> RefundMethod:
    if entry.status != EntryStatus.COMPLETED:
        raise _refused("Only completed transactions can be refunded")
    if entry.type == EntryType.DEBIT:
        return RefundMethod.WALLET
    if entry.kind == EntryKind.TOPUP:
        return RefundMethod.PROVIDER
    raise _refused("Only payments and top-ups can be refunded, not refunds or corrections")


def _refundable_payment(payment: Payment) -> None:
    if payment.reference_type == wallet.TOPUP_REFERENCE:
        raise _refused("Refund the wallet top-up transaction instead of its payment")
    if payment.method != PaymentMethod.ONLINE or payment.status != PaymentStatus.CAPTURED:
        raise _refused("Only captured online payments can be refunded")


async def request_refund(
    session: AsyncSession,
    principal: Principal,
    *,
    transaction: TransactionRef,
    amount: Money,
    reason: str,
) -> Refund:
    """A pending refund of at most what is left of the caller's own transaction."""
    if transaction.source == "payment":
        payment = await repository.payment_of_user(
            session, transaction.key, user_id=principal.user_id
        )
        if payment is None:
            raise NotFound(f"Transaction {transaction} not found")
        _refundable_payment(payment)
        method, paid = RefundMethod.PROVIDER, Money(payment.amount_minor, payment.currency)
        claimed = await repository.claimed_minor(session, payment_id=payment.id)
    else:
        entry = await repository.entry_of_user(session, transaction.key, user_id=principal.user_id)
        if entry is None:
            raise NotFound(f"Transaction {transaction} not found")
        method = _refundable_entry(entry)
        paid = Money(entry.amount_minor, entry.currency)
        claimed = await repository.claimed_minor(session, entry_id=entry.id)
    if amount.currency != paid.currency:
        message = f"the transaction was in {paid.currency}"
        raise ValidationFailed(message, fields=[FieldError("currency", message)])
    rest = Money(paid.amount_minor - claimed, paid.currency)
    if amount.amount_minor > rest.amount_minor:
        message = (
            f"at most {wallet.shown(rest)} of this transaction can still be refunded "
            f"(paid {wallet.shown(paid)}, already asked or refunded "
            f"{wallet.shown(Money(claimed, paid.currency))})"
        )
        raise _refused(f"Refund above what is refundable: {message}", "amount")
    refund = await repository.add_refund(
        session,
        Refund(
            user_id=principal.user_id,
            entry_id=transaction.key if transaction.source == "wallet" else None,
            payment_id=transaction.key if transaction.source == "payment" else None,
            method=method,
            amount_minor=amount.amount_minor,
            currency=amount.currency,
            reason=reason,
            status=RefundStatus.PENDING,
        ),
    )
    await _tell(
        session,
        REFUND_REQUESTED,
        refund,
        title="Refund requested",
        message=(
            f"We received your request to refund {wallet.shown(amount)} of transaction "
            f"{transaction}. You will hear from us when it is processed."
        ),
    )
    admins = await identity_repository.list_users(
        session, PageParams(limit=MAX_ADMINS_TOLD), roles=[Role.ADMIN]
    )
    for admin in admins.items:
        await _tell(
            session,
            REFUND_REQUESTED,
            refund,
            title="Refund to review",
            message=(
                f"User {principal.user_id} asks for a refund of {wallet.shown(amount)} of "
                f"transaction {transaction}: {reason}"
            ),
            to=admin.id,
        )
    return refund


async def get_refund(session: AsyncSession, principal: Principal, refund_id: int) -> Refund:
    refund = await repository.get_refund(session, refund_id, user_id=_scope(principal))
    if refund is None:
        raise NotFound(f"Refund {refund_id} not found")
    return refund


async def list_refunds(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> Page[Refund]:
    """Newest first; a user's own, an admin's every one."""
    found, total = await repository.list_refunds(
        session, params, user_id=_scope(principal), status=status
    )
    return Page(found, total, params)


async def process_refund(
    session: AsyncSession,
    gateway: PaymentGateway | None,
    principal: Principal,
    *,
    refund_id: int,
    approve: bool,
    admin_notes: str | None,
) -> Refund:
    """An admin's decision on a pending refund; an approval pays it out (see the module
    docstring) in this transaction. A decided refund is a 409."""
    refund = await repository.get_refund(session, refund_id, user_id=None, lock=True)
    if refund is None:
        raise NotFound(f"Refund {refund_id} not found")
    if refund.status != RefundStatus.PENDING:
        raise Conflict(f"Refund {refund_id} is already {refund.status}")
    amount = Money(refund.amount_minor, refund.currency)
    if approve:
        await _pay_out(session, gateway, refund, amount)
    refund.status = RefundStatus.APPROVED if approve else RefundStatus.REJECTED
    refund.admin_notes = admin_notes
    refund.processed_by = principal.user_id
    refund.processed_at = utcnow()
    await session.flush()
    transaction = refund_reference(refund)
    if approve:
        where = (
            "to your wallet" if refund.method == RefundMethod.WALLET else "to your payment method"
        )
        message = f"Your refund of {wallet.shown(amount)} ({transaction}) was approved {where}."
    else:
        message = f"Your refund of {wallet.shown(amount)} ({transaction}) was rejected."
    if admin_notes:
        message += f" Note: {admin_notes}"
    await _tell(
        session,
        REFUND_PROCESSED,
        refund,
        title=f"Refund {refund.status}",
        message=message,
    )
    return refund


async def _pay_out(
    session: AsyncSession, gateway: PaymentGateway | None, refund: Refund, amount: Money
) -> None:
    payment: Payment | None = None
    if refund.payment_id is not None:
        payment = await repository.payment_of_user(
            session, refund.payment_id, user_id=refund.user_id
        )
    else:
        # A wallet payment's money goes back to the wallet; a top-up's leaves it (refused
        # when it has been spent) and goes back through the provider.
        assert refund.entry_id is not None
        post = wallet.credit if refund.method == RefundMethod.WALLET else wallet.debit
        await post(
            session,
            user_id=refund.user_id,
            amount=amount,
            kind=EntryKind.REFUND,
            description=f"Refund of transaction {refund_reference(refund)}",
            reference=f"refund:{refund.id}",
        )
        if refund.method == RefundMethod.WALLET:
            return
        payment = await repository.captured_online_payment(
            session, reference_type=wallet.TOPUP_REFERENCE, reference_id=refund.entry_id
        )
    if payment is None or payment.provider_payment_id is None:
        raise Conflict("The online payment of this transaction cannot be found")
    if gateway is None:
        raise Unavailable("Online payments are not configured (EVCARE_RAZORPAY_KEY_ID)")
    if payment.provider != gateway.name:
        raise Conflict(f"The payment was made through {payment.provider}, not {gateway.name}")
    # The provider's own idempotency key: a retry after a lost answer refunds once.
    paid_back = await gateway.refund(
        payment_id=payment.provider_payment_id,
        amount_minor=amount.amount_minor,
        receipt=f"refund-{refund.id}",
        idempotency_key=f"evcare-refund-{refund.id:010d}",
    )
    refund.provider_refund_id = paid_back.id


async def _tell(
    session: AsyncSession,
    topic: str,
    refund: Refund,
    *,
    title: str,
    message: str,
    to: int | None = None,
) -> None:
    """Notify the refund's user (or ``to``, an admin): in-app and email, after commit."""
    await publish(
        session,
        topic,
        {
            "user_id": refund.user_id if to is None else to,
            "category": "billing",
            "title": title,
            "message": message,
            "data": {
                "refundId": str(refund.id),
                "status": refund.status,
                "amount": major_number(refund.amount_minor, refund.currency),
                "currency": refund.currency,
            },
        },
    )
