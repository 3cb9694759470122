"""The wallet ledger's rules: credits, debits, top-ups through a payment provider, and
payments from the wallet (a charging session, or anything with a description).

What other contexts call: :func:`credit` and :func:`debit`, each with a ``kind``
(:class:`EntryKind`), a description, optionally the charging session it pays for, and a
``reference`` naming what it pays for (``"booking:12:fee"``): a reference is posted at
most once (a repeat answers the first posting, ``created=False``), so a replayed message
or job moves no money twice. Both run in the caller's transaction and never commit.

Rules enforced here: no balance below zero (the UPDATE's condition, and a CHECK behind
it); ``maxWalletBalance`` when a top-up is opened (the money of a paid top-up is always
credited); ``low-balance`` announced when a debit takes the balance from at or above
``minWalletBalance`` to below it. A charging session's side of a payment (paid once, for
its exact cost) is charging's (:mod:`evcare.charging.sessions.payments`).
Lock order, for every caller: the charging session, then the payment, then the wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments
from evcare.billing import wallet_repository as repository
from evcare.billing.payment_models import Payment
from evcare.billing.razorpay import PaymentGateway, SandboxGateway
from evcare.billing.wallet_models import EntryKind, EntryStatus, EntryType, Wallet, WalletEntry
from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.money import Money, major_number
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.operations import settings as system_settings

TOPUP_REFERENCE = "wallet_topup"
LOW_BALANCE = "billing.wallet_low_balance"
PAYMENT_RECEIVED = "billing.payment_received"
DEFAULT_CURRENCY = system_settings.DEFAULTS.currency
# How long an unpaid top-up counts against maxWalletBalance: an abandoned checkout must
# not block the next one for good (if it is paid later, it is still credited).
PENDING_TOPUP_HOLD = timedelta(hours=1)


class InsufficientFunds(BusinessRuleViolation):
    code = "insufficient_funds"


@dataclass(frozen=True)
class Posting:
    entry: WalletEntry
    balance: Money
    created: bool  # False: the reference had been posted before; nothing moved now


@dataclass(frozen=True)
class WalletView:
    balance: Money
    entries: list[WalletEntry]


@dataclass(frozen=True)
class Topup:
    entry: WalletEntry
    payment: Payment
    balance: Money


def shown(amount: Money) -> str:
    return f"{amount.to_major()} {amount.currency}"


async def _replayed(
    session: AsyncSession,
    reference: str | None,
    *,
    user_id: int,
    entry_type: EntryType,
    amount: Money,
) -> Posting | None:
    """The first posting of ``reference`` (None: post it now)."""
    if amount.amount_minor <= 0:
        raise ValueError("ledger amounts are positive; the entry type gives the direction")
    if reference is None:
        return None
    entry = await repository.entry_by_reference(session, reference)
    if entry is None:
        return None
    wallet = await repository.wallet_by_id(session, entry.wallet_id)
    assert wallet is not None
    if (
        wallet.user_id != user_id
        or entry.type != entry_type
        or Money(entry.amount_minor, entry.currency) != amount
    ):
        raise Conflict(f"Reference {reference} was already posted with other values")
    return Posting(entry, Money(wallet.balance_minor, wallet.currency), created=False)


async def credit(
    session: AsyncSession,
    *,
    user_id: int,
    amount: Money,
    kind: EntryKind | str,
    description: str,
    reference: str | None = None,
    session_id: int | None = None,
) -> Posting:
    """Add ``amount`` to the user's wallet (opened on first use) with its entry."""
    replay = await _replayed(
        session, reference, user_id=user_id, entry_type=EntryType.CREDIT, amount=amount
    )
    if replay is not None:
        return replay
    moved = await repository.add_to_balance(
        session, user_id=user_id, currency=amount.currency, amount_minor=amount.amount_minor
    )
    if moved is None:
        await _open(session, user_id=user_id, currency=amount.currency)
        moved = await repository.add_to_balance(
            session, user_id=user_id, currency=amount.currency, amount_minor=amount.amount_minor
        )
        assert moved is not None
    wallet_id, balance = moved
    entry = await _entry(
        session,
        wallet_id,
        EntryType.CREDIT,
        amount,
        kind,
        description,
        reference,
        session_id,
        balance_after=balance,
    )
    return Posting(entry, Money(balance, amount.currency), created=True)


async def debit(
    session: AsyncSession,
    *,
    user_id: int,
    amount: Money,
    kind: EntryKind | str,
    description: str,
    reference: str | None = None,
    session_id: int | None = None,
) -> Posting:
    """Take ``amount`` from the user's wallet with its entry; never below zero.

    Raises :class:`InsufficientFunds` (400, field ``amount``) when it cannot cover it."""
    replay = await _replayed(
        session, reference, user_id=user_id, entry_type=EntryType.DEBIT, amount=amount
    )
    if replay is not None:
        return replay
    moved = await repository.take_from_balance(
        session, user_id=user_id, currency=amount.currency, amount_minor=amount.amount_minor
    )
    if moved is None:
        wallet = await repository.wallet_of(session, user_id)
        available = Money(wallet.balance_minor if wallet else 0, amount.currency)
        if wallet is not None and wallet.currency != amount.currency:
            raise _other_currency(wallet.currency)
        message = (
            f"Insufficient wallet balance: {shown(available)} available, {shown(amount)} needed"
        )
        raise InsufficientFunds(message, fields=[FieldError("amount", message)])
    wallet_id, balance, minimum = moved
    entry = await _entry(
        session,
        wallet_id,
        EntryType.DEBIT,
        amount,
        kind,
        description,
        reference,
        session_id,
        balance_after=balance,
    )
    if balance < minimum <= balance + amount.amount_minor:
        await _announce_low_balance(session, user_id, Money(balance, amount.currency), minimum)
    return Posting(entry, Money(balance, amount.currency), created=True)


def _other_currency(held: str) -> ValidationFailed:
    return ValidationFailed(
        f"The wallet holds {held}", fields=[FieldError("currency", f"the wallet holds {held}")]
    )


async def _open(session: AsyncSession, *, user_id: int, currency: str) -> Wallet:
    await repository.open_wallet(session, user_id=user_id, currency=currency)
    wallet = await repository.wallet_of(session, user_id)
    assert wallet is not None
    if wallet.currency != currency:
        raise _other_currency(wallet.currency)
    return wallet


async def _entry(
    session: AsyncSession,
    wallet_id: int,
    entry_type: EntryType,
    amount: Money,
    kind: EntryKind | str,
    description: str,
    reference: str | None,
    session_id: int | None,
    *,
    balance_after: int | None,
    status: EntryStatus = EntryStatus.COMPLETED,
) -> WalletEntry:
    return await repository.add_entry(
        session,
        wallet_id=wallet_id,
        type=entry_type,
        kind=str(kind),
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        balance_after_minor=balance_after,
        status=status,
        description=description[:200],
        reference=reference,
        session_id=session_id,
    )


@dataclass(frozen=True)
class Shortfall:
    """A wallet under ``minWalletBalance``: what it holds and what the rule asks."""

    balance: Money
    minimum: Money

    @property
    def reason(self) -> str:
        return (
            f"Wallet balance {shown(self.balance)} is below the minimum of "
            f"{shown(self.minimum)} (minWalletBalance): top up to charge"
        )


async def shortfall(session: AsyncSession, *, user_id: int) -> Shortfall | None:
    """The user's wallet when it holds less than ``minWalletBalance`` (no wallet holds
    nothing); None when it holds at least that much. What a charge start checks."""
    held = await repository.wallet_of(session, user_id)
    minimum = await system_settings.min_wallet_balance_minor(session)
    balance = Money(held.balance_minor, held.currency) if held else Money(0, DEFAULT_CURRENCY)
    if balance.amount_minor >= minimum:
        return None
    return Shortfall(balance, Money(minimum, balance.currency))


async def announce_cannot_cover(session: AsyncSession, *, user_id: int, amount: Money) -> None:
    """Tell the user their wallet could not pay ``amount`` (a charge left pending): the
    low-balance event and notification, with the balance they have."""
    held = await repository.wallet_of(session, user_id)
    balance = Money(held.balance_minor if held else 0, amount.currency)
    minimum = await system_settings.min_wallet_balance_minor(session)
    await _announce_low_balance(session, user_id, balance, minimum)


async def _announce_low_balance(
    session: AsyncSession, user_id: int, balance: Money, minimum_minor: int
) -> None:
    minimum = Money(minimum_minor, balance.currency)
    await publish(
        session,
        LOW_BALANCE,
        {
            # The notification (engagement) and the socket event (realtime) both read this.
            "user_id": user_id,
            "category": "wallet",
            "title": "Low wallet balance",
            "message": (
                f"Your wallet balance is {shown(balance)}, below the minimum of "
                f"{shown(minimum)}. Top up to keep charging."
            ),
            "data": {
                "balance": major_number(balance.amount_minor, balance.currency),
                "currency": balance.currency,
            },
            "balance": major_number(balance.amount_minor, balance.currency),
        },
    )


# -- what a driver does -------------------------------------------------------------------


async def wallet_view(session: AsyncSession, principal: Principal, *, limit: int) -> WalletView:
    """The balance and the newest ``limit`` entries (a wallet never used reads as empty)."""
    wallet = await repository.wallet_of(session, principal.user_id)
    if wallet is None:
        return WalletView(Money(0, DEFAULT_CURRENCY), [])
    items, _ = await repository.entries(session, wallet.id, PageParams(page=1, limit=limit))
    return WalletView(Money(wallet.balance_minor, wallet.currency), items)


async def list_entries(
    session: AsyncSession, principal: Principal, params: PageParams, *, entry_type: str | None
) -> Page[WalletEntry]:
    wallet = await repository.wallet_of(session, principal.user_id)
    if wallet is None:
        return Page([], 0, params)
    items, total = await repository.entries(session, wallet.id, params, entry_type=entry_type)
    return Page(items, total, params)


async def open_topup(
    session: AsyncSession,
    gateway: PaymentGateway,
    principal: Principal,
    *,
    amount: Money,
    method: str,
) -> Topup:
    """A pending top-up entry and a provider order for it; credited when paid.

    Rule: balance + pending top-ups of the last hour + this one stay within
    ``maxWalletBalance`` (checked under the wallet row lock)."""
    limits = await system_settings.current(session)
    if amount.currency != limits.currency:
        raise ValidationFailed(
            f"Wallets hold {limits.currency}",
            fields=[FieldError("currency", f"wallets hold {limits.currency}")],
        )
    wallet = await repository.wallet_of(session, principal.user_id, lock=True)
    if wallet is None:
        wallet = await _open(session, user_id=principal.user_id, currency=amount.currency)
    pending = await repository.pending_topups_minor(
        session, wallet.id, since=utcnow() - PENDING_TOPUP_HOLD
    )
    ceiling = Money(limits.max_wallet_balance_minor, limits.currency)
    if wallet.balance_minor + pending + amount.amount_minor > ceiling.amount_minor:
        message = (
            f"A top-up of {shown(amount)} would take the wallet over its maximum of "
            f"{shown(ceiling)} (balance {shown(Money(wallet.balance_minor, wallet.currency))}"
            f", pending top-ups {shown(Money(pending, wallet.currency))})"
        )
        raise BusinessRuleViolation(message, fields=[FieldError("amount", message)])
    entry = await _entry(
        session,
        wallet.id,
        EntryType.CREDIT,
        amount,
        EntryKind.TOPUP,
        f"Wallet top-up ({method})",
        None,
        None,
        balance_after=None,
        status=EntryStatus.PENDING,
    )
    payment = await payments.open_online_order(
        session,
        gateway,
        reference=payments.Reference(TOPUP_REFERENCE, entry.id),
        payer_id=principal.user_id,
        amount_minor=amount.amount_minor,
        currency=amount.currency,
        receipt=f"wallet-topup-{entry.id}",
    )
    return Topup(entry, payment, Money(wallet.balance_minor, wallet.currency))


async def _topup_of_order(
    session: AsyncSession, principal: Principal, order_id: str
) -> WalletEntry:
    reference = await payments.order_reference(session, order_id)
    wallet = await repository.wallet_of(session, principal.user_id)
    if reference is not None and reference.type == TOPUP_REFERENCE and wallet is not None:
        entry = await repository.entry(session, reference.id)
        if entry is not None and entry.wallet_id == wallet.id:
            return entry
    raise NotFound(f"Top-up order {order_id} not found")


async def verify_topup(
    session: AsyncSession,
    gateway: PaymentGateway,
    principal: Principal,
    *,
    order_id: str,
    payment_id: str,
    signature: str,
) -> Posting:
    """Checkout's signature over our stored ``order_id|payment_id``; a valid one credits
    the top-up (once: a repeat, or a webhook that came first, answers the credited entry)."""
    entry = await _topup_of_order(session, principal, order_id)
    capture = await payments.verify_checkout(
        session, gateway, order_id=order_id, payment_id=payment_id, signature=signature
    )
    settled = await repository.entry(session, entry.id)
    wallet = await repository.wallet_by_id(session, entry.wallet_id)
    assert settled is not None and wallet is not None
    return Posting(
        settled, Money(wallet.balance_minor, wallet.currency), created=capture.newly_captured
    )


async def sandbox_checkout(
    session: AsyncSession, gateway: PaymentGateway, principal: Principal, *, order_id: str
) -> tuple[str, str]:
    """What Razorpay Checkout would hand the browser, from the local sandbox only."""
    if not isinstance(gateway, SandboxGateway):
        raise NotFound("The sandbox checkout exists only while no Razorpay keys are configured")
    await _topup_of_order(session, principal, order_id)
    return gateway.checkout(order_id)


async def _settle_topup(session: AsyncSession, payment: Payment) -> None:
    """A top-up's payment was captured: credit its pending entry, exactly once."""
    entry = await repository.entry(session, payment.reference_id, lock=True)
    if entry is None or entry.status != EntryStatus.PENDING:
        return
    balance = await repository.add_to_wallet(
        session, wallet_id=entry.wallet_id, amount_minor=entry.amount_minor
    )
    settled = await repository.settle_entry(
        session, entry.id, status=EntryStatus.COMPLETED, balance_after_minor=balance
    )
    assert settled, "the entry was locked pending"
    paid = Money(entry.amount_minor, entry.currency)
    owner = await session.get(Wallet, entry.wallet_id)
    assert owner is not None, "an entry belongs to a wallet"
    await publish(
        session,
        PAYMENT_RECEIVED,
        {
            # A notice (engagement): the payment and what the wallet holds now; and the
            # payment itself, for the partner webhook ``payment.succeeded``.
            "entryId": str(entry.id),
            "amountMinor": paid.amount_minor,
            "currency": paid.currency,
            "user_id": owner.user_id,
            "category": "payment",
            "title": "Payment received",
            "message": f"{shown(paid)} was added to your wallet; the balance is "
            f"{shown(Money(balance, entry.currency))}.",
            "data": {
                "amount": major_number(paid.amount_minor, paid.currency),
                "currency": paid.currency,
                "balance": major_number(balance, entry.currency),
            },
        },
    )


payments.on_capture(TOPUP_REFERENCE, _settle_topup)


async def pay(
    session: AsyncSession, principal: Principal, *, amount: Money, description: str
) -> Posting:
    """Pay from the wallet for anything with a description (a charging session is paid
    through :func:`evcare.charging.sessions.payments.pay_from_wallet`)."""
    return await debit(
        session,
        user_id=principal.user_id,
        amount=amount,
        kind=EntryKind.PAYMENT,
        description=description,
    )
