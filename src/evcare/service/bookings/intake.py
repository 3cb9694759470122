"""A booking is made (services, vehicle, timeslot, pickup) and given a mechanic."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.ids import format_public_id
from evcare.identity import repository as identity_repository
from evcare.identity.models import Role, UserStatus
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import repository as catalogue_repository
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import BookingItem, BookingStatus, PickupType, ServiceBooking
from evcare.service.bookings.views import BookingView, view_of
from evcare.service.models import MechanicProfile
from evcare.service.workshops import DEFAULT_WORKSHOP_ID, default_workshop_id
from evcare.vehicles import service as vehicles

S = BookingStatus

MAX_DAYS_AHEAD = 90


@dataclass(frozen=True)
class ServiceRequest:
    service_id: int
    quantity: int = 1


async def create_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    customer_id: int | None,
    vehicle_id: int,
    pickup_type: PickupType,
    timeslot_id: int,
    service_date: date | None,
    address_id: int | None,
    services: Sequence[ServiceRequest],
    notes: str,
    workshop_id: str | None = None,
) -> BookingView:
    """Book services for a vehicle in a timeslot; a full slot is a 409.

    The booking belongs to the workshop that offers its services (``workshop_id`` when the
    caller chose one, else the services' own, which must then be one workshop's)."""
    customer = customer_id if customer_id is not None else principal.user_id
    if customer != principal.user_id:
        if not principal.has(Scope.MANAGE_BOOKINGS):
            raise Forbidden("customer_id must be your own (only admins book for others)")
        user = await identity_repository.get_user(session, customer)
        if user is None or user.role != Role.USER:
            raise NotFound(f"Customer {format_public_id('CST', customer)} not found")
    vehicle = await vehicles.get_vehicle(session, vehicle_id)
    if vehicle.owner_id != customer:
        raise NotFound(f"Vehicle {vehicle_id} not found")

    today = utcnow().date()
    day = service_date or today
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed(
            f"service_date must be between today and {MAX_DAYS_AHEAD} days ahead",
            fields=[FieldError("service_date", f"today to {MAX_DAYS_AHEAD} days ahead")],
        )
    ids = [request.service_id for request in services]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "services: each service_id may appear once (use quantity)",
            fields=[FieldError("services", "duplicate service_id")],
        )
    found = {s.id: s for s in await catalogue_repository.get_services(session, ids)}
    for service_id in ids:
        service = found.get(service_id)
        if service is None or not service.is_active:
            raise NotFound(f"Service {service_id} not found")
        if workshop_id is not None and service.workshop_id != workshop_id:
            raise NotFound(f"Service {service_id} not found at workshop {workshop_id}")
    workshops = {s.workshop_id for s in found.values()}
    if len(workshops) > 1:
        raise BusinessRuleViolation("All services of a booking must be one workshop's")
    currencies = {s.currency for s in found.values()}
    if len(currencies) != 1:
        raise BusinessRuleViolation("All services of a booking must be priced in one currency")

    address = None
    if pickup_type == PickupType.DOORSTEP or address_id is not None:
        address = await repository.customer_address(
            session, customer_id=customer, address_id=address_id
        )
        if address is None:
            if address_id is not None:
                raise NotFound(f"Address {address_id} not found")
            raise BusinessRuleViolation("Doorstep pickup needs an address: add one first")
        if pickup_type == PickupType.DOORSTEP:
            covered = await catalogue_repository.serviceable_pincodes(session, [address.pincode])
            if address.pincode not in covered:
                raise BusinessRuleViolation(
                    f"Doorstep pickup is not available at pincode {address.pincode}; "
                    "choose drop_off"
                )

    slot = await repository.lock_timeslot(session, timeslot_id)
    if slot is None or not slot.is_active:
        raise NotFound(f"Timeslot {timeslot_id} not found")
    taken = (
        await repository.bookings_per_timeslot(
            session, service_date=day, timeslot_ids=[timeslot_id]
        )
    )[timeslot_id]
    if taken >= slot.capacity:
        raise Conflict(
            f"Timeslot {timeslot_id} on {day.isoformat()} is full "
            f"({taken} of {slot.capacity} places taken): choose another slot or date"
        )

    booking = ServiceBooking(
        customer_id=customer,
        workshop_id=workshops.pop() if workshops else await default_workshop_id(session),
        vehicle_id=vehicle.id,
        timeslot_id=timeslot_id,
        service_date=day,
        pickup_type=pickup_type,
        address_id=address.id if address else None,
        notes=notes,
        currency=currencies.pop(),
        status=S.CREATED,
    )
    session.add(booking)
    await session.flush()
    for request in services:
        service = found[request.service_id]
        session.add(
            BookingItem(
                booking_id=booking.id,
                service_id=service.id,
                service_name=service.name,
                quantity=request.quantity,
                unit_price_minor=service.price_minor,
            )
        )
    await lifecycle.record(
        session, booking, S.CREATED, actor=principal.user_id, note=notes[:200], first=True
    )
    return await view_of(session, booking)


async def assign_mechanic(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    mechanic_id: int,
    note: str,
) -> BookingView:
    """Assign (or, before the analysis, reassign) an active, available mechanic."""
    booking = await lifecycle.load(session, principal, booking_id)
    lifecycle.require(booking, {S.CREATED, S.MECHANIC_ASSIGNED}, "assign a mechanic")
    mechanic = await identity_repository.get_user(session, mechanic_id)
    if mechanic is None or mechanic.role != Role.MECHANIC:
        raise NotFound(f"Mechanic {format_public_id('MEC', mechanic_id)} not found")
    if mechanic.status != UserStatus.ACTIVE:
        raise BusinessRuleViolation(
            f"Mechanic {format_public_id('MEC', mechanic_id)} is not active"
        )
    profile = await session.get(MechanicProfile, mechanic_id)
    # A mechanic with no profile yet works for the default workshop, as they will once stored.
    works_at = profile.workshop_id if profile is not None else DEFAULT_WORKSHOP_ID
    if works_at != booking.workshop_id:
        raise BusinessRuleViolation(
            f"Mechanic {format_public_id('MEC', mechanic_id)} works for another workshop"
        )
    if profile is not None and not profile.is_available:
        raise BusinessRuleViolation(
            f"Mechanic {format_public_id('MEC', mechanic_id)} is not available"
        )
    booking.mechanic_id = mechanic_id
    text = f"mechanic {format_public_id('MEC', mechanic_id)}" + (f": {note}" if note else "")
    await lifecycle.record(
        session, booking, S.MECHANIC_ASSIGNED, actor=principal.user_id, note=text
    )
    await publish(
        session,
        lifecycle.STATUS_TOPIC,
        {
            "user_id": mechanic_id,
            "category": "assignment",
            "title": "New job assigned",
            "message": f"Booking {booking.id} on {booking.service_date.isoformat()} is yours.",
            "data": {"booking_id": booking.id, "status": str(S.MECHANIC_ASSIGNED)},
        },
    )
    return await view_of(session, booking)
