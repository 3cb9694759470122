"""Paying for charging sessions: the session half of it (the money is billing's ledger).

:func:`mark_paid` is the one place a session becomes ``paid``, at most once (a
conditional UPDATE). Two ways lead there, each calling billing's wallet debit:

- a session that completes is charged to its driver's wallet
  (:func:`charge_closed_session`, reference ``session:<id>``, so a re-sent Stop bills
  once); a wallet that cannot cover it leaves the session ``pending`` and tells the
  driver (low balance);
- the driver pays a completed, unpaid session with ``POST /profile/wallet/pay
  {sessionId}`` (:func:`pay_from_wallet`): its exact cost, once.

Lock order, as billing's: the charging session, then the wallet.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import invoices, wallet
from evcare.billing.wallet import InsufficientFunds, Posting
from evcare.billing.wallet_models import EntryKind
from evcare.charging.pricing.tariff import Price
from evcare.charging.sessions import repository
from evcare.charging.sessions.models import ChargingSession, PaymentStatus, SessionStatus
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError, NotFound
from evcare.core.money import Money
from evcare.identity.principal import Principal


def _reference(session_id: int) -> str:
    return f"session:{session_id}"


async def mark_paid(
    session: AsyncSession, *, session_id: int, user_id: int
) -> tuple[int | None, str] | None:
    """Mark the user's completed, unpaid session paid: (cost, currency), or None when it
    is not theirs, not completed or already paid. Every session that becomes paid goes
    through here, once (of two payments racing for it, the second matches nothing)."""
    marked = await repository.mark_paid(session, session_id=session_id, user_id=user_id)
    if marked is not None:
        # Every paid session gets its invoice, in the transaction that pays it.
        await invoices.invoice_paid_session(session, session_id=session_id)
    return marked


async def charge_closed_session(
    session: AsyncSession, row: ChargingSession, priced: Price, *, replacing: int | None
) -> None:
    """Debit a completed session's driver for ``priced`` and mark it paid. ``replacing``:
    the total an earlier estimate billed (a late Stop replaces it: the difference is
    debited or refunded)."""
    if row.user_id is None or row.status != SessionStatus.COMPLETED:
        return
    if row.payment_status == PaymentStatus.PAID:
        if replacing is not None and replacing != priced.total_minor:
            await _adjust(session, row, old=replacing, new=priced.total_minor)
        return
    if priced.total_minor <= 0:
        return
    amount = Money(priced.total_minor, priced.currency)
    try:
        await wallet.debit(
            session,
            user_id=row.user_id,
            amount=amount,
            kind=EntryKind.SESSION,
            description=f"Charging session SES{row.id:06d}",
            reference=_reference(row.id),
            session_id=row.id,
        )
    except InsufficientFunds:
        await wallet.announce_cannot_cover(session, user_id=row.user_id, amount=amount)
        return
    await session.flush()
    marked = await mark_paid(session, session_id=row.id, user_id=row.user_id)
    assert marked is not None, "a completed session this transaction holds is unpaid"
    row.payment_status = PaymentStatus.PAID


async def _adjust(session: AsyncSession, row: ChargingSession, *, old: int, new: int) -> None:
    """Debit (or refund) the difference between what was billed and the final price."""
    assert row.user_id is not None
    amount = Money(abs(new - old), row.currency)
    post = wallet.debit if new > old else wallet.credit
    try:
        posted = await post(
            session,
            user_id=row.user_id,
            amount=amount,
            kind=EntryKind.CORRECTION,
            description=f"Charging session SES{row.id:06d}: charger's final reading",
            reference=f"{_reference(row.id)}:adjustment",
            session_id=row.id,
        )
    except InsufficientFunds:
        # Not collected: the invoice keeps saying what the wallet paid.
        await wallet.announce_cannot_cover(session, user_id=row.user_id, amount=amount)
        return
    if posted.created:
        # The invoice follows the wallet: a credit note for what was invoiced and an
        # invoice of the final price, so both say what was paid, to the paisa.
        await session.flush()
        await invoices.correct_paid_session(
            session,
            session_id=row.id,
            reason=(
                f"Charging session SES{row.id:06d} re-priced from the charger's final "
                f"reading: {wallet.shown(Money(old, row.currency))} -> "
                f"{wallet.shown(Money(new, row.currency))}"
            ),
        )


async def pay_from_wallet(
    session: AsyncSession,
    principal: Principal,
    *,
    session_id: int,
    amount: Money,
    description: str,
) -> Posting:
    """Pay the caller's completed, unpaid session from their wallet: its exact cost,
    once (404 not theirs, 409 paid already / not completed / nothing to pay, 400 another
    amount or insufficient funds)."""
    charged = await mark_paid(session, session_id=session_id, user_id=principal.user_id)
    if charged is None:
        state = await repository.payment_state(
            session, session_id=session_id, user_id=principal.user_id
        )
        if state is None:
            raise NotFound(f"Session {session_id} not found")
        if state[1] == PaymentStatus.PAID:
            raise Conflict(f"Session {session_id} is already paid")
        raise Conflict(f"Session {session_id} is not completed yet")
    cost_minor, currency = charged
    if cost_minor is None or cost_minor <= 0:
        raise Conflict(f"Session {session_id} has no cost to pay")
    cost = Money(cost_minor, currency)
    if amount != cost:
        message = f"amount must be the session's cost, {wallet.shown(cost)}"
        raise BusinessRuleViolation(message, fields=[FieldError("amount", message)])
    return await wallet.debit(
        session,
        user_id=principal.user_id,
        amount=amount,
        kind=EntryKind.SESSION,
        description=description,
        reference=_reference(session_id),
        session_id=session_id,
    )
