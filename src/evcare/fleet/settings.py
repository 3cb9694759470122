"""A fleet's settings: who pays its vehicles' charging, and its service plan.

Wallets are a user's (``wallet.user_id``), so "the fleet's wallet" is the EVCare wallet
of the account the fleet names as its payer (one of its FLEET_MANAGER or
ORGANIZATION_ADMIN accounts, topped up like any wallet). With ``chargingPaidBy:
organization`` an assigned driver's session on a fleet vehicle is charged to that
wallet, and the start checks that wallet's balance; otherwise (the default) the driver's
own wallet pays, as for any driver.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import FieldError, NotFound, ValidationFailed
from evcare.fleet import maintenance_due, repository
from evcare.fleet.access import MANAGING_ROLES
from evcare.fleet.vehicles import PlanInput, check_plan
from evcare.identity import organizations
from evcare.identity.models import OrganizationMember
from evcare.vehicles.fleet_models import ChargingPaidBy, FleetSettings


@dataclass(frozen=True)
class Settings:
    charging_paid_by: str
    payer_account_id: str | None
    plan: PlanInput | None


async def get_settings(session: AsyncSession, organization_id: str) -> Settings:
    row = await repository.get_settings(session, organization_id)
    if row is None:
        return Settings(ChargingPaidBy.DRIVER, None, None)
    payer = None
    if row.payer_user_id is not None:
        member = await organizations.membership_of(session, row.payer_user_id)
        payer = member.id if member is not None else None
    plan = None
    if row.service_every_km or row.service_every_months:
        plan = PlanInput(row.service_every_km, row.service_every_months)
    return Settings(row.charging_paid_by, payer, plan)


async def put_settings(
    session: AsyncSession,
    organization_id: str,
    *,
    charging_paid_by: ChargingPaidBy,
    payer_account_id: str | None,
    plan: PlanInput | None,
) -> Settings:
    """Replace the fleet's settings; a payer is required when the organization pays and
    must be one of its managing accounts (422 otherwise). A new plan is checked against
    every vehicle of the fleet at once."""
    check_plan(plan)
    payer_user_id = None
    if payer_account_id is not None:
        payer_user_id = await _payer(session, organization_id, payer_account_id)
    elif charging_paid_by == ChargingPaidBy.ORGANIZATION:
        problem = FieldError("payerAccountId", "required when the organization pays")
        raise ValidationFailed(f"{problem.field}: {problem.message}", fields=[problem])
    row = await repository.get_settings(session, organization_id)
    if row is None:
        row = FleetSettings(organization_id=organization_id)
        session.add(row)
    row.charging_paid_by = charging_paid_by
    row.payer_user_id = payer_user_id
    row.service_every_km = None if plan is None else plan.every_km
    row.service_every_months = None if plan is None else plan.every_months
    await session.flush()
    for vehicle in await repository.fleet_vehicles(session, organization_id):
        await maintenance_due.check_vehicle(session, vehicle)
    return await get_settings(session, organization_id)


async def _payer(session: AsyncSession, organization_id: str, account_id: str) -> int:
    member: OrganizationMember | None
    try:
        member, _ = await organizations.get_account(session, organization_id, account_id)
    except NotFound:
        member = None
    if member is None or member.role not in MANAGING_ROLES:
        problem = FieldError(
            "payerAccountId", "must be a FLEET_MANAGER or ORGANIZATION_ADMIN account of yours"
        )
        raise ValidationFailed(f"{problem.field}: {problem.message}", fields=[problem])
    return member.user_id
