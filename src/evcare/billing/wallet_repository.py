"""Every wallet-ledger query. Balances move only through the two conditional UPDATEs
here: each takes the wallet row's lock (the same lock ``SELECT ... FOR UPDATE`` takes on
PostgreSQL; SQLite has one writer at a time) until the transaction ends, and returns
the balance after it, so the entry written next carries the exact ``balance_after``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.wallet_models import EntryStatus, Wallet, WalletEntry
from evcare.core.clock import utcnow
from evcare.core.pagination import PageParams
from evcare.operations import settings


async def wallet_of(session: AsyncSession, user_id: int, *, lock: bool = False) -> Wallet | None:
    query = select(Wallet).where(Wallet.user_id == user_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


# Built once: these run on every credit and debit, and building a statement costs more
# than SQLite takes to run it.
_ADD = (
    update(Wallet)
    .where(Wallet.user_id == bindparam("b_user"), Wallet.currency == bindparam("b_currency"))
    .values(
        balance_minor=Wallet.balance_minor + bindparam("b_amount"), updated_at=bindparam("b_now")
    )
    .returning(Wallet.id, Wallet.balance_minor)
    .execution_options(synchronize_session=False)
)
_TAKE = (
    update(Wallet)
    .where(
        Wallet.user_id == bindparam("b_user"),
        Wallet.currency == bindparam("b_currency"),
        Wallet.balance_minor >= bindparam("b_amount"),
    )
    .values(
        balance_minor=Wallet.balance_minor - bindparam("b_amount"), updated_at=bindparam("b_now")
    )
    .returning(Wallet.id, Wallet.balance_minor, settings.MIN_WALLET_BALANCE_VALUE)
    .execution_options(synchronize_session=False)
)
_ADD_ENTRY = insert(WalletEntry).returning(WalletEntry)


async def _move(
    session: AsyncSession, statement: Any, *, user_id: int, currency: str, amount_minor: int
) -> Any:
    params = {
        "b_user": user_id,
        "b_currency": currency,
        "b_amount": amount_minor,
        "b_now": utcnow(),
    }
    return (await session.execute(statement, params)).one_or_none()


async def add_to_balance(
    session: AsyncSession, *, user_id: int, currency: str, amount_minor: int
) -> tuple[int, int] | None:
    """Credit: (wallet id, balance after); None when the user has no wallet in ``currency``."""
    row = await _move(session, _ADD, user_id=user_id, currency=currency, amount_minor=amount_minor)
    return None if row is None else (int(row[0]), int(row[1]))


async def take_from_balance(
    session: AsyncSession, *, user_id: int, currency: str, amount_minor: int
) -> tuple[int, int, int] | None:
    """Debit: (wallet id, balance after, ``minWalletBalance``); None when the balance
    cannot cover it (or no wallet). The condition is in the UPDATE, so the balance is never
    read stale; the setting comes back in the same statement."""
    row = await _move(session, _TAKE, user_id=user_id, currency=currency, amount_minor=amount_minor)
    if row is None:
        return None
    return int(row[0]), int(row[1]), settings.min_wallet_balance_of(row[2])


async def open_wallet(session: AsyncSession, *, user_id: int, currency: str) -> bool:
    """Create the user's wallet; False when it exists already (a concurrent first use)."""
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Wallet).values(
                    user_id=user_id,
                    currency=currency,
                    balance_minor=0,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


async def add_entry(session: AsyncSession, **values: Any) -> WalletEntry:
    """Append one entry (one INSERT ... RETURNING, no ORM unit-of-work round)."""
    values.setdefault("created_at", utcnow())
    entry: WalletEntry = (await session.scalars(_ADD_ENTRY, [values])).one()
    return entry


async def entry_by_reference(session: AsyncSession, reference: str) -> WalletEntry | None:
    query = select(WalletEntry).where(WalletEntry.reference == reference)
    return (await session.scalars(query)).one_or_none()


async def entry(session: AsyncSession, entry_id: int, *, lock: bool = False) -> WalletEntry | None:
    query = select(WalletEntry).where(WalletEntry.id == entry_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query.execution_options(populate_existing=True))).one_or_none()


async def wallet_by_id(session: AsyncSession, wallet_id: int) -> Wallet | None:
    return await session.get(Wallet, wallet_id, populate_existing=True)


async def settle_entry(
    session: AsyncSession, entry_id: int, *, status: EntryStatus, balance_after_minor: int | None
) -> bool:
    """The one change an entry knows: pending -> completed/failed, once."""
    result = await session.execute(
        update(WalletEntry)
        .where(WalletEntry.id == entry_id, WalletEntry.status == EntryStatus.PENDING)
        .values(status=status, balance_after_minor=balance_after_minor, completed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def pending_topups_minor(session: AsyncSession, wallet_id: int, *, since: datetime) -> int:
    """What the wallet's top-ups opened since ``since`` and not yet paid add up to."""
    query = select(func.coalesce(func.sum(WalletEntry.amount_minor), 0)).where(
        WalletEntry.wallet_id == wallet_id,
        WalletEntry.status == EntryStatus.PENDING,
        WalletEntry.created_at >= since,
    )
    return int(await session.scalar(query) or 0)


def _entries_of(wallet_id: int, entry_type: str | None) -> list[ColumnElement[bool]]:
    conditions = [WalletEntry.wallet_id == wallet_id]
    if entry_type is not None:
        conditions.append(WalletEntry.type == entry_type)
    return conditions


async def entries(
    session: AsyncSession, wallet_id: int, params: PageParams, *, entry_type: str | None = None
) -> tuple[list[WalletEntry], int]:
    """Newest first, and the total count."""
    conditions = _entries_of(wallet_id, entry_type)
    total = await session.scalar(select(func.count()).select_from(WalletEntry).where(*conditions))
    query = (
        select(WalletEntry)
        .where(*conditions)
        .order_by(WalletEntry.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return list((await session.scalars(query)).all()), int(total or 0)


async def add_to_wallet(session: AsyncSession, *, wallet_id: int, amount_minor: int) -> int:
    """Credit a known wallet (a settling top-up); the balance after."""
    balance = await session.scalar(
        update(Wallet)
        .where(Wallet.id == wallet_id)
        .values(balance_minor=Wallet.balance_minor + amount_minor, updated_at=utcnow())
        .returning(Wallet.balance_minor)
    )
    assert balance is not None
    return int(balance)
