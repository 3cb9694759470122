"""A fleet's maintenance: which workshops it may use (its selection), and maintenance
requests that are real RevCare service bookings at the chosen workshop.

Selection: ``independent`` (the default) lets the fleet use any active workshop;
``allowed_only`` only those in its allowed list, anything else is ``WorkshopNotAllowed``
(403). A request books the services at the workshop through the booking service, as the
booking's **customer**: the vehicle row's owner when it has one, else (a fleet vehicle
made by ``/v1/fleet/vehicles`` has no owner user) the person asking, the fleet manager or
the integration's service account user. The fleet also takes the customer's steps (accepting the
estimate, cancelling) through :func:`update_maintenance`; the workshop's mechanics and
admins work the booking through RevCare as any other. The request's status is its
booking's, read from it (``created`` .. ``completed``, ``paid``, ``cancelled``).

Every function takes the fleet's organization id, decided by the caller (the integration
or the fleet manager's membership); another organization's vehicle or request is a 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    ValidationFailed,
    WorkshopNotAllowed,
)
from evcare.core.pagination import Page, PageParams
from evcare.core.public_ids import MAINTENANCE_ID
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.service import bookings, scheduling, workshops
from evcare.service import fleet_maintenance_repository as repository
from evcare.service.bookings.models import PaymentMode, PickupType, ServiceBooking
from evcare.service.bookings.views import BookingView
from evcare.service.fleet_maintenance_models import (
    FleetMaintenance,
    FleetMaintenanceSettings,
    SelectionMode,
)
from evcare.service.workshops import Workshop
from evcare.vehicles import service as vehicles

# As far ahead as RevCare takes a booking.
MAX_DAYS_AHEAD = 90


class Action(StrEnum):
    """The customer's steps of the booking, taken by the fleet."""

    CONFIRM_SERVICES = "confirm_services"
    CANCEL = "cancel"


@dataclass(frozen=True)
class Selection:
    mode: SelectionMode
    allowed_workshop_ids: list[str]


@dataclass(frozen=True)
class Maintenance:
    maintenance: FleetMaintenance
    booking: BookingView

    @property
    def status(self) -> str:
        return self.booking.booking.status


# -- selection -----------------------------------------------------------------------------


async def get_selection(session: AsyncSession, organization_id: str) -> Selection:
    """The fleet's selection; a fleet that never set one is ``independent``."""
    found = await repository.get_settings(session, organization_id)
    mode = SelectionMode(found.selection_mode) if found else SelectionMode.INDEPENDENT
    return Selection(mode, await repository.allowed_workshop_ids(session, organization_id))


async def set_selection(
    session: AsyncSession,
    organization_id: str,
    *,
    mode: SelectionMode,
    allowed_workshop_ids: Sequence[str],
) -> Selection:
    """Replace the selection. Every allowed id must be an active workshop, and
    ``allowed_only`` needs at least one (it would otherwise allow nothing)."""
    wanted = list(dict.fromkeys(allowed_workshop_ids))
    known = await workshops.active_workshops(session, wanted)
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise ValidationFailed(
            f"allowedWorkshopIds: {unknown[0]} is not a workshop",
            fields=[FieldError("allowedWorkshopIds", f"{unknown[0]} is not a workshop")],
        )
    if mode == SelectionMode.ALLOWED_ONLY and not wanted:
        raise ValidationFailed(
            "allowedWorkshopIds: allowed_only needs at least one workshop",
            fields=[FieldError("allowedWorkshopIds", "at least one workshop for allowed_only")],
        )
    settings = await repository.get_settings(session, organization_id, lock=True)
    if settings is None:
        settings = FleetMaintenanceSettings(organization_id=organization_id)
        session.add(settings)
    settings.selection_mode = mode
    settings.updated_at = utcnow()
    await repository.replace_allowed_workshops(session, organization_id, wanted)
    return await get_selection(session, organization_id)


async def providers(
    session: AsyncSession, organization_id: str, params: PageParams
) -> Page[Workshop]:
    """The workshops the fleet may book with now, with their services."""
    selection = await get_selection(session, organization_id)
    only = selection.allowed_workshop_ids if selection.mode == SelectionMode.ALLOWED_ONLY else None
    return await workshops.list_workshops(session, params, only=only)


# -- requests ------------------------------------------------------------------------------


async def request_maintenance(
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    *,
    vehicle_id: int,
    service_ids: Sequence[int],
    workshop_id: str | None,
    preferred_date: date,
    notes: str,
) -> Maintenance:
    """Book the services for the fleet's vehicle at the workshop on the date (its first
    timeslot with room). Refusals, each before anything is written: another
    organization's vehicle (404), a workshop outside the selection (403), services the
    workshop does not offer or a date in the past (422), no room that day (409)."""
    vehicle = await vehicles.get_vehicle(session, vehicle_id)
    if vehicle.organization_id != organization_id:
        raise NotFound(f"Vehicle {vehicle_id} not found")
    workshop = await _chosen_workshop(session, organization_id, workshop_id)
    today = utcnow().date()
    if preferred_date < today:
        raise ValidationFailed(
            "preferredDate: must be today or later",
            fields=[FieldError("preferredDate", "must be today or later")],
        )
    if preferred_date > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed(
            f"preferredDate: at most {MAX_DAYS_AHEAD} days ahead",
            fields=[FieldError("preferredDate", f"at most {MAX_DAYS_AHEAD} days ahead")],
        )
    offered = {s.id for s in workshop.services}
    missing = [s for s in dict.fromkeys(service_ids) if s not in offered]
    if missing:
        raise ValidationFailed(
            f"serviceIds: {workshop.organization.name} does not offer service {missing[0]}",
            fields=[FieldError("serviceIds", f"service {missing[0]} is not offered here")],
        )
    if len(set(service_ids)) != len(service_ids):
        raise ValidationFailed(
            "serviceIds: each service may appear once",
            fields=[FieldError("serviceIds", "duplicate service id")],
        )
    slot = await _first_free_slot(session, preferred_date)
    # The booking's customer: the vehicle's own driver-owner when it has one, else the
    # person (or the integration's service account) who asked for it on the fleet's behalf.
    customer_id = vehicle.owner_id if vehicle.owner_id is not None else principal.user_id
    booked = await bookings.create_booking(
        session,
        _as_customer(principal, customer_id),
        customer_id=customer_id,
        vehicle_id=vehicle.id,
        pickup_type=PickupType.DROP_OFF,
        timeslot_id=slot,
        service_date=preferred_date,
        address_id=None,
        services=[bookings.ServiceRequest(service_id) for service_id in service_ids],
        notes=notes,
        workshop_id=workshop.organization.id,
        fleet_id=organization_id,
    )
    maintenance = FleetMaintenance(
        id=MAINTENANCE_ID.new(),
        organization_id=organization_id,
        booking_id=booked.booking.id,
        workshop_id=workshop.organization.id,
        requested_by=principal.user_id,
        notes=notes,
    )
    session.add(maintenance)
    await session.flush()
    return Maintenance(maintenance, booked)


async def list_maintenance(
    session: AsyncSession,
    organization_id: str,
    params: PageParams,
    *,
    vehicle_id: int | None = None,
    status: str | None = None,
) -> Page[Maintenance]:
    """The fleet's requests, newest first."""
    page = await repository.list_maintenance(
        session,
        organization_id,
        params,
        vehicle_id=vehicle_id,
        statuses=None if status is None else [status],
    )
    views = await bookings.views_of(session, [booking for _, booking in page.items])
    return Page(
        items=[Maintenance(m, view) for (m, _), view in zip(page.items, views, strict=True)],
        total=page.total,
        params=params,
    )


async def get_maintenance(
    session: AsyncSession, organization_id: str, maintenance_id: str
) -> Maintenance:
    maintenance, booking = await _load(session, organization_id, maintenance_id)
    return Maintenance(maintenance, await bookings.view_of(session, booking))


async def update_maintenance(
    session: AsyncSession,
    principal: Principal,
    organization_id: str,
    maintenance_id: str,
    *,
    notes: str | None = None,
    action: Action | None = None,
    declined_service_ids: Sequence[int] = (),
    payment_mode: PaymentMode = PaymentMode.COD,
    reason: str = "",
    cancellation_fee_percent: int,
) -> Maintenance:
    """Change the fleet's notes, and take the customer's step of the booking: accept the
    workshop's approved estimate (declining some services) or cancel. The booking's
    state machine decides whether the step is allowed now (409 naming its state)."""
    maintenance, booking = await _load(session, organization_id, maintenance_id)
    if notes is not None:
        maintenance.notes = notes
        maintenance.updated_at = utcnow()
    customer = _as_customer(principal, booking.customer_id)
    if action == Action.CONFIRM_SERVICES:
        await bookings.confirm_services(
            session,
            customer,
            booking_id=booking.id,
            declined_service_ids=declined_service_ids,
            payment_mode=payment_mode,
        )
    elif action == Action.CANCEL:
        await bookings.cancel_booking(
            session,
            customer,
            booking_id=booking.id,
            reason=reason or "cancelled by the fleet",
            fee_percent=cancellation_fee_percent,
        )
    await session.flush()
    return Maintenance(maintenance, await bookings.view_of(session, booking))


# -- internals -----------------------------------------------------------------------------


async def _load(
    session: AsyncSession, organization_id: str, maintenance_id: str
) -> tuple[FleetMaintenance, ServiceBooking]:
    found = await repository.get_maintenance(session, organization_id, maintenance_id)
    if found is None:
        raise NotFound(f"Maintenance {maintenance_id} not found")
    return found


async def _chosen_workshop(
    session: AsyncSession, organization_id: str, workshop_id: str | None
) -> Workshop:
    """The workshop asked for (or, when none is, the one the selection implies)."""
    selection = await get_selection(session, organization_id)
    allowed_only = selection.mode == SelectionMode.ALLOWED_ONLY
    if workshop_id is None:
        if not allowed_only:
            workshop_id = await workshops.default_workshop_id(session)
        elif len(selection.allowed_workshop_ids) == 1:
            (workshop_id,) = selection.allowed_workshop_ids
        else:
            raise ValidationFailed(
                "workshopId: required when several workshops are allowed",
                fields=[FieldError("workshopId", "choose one of the allowed workshops")],
            )
    workshop = await workshops.get_workshop(session, workshop_id)
    if allowed_only and workshop_id not in selection.allowed_workshop_ids:
        raise WorkshopNotAllowed(
            f"Workshop {workshop_id} is not on this fleet's allowed list "
            "(selectionMode allowed_only)"
        )
    return workshop


async def _first_free_slot(session: AsyncSession, day: date) -> int:
    _, _, slots = await scheduling.availability(session, service_date=day)
    for slot in slots:
        if slot.available > 0:
            return slot.timeslot.id
    raise Conflict(f"No workshop timeslot has room on {day.isoformat()}: choose another date")


def _as_customer(principal: Principal, customer_id: int) -> Principal:
    """The fleet acting as its booking's customer, for the customer's steps only: the
    fleet has already been shown to own the vehicle or the request."""
    return Principal(
        user_id=customer_id,
        role=Role.USER,
        scopes=scopes_for(Role.USER),
        session_id=principal.session_id,
        integration_id=principal.integration_id,
    )
