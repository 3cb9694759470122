"""The billing transactions list: every wallet entry and every payment made through a
provider (a top-up's payment is its wallet entry), as one newest-first list. A user sees
their own, an admin (``MANAGE:BILLING``) everyone's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import repository, wallet
from evcare.billing.refunds import TransactionRef
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope

# What a payment paid for, in words (its reference type).
_PAID_FOR = {"service_booking": "Service booking"}


@dataclass(frozen=True)
class Transaction:
    ref: TransactionRef
    user_id: int
    type: str  # credit | debit
    kind: str
    amount_minor: int
    currency: str
    balance_after_minor: int | None
    status: str  # completed | pending | failed
    description: str
    session_id: int | None
    created_at: datetime


def _description(row: Any) -> str:
    if row.source == "wallet":
        return str(row.description)
    kind = str(row.kind)
    paid_for = _PAID_FOR.get(kind, kind.replace("_", " ").capitalize())
    return f"{paid_for} {row.reference_id} ({row.provider})"


async def list_transactions(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    entry_type: str | None,
    status: str | None,
) -> Page[Transaction]:
    rows, total = await repository.list_transactions(
        session,
        params,
        user_id=None if principal.has(Scope.MANAGE_BILLING) else principal.user_id,
        entry_type=entry_type,
        status=status,
        excluded_payment_reference=wallet.TOPUP_REFERENCE,
    )
    items = [
        Transaction(
            ref=TransactionRef(row.source, int(row.id)),
            user_id=int(row.user_id),
            type=str(row.type),
            kind=str(row.kind),
            amount_minor=int(row.amount_minor),
            currency=str(row.currency),
            balance_after_minor=row.balance_after_minor,
            status=str(row.status),
            description=_description(row),
            session_id=row.session_id,
            created_at=row.created_at,
        )
        for row in rows
    ]
    return Page(items, total, params)
