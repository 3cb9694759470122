"""``/v1/fleet/settings``: who pays the fleet's charging, and its service plan (beyond
HUB.md's list: the two fleet-wide choices the fleet and maintenance-due rules need;
docs/developer-hub/fleet.md)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from evcare.core.transactions import SessionDep
from evcare.fleet import access
from evcare.fleet import settings as fleet
from evcare.fleet.settings import Settings
from evcare.surfaces.hub.fleet_access import FleetRead, FleetWrite
from evcare.surfaces.hub.fleet_vehicles import ServicePlan
from evcare.surfaces.hub.schemas import HubModel, StrictHubModel
from evcare.surfaces.idempotency import IdempotentRoute
from evcare.surfaces.ids import AccountId
from evcare.vehicles.fleet_models import ChargingPaidBy

router = APIRouter(prefix="/fleet/settings", tags=["fleet"], route_class=IdempotentRoute)


class PlanOut(HubModel):
    every_km: int | None
    every_months: int | None


class SettingsIn(StrictHubModel):
    charging_paid_by: Literal["driver", "organization"] = "driver"
    payer_account_id: AccountId | None = None
    service_plan: ServicePlan | None = None


class SettingsOut(HubModel):
    charging_paid_by: str
    payer_account_id: str | None
    service_plan: PlanOut | None

    @classmethod
    def of(cls, settings: Settings) -> SettingsOut:
        plan = settings.plan
        return cls(
            charging_paid_by=settings.charging_paid_by,
            payer_account_id=settings.payer_account_id,
            service_plan=None
            if plan is None
            else PlanOut(every_km=plan.every_km, every_months=plan.every_months),
        )


@router.get("", operation_id="hub_get_fleet_settings")
async def get_settings(principal: FleetRead, session: SessionDep) -> SettingsOut:
    organization_id = await access.fleet_of(session, principal)
    return SettingsOut.of(await fleet.get_settings(session, organization_id))


@router.put("", operation_id="hub_put_fleet_settings")
async def put_settings(body: SettingsIn, principal: FleetWrite, session: SessionDep) -> SettingsOut:
    organization_id = await access.fleet_of(session, principal)
    settings = await fleet.put_settings(
        session,
        organization_id,
        charging_paid_by=ChargingPaidBy(body.charging_paid_by),
        payer_account_id=body.payer_account_id,
        plan=None if body.service_plan is None else body.service_plan.plan(),
    )
    return SettingsOut.of(settings)
