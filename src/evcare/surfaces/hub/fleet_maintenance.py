"""HUB.md "Organizations, fleets, clients": maintenance service selection and a fleet's
maintenance requests (``/v1/fleet/maintenance...``, FLEET_MANAGER_ACCESS).

A request is a RevCare service booking at the chosen workshop; ``status`` is the
booking's (docs/developer-hub/09-maintenance-service-selection.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import Field, model_validator

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.fleet import access
from evcare.fleet import vehicles as fleet_vehicles
from evcare.service import fleet_maintenance
from evcare.service.bookings.models import BookingStatus, PaymentMode
from evcare.service.fleet_maintenance import Action, Maintenance, Selection
from evcare.service.fleet_maintenance_models import SelectionMode
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.hub.fleet_access import FleetRead, FleetWrite, fleet_write
from evcare.surfaces.hub.schemas import HubModel, Paged, PaginationOut, StrictHubModel
from evcare.surfaces.hub.workshops import WorkshopOut, paged_workshops
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import FleetMaintenanceId, OrganizationId, ServiceId, VehicleRef
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/fleet/maintenance", tags=["fleet"], route_class=IdempotentRoute)

MaintenanceIdPath = Annotated[
    FleetMaintenanceId, Path(alias="maintenanceId", description="mnt_...")
]
Notes = Annotated[str, Field(max_length=1000)]


class SettingsIn(StrictHubModel):
    selection_mode: SelectionMode
    allowed_workshop_ids: Annotated[list[OrganizationId], Field(max_length=200)] = []


class SettingsOut(HubModel):
    selection_mode: str
    allowed_workshop_ids: list[str]

    @classmethod
    def of(cls, selection: Selection) -> SettingsOut:
        return cls(
            selection_mode=selection.mode, allowed_workshop_ids=selection.allowed_workshop_ids
        )


class MaintenanceIn(StrictHubModel):
    vehicle_id: VehicleRef
    service_ids: Annotated[list[ServiceId], Field(min_length=1, max_length=20)]
    workshop_id: OrganizationId | None = None
    preferred_date: IsoDate
    notes: Notes = ""


class MaintenancePatch(StrictHubModel):
    notes: Notes | None = None
    action: Action | None = None
    # With ``confirm_services``: the services of the estimate the fleet does not want done.
    declined_service_ids: Annotated[list[ServiceId], Field(max_length=20)] | None = None
    payment_mode: PaymentMode | None = None
    # With ``cancel``.
    reason: Annotated[str, Field(max_length=500)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> MaintenancePatch:
        if self.notes is None and self.action is None:
            raise ValueError("give notes or an action")
        confirming = self.action == Action.CONFIRM_SERVICES
        if not confirming and (self.declined_service_ids is not None or self.payment_mode):
            raise ValueError("declinedServiceIds and paymentMode go with confirm_services")
        if self.action != Action.CANCEL and self.reason is not None:
            raise ValueError("reason goes with cancel")
        return self


class MaintenanceServiceOut(HubModel):
    service_id: str
    name: str
    quantity: int
    # Minor units of the request's currency: the catalogue price at booking, then the
    # workshop's estimate once it has one; zero when declined.
    unit_price: int
    estimated_cost: int | None
    amount: int
    decision: str


class MaintenanceOut(HubModel):
    id: str
    vehicle_id: str | None
    workshop_id: str
    booking_id: str
    status: str
    preferred_date: date
    notes: str
    services: list[MaintenanceServiceOut]
    currency: str
    subtotal: int
    gst: int
    total: int
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, found: Maintenance) -> MaintenanceOut:
        view, maintenance = found.booking, found.maintenance
        booking = view.booking
        return cls(
            id=maintenance.id,
            vehicle_id=(
                None if booking.vehicle_id is None else fleet_vehicles.public_id(booking.vehicle_id)
            ),
            workshop_id=maintenance.workshop_id,
            booking_id=str(booking.id),
            status=booking.status,
            preferred_date=booking.service_date,
            notes=maintenance.notes,
            services=[
                MaintenanceServiceOut(
                    service_id=str(line.item.service_id),
                    name=line.item.service_name,
                    quantity=line.item.quantity,
                    unit_price=line.item.unit_price_minor,
                    estimated_cost=line.item.estimated_cost_minor,
                    amount=line.amount.amount_minor,
                    decision=line.item.decision,
                )
                for line in view.lines
            ],
            currency=booking.currency,
            subtotal=view.subtotal.amount_minor,
            gst=view.gst.amount_minor,
            total=view.total.amount_minor,
            created_at=maintenance.created_at,
            updated_at=max(maintenance.updated_at, booking.updated_at),
            completed_at=booking.completed_at,
        )


@router.get("/settings", operation_id="hub_get_maintenance_settings")
async def get_settings(principal: FleetRead, session: SessionDep) -> SettingsOut:
    organization_id = await access.fleet_of(session, principal)
    return SettingsOut.of(await fleet_maintenance.get_selection(session, organization_id))


@router.put("/settings", operation_id="hub_put_maintenance_settings")
async def put_settings(body: SettingsIn, principal: FleetWrite, session: SessionDep) -> SettingsOut:
    selection = await fleet_maintenance.set_selection(
        session,
        await access.fleet_of(session, principal),
        mode=body.selection_mode,
        allowed_workshop_ids=body.allowed_workshop_ids,
    )
    return SettingsOut.of(selection)


@router.get("/providers", operation_id="hub_list_maintenance_providers")
async def list_providers(
    principal: FleetRead, session: SessionDep, page: Pagination
) -> Paged[WorkshopOut]:
    """The workshops this fleet may book maintenance with now."""
    organization_id = await access.fleet_of(session, principal)
    return paged_workshops(await fleet_maintenance.providers(session, organization_id, page))


@router.get("", operation_id="hub_list_maintenance")
async def list_maintenance(
    principal: FleetRead,
    session: SessionDep,
    page: Pagination,
    vehicle_id: Annotated[VehicleRef | None, Query(alias="vehicleId")] = None,
    status: Annotated[BookingStatus | None, Query(description="the booking's status")] = None,
) -> Paged[MaintenanceOut]:
    found = await fleet_maintenance.list_maintenance(
        session,
        await access.fleet_of(session, principal),
        page,
        vehicle_id=vehicle_id,
        status=status,
    )
    return Paged(
        data=[MaintenanceOut.of(m) for m in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.post(
    "",
    status_code=201,
    operation_id="hub_create_maintenance",
    dependencies=[idempotent(fleet_write)],
)
async def create_maintenance(
    body: MaintenanceIn, principal: FleetWrite, session: SessionDep
) -> MaintenanceOut:
    """Book the services at the workshop: a real workshop booking, worked through RevCare."""
    created = await fleet_maintenance.request_maintenance(
        session,
        principal,
        await access.fleet_of(session, principal),
        vehicle_id=body.vehicle_id,
        service_ids=body.service_ids,
        workshop_id=body.workshop_id,
        preferred_date=body.preferred_date,
        notes=body.notes,
    )
    return MaintenanceOut.of(created)


@router.get("/{maintenanceId}", operation_id="hub_get_maintenance")
async def get_maintenance(
    maintenance_id: MaintenanceIdPath, principal: FleetRead, session: SessionDep
) -> MaintenanceOut:
    organization_id = await access.fleet_of(session, principal)
    return MaintenanceOut.of(
        await fleet_maintenance.get_maintenance(session, organization_id, maintenance_id)
    )


@router.patch("/{maintenanceId}", operation_id="hub_update_maintenance")
async def update_maintenance(
    maintenance_id: MaintenanceIdPath,
    body: MaintenancePatch,
    principal: FleetWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> MaintenanceOut:
    updated = await fleet_maintenance.update_maintenance(
        session,
        principal,
        await access.fleet_of(session, principal),
        maintenance_id,
        notes=body.notes,
        action=body.action,
        declined_service_ids=body.declined_service_ids or (),
        payment_mode=body.payment_mode or PaymentMode.COD,
        reason=body.reason or "",
        cancellation_fee_percent=runtime.settings.booking_cancellation_fee_percent,
    )
    return MaintenanceOut.of(updated)
