"""HUB.md "Subscriptions, usage": the plans, an integration's subscription, its usage."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import subscriptions
from evcare.integrations.metering import meter_of
from evcare.integrations.subscriptions import GroupBy
from evcare.integrations.usage_models import Plan, Subscription
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.hub.schemas import HubModel, IntegrationIdPath, StrictHubModel
from evcare.surfaces.idempotency import IdempotentRoute
from evcare.surfaces.ids import PlanId
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/integrations", tags=["subscriptions"], route_class=IdempotentRoute)

BillingRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SUBSCRIPTION))]
BillingWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_SUBSCRIPTION))]


class PlanOut(HubModel):
    id: str
    name: str
    currency: str
    # Minor units of ``currency`` (1200 GHS = GHS 12.00), as Paystack takes amounts.
    monthly_fee: int
    included_calls: int
    overage_per_1000_calls: int

    @classmethod
    def of(cls, plan: Plan) -> PlanOut:
        return cls(
            id=plan.id,
            name=plan.name,
            currency=plan.currency,
            monthly_fee=plan.monthly_fee_minor,
            included_calls=plan.included_calls,
            overage_per_1000_calls=plan.overage_per_1000_minor,
        )


class PlansOut(HubModel):
    data: list[PlanOut]


class SubscriptionIn(StrictHubModel):
    plan_id: PlanId


class SubscriptionOut(HubModel):
    integration_id: str
    plan: PlanOut
    started_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, subscription: Subscription, plan: Plan) -> SubscriptionOut:
        return cls(
            integration_id=subscription.integration_id,
            plan=PlanOut.of(plan),
            started_at=subscription.started_at,
            updated_at=subscription.updated_at,
        )


class UsageRowOut(HubModel):
    day: date | None = None
    endpoint: str | None = None
    calls: int


class UsageOut(HubModel):
    integration_id: str
    from_: date = Field(alias="from")
    to: date
    group_by: GroupBy
    total_calls: int
    data: list[UsageRowOut]


@router.get("/plans", operation_id="hub_list_plans")
async def list_plans(principal: BillingRead, session: SessionDep) -> PlansOut:
    """The plans on offer: monthly fee, calls included, overage per 1,000 calls."""
    return PlansOut(data=[PlanOut.of(plan) for plan in await subscriptions.list_plans(session)])


@router.get("/{integrationId}/subscription", operation_id="hub_get_subscription")
async def get_subscription(
    integration_id: IntegrationIdPath, principal: BillingRead, session: SessionDep
) -> SubscriptionOut:
    return SubscriptionOut.of(
        *await subscriptions.get_subscription(session, principal, integration_id)
    )


@router.put("/{integrationId}/subscription", operation_id="hub_set_subscription")
async def set_subscription(
    integration_id: IntegrationIdPath,
    body: SubscriptionIn,
    principal: BillingWrite,
    session: SessionDep,
) -> SubscriptionOut:
    """Put the integration on a plan from now on (the same plan again changes nothing)."""
    return SubscriptionOut.of(
        *await subscriptions.set_subscription(
            session, principal, integration_id, plan_id=body.plan_id
        )
    )


@router.get(
    "/{integrationId}/usage", operation_id="hub_integration_usage", response_model_exclude_none=True
)
async def integration_usage(
    request: Request,
    integration_id: IntegrationIdPath,
    principal: BillingRead,
    session: SessionDep,
    start: Annotated[IsoDate | None, Query(alias="from", description="first UTC day")] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="last UTC day")] = None,
    group_by: Annotated[GroupBy, Query(alias="groupBy")] = GroupBy.DAY,
) -> UsageOut:
    """Calls made with the integration's tokens (its own and its users'), per UTC day or
    per endpoint, ``from`` to ``to`` inclusive (default: this month so far)."""
    found = await subscriptions.usage(
        session,
        principal,
        integration_id,
        start=start,
        end=end,
        group_by=group_by,
        pending=meter_of(request.app.state.runtime).pending(integration_id),
    )
    by_day = found.group_by == GroupBy.DAY
    return UsageOut(
        integration_id=integration_id,
        from_=found.start,
        to=found.end,
        group_by=found.group_by,
        total_calls=found.total,
        data=[
            UsageRowOut(
                day=date.fromisoformat(row.key) if by_day else None,
                endpoint=None if by_day else row.key,
                calls=row.calls,
            )
            for row in found.rows
        ],
    )
