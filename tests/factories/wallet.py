"""Wallets for tests: money credited through the ledger service, committed."""

from __future__ import annotations

from evcare.billing import wallet
from evcare.billing.wallet_models import EntryKind
from evcare.core.money import Money
from evcare.core.runtime import Runtime
from evcare.identity.models import User


async def fund(runtime: Runtime, user: User, amount_minor: int) -> None:
    """Credit ``amount_minor`` paise to ``user``'s wallet (a correction entry)."""
    async with runtime.sessionmaker() as session:
        await wallet.credit(
            session,
            user_id=user.id,
            amount=Money(amount_minor, "INR"),
            kind=EntryKind.CORRECTION,
            description="Test funds",
        )
        await session.commit()


async def balance_minor(runtime: Runtime, user: User) -> int:
    from evcare.billing import wallet_repository

    async with runtime.sessionmaker() as session:
        found = await wallet_repository.wallet_of(session, user.id)
        return 0 if found is None else found.balance_minor
