"""Plans, an integration's subscription, and its metered usage.

Who may: an EVCare admin, for any integration; an integration's own token, for itself
(another integration's is a 404, as if it did not exist). Partner users never: the
billing scopes belong to the integration and admins only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, NotFound, ValidationFailed
from evcare.core.events import publish
from evcare.core.public_ids import PLAN_ID
from evcare.identity.principal import Principal
from evcare.integrations import repository
from evcare.integrations.metering import Key
from evcare.integrations.models import Integration
from evcare.integrations.usage_models import Plan, Subscription, UsageCount

# The longest usage window one request may read.
MAX_USAGE_DAYS = 366


class GroupBy(StrEnum):
    DAY = "day"
    ENDPOINT = "endpoint"


@dataclass(frozen=True)
class UsageRow:
    key: str  # the ISO day, or "METHOD /path/template"
    calls: int


@dataclass(frozen=True)
class Usage:
    start: date
    end: date
    group_by: GroupBy
    rows: list[UsageRow]

    @property
    def total(self) -> int:
        return sum(row.calls for row in self.rows)


async def list_plans(session: AsyncSession) -> list[Plan]:
    """The plans on offer, cheapest first."""
    query = select(Plan).where(Plan.active.is_(True)).order_by(Plan.monthly_fee_minor, Plan.id)
    return list(await session.scalars(query))


async def get_subscription(
    session: AsyncSession, principal: Principal, integration_id: str
) -> tuple[Subscription, Plan]:
    integration = await visible_integration(session, principal, integration_id)
    subscription = await session.get(Subscription, integration.id)
    if subscription is None:
        raise NotFound("This integration has no subscription yet: PUT one with a planId")
    plan = await session.get(Plan, subscription.plan_id)
    assert plan is not None  # RESTRICT: a plan with subscribers is never deleted
    return subscription, plan


async def set_subscription(
    session: AsyncSession, principal: Principal, integration_id: str, *, plan_id: str
) -> tuple[Subscription, Plan]:
    """Put the integration on ``plan_id`` (an active plan) from now on."""
    integration = await visible_integration(session, principal, integration_id)
    plan = await session.get(Plan, plan_id)
    if plan is None or not plan.active:
        raise NotFound("Plan not found", fields=[FieldError("planId", "names no plan on offer")])
    now = utcnow()
    subscription = await session.get(Subscription, integration.id)
    if subscription is None:
        subscription = Subscription(integration_id=integration.id, plan_id=plan.id, started_at=now)
        session.add(subscription)
    elif subscription.plan_id != plan.id:
        subscription.plan_id = plan.id
        subscription.started_at = now
    subscription.updated_at = now
    await session.flush()
    await publish(
        session,
        "integrations.subscription_updated",
        {"integrationId": integration.id, "planId": plan.id},
    )
    return subscription, plan


async def usage(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    *,
    start: date | None,
    end: date | None,
    group_by: GroupBy,
    pending: Counter[Key],
) -> Usage:
    """Calls per day or per endpoint from ``start`` to ``end`` (UTC days, both included;
    default this month so far): what was flushed, plus this process's ``pending`` counts."""
    integration = await visible_integration(session, principal, integration_id)
    today = utcnow().date()
    end = end or today
    start = start or end.replace(day=1)
    if start > end:
        raise ValidationFailed("from must not be after to", fields=[FieldError("from", "after to")])
    if end - start >= timedelta(days=MAX_USAGE_DAYS):
        raise ValidationFailed(
            f"At most {MAX_USAGE_DAYS} days at once",
            fields=[FieldError("to", f"more than {MAX_USAGE_DAYS} days after from")],
        )
    column = UsageCount.day if group_by == GroupBy.DAY else UsageCount.endpoint
    rows = await session.execute(
        select(column, func.sum(UsageCount.calls))
        .where(
            UsageCount.integration_id == integration.id,
            UsageCount.day >= start,
            UsageCount.day <= end,
        )
        .group_by(column)
    )
    totals: Counter[str] = Counter()
    for key, calls in rows.all():
        totals[key.isoformat() if isinstance(key, date) else str(key)] += int(calls)
    for (_, day, endpoint), calls in pending.items():
        if start <= day <= end:
            totals[day.isoformat() if group_by == GroupBy.DAY else endpoint] += calls
    if group_by == GroupBy.DAY:
        ordered = sorted(totals.items())
    else:
        ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return Usage(start, end, group_by, [UsageRow(key, calls) for key, calls in ordered])


async def ensure_plans(session: AsyncSession, plans: list[Plan]) -> list[str]:
    """Add the plans that are missing (by name); a line per plan created (demo data)."""
    existing = set(await session.scalars(select(Plan.name)))
    created: list[str] = []
    for plan in plans:
        if plan.name in existing:
            continue
        plan.id = plan.id or PLAN_ID.new()
        session.add(plan)
        created.append(f"plan {plan.name}")
    await session.flush()
    return created


async def visible_integration(
    session: AsyncSession, principal: Principal, integration_id: str
) -> Integration:
    """The integration, if the caller may see it: an admin any, an integration itself."""
    if not principal.is_admin and principal.integration_id != integration_id:
        raise NotFound("Integration not found")
    integration = await repository.get_integration(session, integration_id)
    if integration is None:
        raise NotFound("Integration not found")
    return integration
