"""An integration's monthly invoice: its plan's fee plus overage for the calls beyond
the plan's included ones, written once per integration and month in billing's ledger.

Overage is pro rata: ``overage_per_1000 * extra_calls / 1000``, rounded half up to the
minor unit (billing's money rule). The plan is the subscription's when the invoice is
written; the calls are the month's flushed usage counts. ``invoice.created`` and
``invoice.paid`` go out as outbox events (``billing.hub_invoice_created`` / ``_paid``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.hub_invoice_models import HubInvoice, HubInvoiceStatus
from evcare.billing.invoice_repository import take_number
from evcare.billing.invoices import invoice_number, round_half_up
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, NotFound, ValidationFailed
from evcare.core.events import publish
from evcare.core.pagination import Page, PageParams
from evcare.core.public_ids import HUB_INVOICE_ID
from evcare.identity.principal import Principal
from evcare.integrations.subscriptions import visible_integration
from evcare.integrations.usage_models import Plan, Subscription, UsageCount

INVOICE_CREATED = "billing.hub_invoice_created"
INVOICE_PAID = "billing.hub_invoice_paid"


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        try:
            first = date.fromisoformat(f"{text}-01")
        except ValueError:
            raise ValidationFailed(
                "month must be YYYY-MM", fields=[FieldError("month", "not YYYY-MM")]
            ) from None
        return cls(first.year, first.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next_first_day(self) -> date:
        return date(self.year + self.month // 12, self.month % 12 + 1, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def overage_minor(plan: Plan, calls: int) -> int:
    extra = max(calls - plan.included_calls, 0)
    return round_half_up(Fraction(extra * plan.overage_per_1000_minor, 1000))


def event_data(invoice: HubInvoice) -> dict[str, Any]:
    """The webhook's ``data``: ``{id, amount, currency, status}`` plus the month."""
    return {
        "id": invoice.id,
        "integrationId": invoice.integration_id,
        "amount": invoice.total_minor,
        "currency": invoice.currency,
        "status": invoice.status,
        "month": invoice.month,
    }


async def generate_month(session: AsyncSession, month: Month) -> list[HubInvoice]:
    """The invoices of ``month`` (a month that has ended) for every subscribed integration
    that has none yet; running it again writes nothing new."""
    if month.next_first_day > utcnow().date():
        raise ValidationFailed(
            "Only a month that has ended is invoiced", fields=[FieldError("month", "not over")]
        )
    already = set(
        await session.scalars(
            select(HubInvoice.integration_id).where(HubInvoice.month == str(month))
        )
    )
    subscribed = await session.execute(
        select(Subscription.integration_id, Plan).join(Plan, Plan.id == Subscription.plan_id)
    )
    usage = await session.execute(
        select(UsageCount.integration_id, func.sum(UsageCount.calls))
        .where(UsageCount.day >= month.first_day, UsageCount.day < month.next_first_day)
        .group_by(UsageCount.integration_id)
    )
    calls = {integration_id: int(total) for integration_id, total in usage.all()}
    created: list[HubInvoice] = []
    for integration_id, plan in subscribed.all():
        if integration_id in already:
            continue
        try:
            # A run racing this one wrote it first: its savepoint (number included) goes.
            async with session.begin_nested():
                invoice = await _write(
                    session, integration_id, plan, month, calls.get(integration_id, 0)
                )
        except IntegrityError:
            continue
        created.append(invoice)
    return created


async def _write(
    session: AsyncSession, integration_id: str, plan: Plan, month: Month, calls: int
) -> HubInvoice:
    year = utcnow().year
    overage = overage_minor(plan, calls)
    invoice = HubInvoice(
        id=HUB_INVOICE_ID.new(),
        number=invoice_number(year, await take_number(session, year)),
        integration_id=integration_id,
        month=str(month),
        plan_id=plan.id,
        plan_name=plan.name,
        currency=plan.currency,
        calls=calls,
        included_calls=plan.included_calls,
        fee_minor=plan.monthly_fee_minor,
        overage_minor=overage,
        total_minor=plan.monthly_fee_minor + overage,
        status=HubInvoiceStatus.OPEN,
    )
    session.add(invoice)
    await session.flush()
    await publish(session, INVOICE_CREATED, event_data(invoice))
    return invoice


async def list_invoices(
    session: AsyncSession, principal: Principal, integration_id: str, params: PageParams
) -> Page[HubInvoice]:
    """The integration's invoices, newest month first."""
    integration = await visible_integration(session, principal, integration_id)
    mine = HubInvoice.integration_id == integration.id
    total = await session.scalar(select(func.count()).select_from(HubInvoice).where(mine))
    query = (
        select(HubInvoice)
        .where(mine)
        .order_by(HubInvoice.month.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(await session.scalars(query)), int(total or 0), params)


async def get_invoice(
    session: AsyncSession, principal: Principal, integration_id: str, invoice_id: str
) -> HubInvoice:
    integration = await visible_integration(session, principal, integration_id)
    invoice = await session.get(HubInvoice, invoice_id)
    if invoice is None or invoice.integration_id != integration.id:
        raise NotFound("Invoice not found")
    return invoice


async def mark_paid(session: AsyncSession, invoice: HubInvoice, *, reference: str) -> bool:
    """Mark ``invoice`` paid by the Paystack transaction ``reference``, once: False when it
    was paid already (a replayed webhook, a second verify). A conditional UPDATE, so two
    callbacks racing for it cannot both succeed."""
    paid_at = utcnow()
    changed = await session.execute(
        update(HubInvoice)
        .where(HubInvoice.id == invoice.id, HubInvoice.status == HubInvoiceStatus.OPEN)
        .values(status=HubInvoiceStatus.PAID, paid_at=paid_at, paid_reference=reference)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    await session.refresh(invoice)
    await publish(session, INVOICE_PAID, event_data(invoice))
    return True
