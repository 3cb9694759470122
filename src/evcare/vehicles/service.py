"""Vehicle rules: ownership, the one default vehicle per owner, and reference data.

A user reaches only their own vehicles: anybody else's is a :class:`NotFound`, never a
403, so ids cannot be probed. Each owner with vehicles has exactly one default: the
first vehicle becomes it, ``set_default_vehicle`` moves it, and deleting it promotes
the most recently added remaining vehicle.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
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
from evcare.core.ids import format_public_id
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.vehicles import holds, repository
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)
from evcare.vehicles.repository import R, Reference, VehicleSummary

MIN_YEAR = 1990
MIN_BATTERY_KWH = Decimal(1)
MAX_BATTERY_KWH = Decimal(500)
MAX_VEHICLES_PER_OWNER = 25
# What a client may send: letters and digits, optionally separated by spaces or dashes.
REGISTRATION_INPUT = r"^[A-Za-z0-9](?:[A-Za-z0-9 -]{2,22})[A-Za-z0-9]$"
_REGISTRATION = re.compile(r"^[A-Z0-9]{4,20}$")
VIN_INPUT = r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

REFERENCE_NAMES: dict[type[Any], str] = {
    VehicleManufacturer: "Manufacturer",
    VehicleModel: "Vehicle model",
    VehicleClass: "Vehicle class",
    FuelType: "Fuel type",
}


def max_year() -> int:
    """Next year's models are sold this year; nothing later exists yet."""
    return utcnow().year + 1


def normalise_registration(value: str) -> str:
    """``"mh 12-ab 1234"`` -> ``"MH12AB1234"``: one spelling per plate, so uniqueness holds."""
    return re.sub(r"[\s-]+", "", value).upper()


# Vehicles


async def list_vehicles(session: AsyncSession, principal: Principal) -> list[Vehicle]:
    """The caller's vehicles with their class and fuel, the default first."""
    return await repository.list_vehicles(session, owner_id=principal.user_id)


async def page_of_vehicles(
    session: AsyncSession, principal: Principal, params: PageParams
) -> Page[Vehicle]:
    """One page of the caller's vehicles (the hub's ``/v1/client/vehicles``): their own,
    the default first, then the fleet vehicles they are assigned to drive."""
    return await repository.page_of_client_vehicles(
        session, user_id=principal.user_id, params=params
    )


async def list_vehicle_summaries(
    session: AsyncSession, principal: Principal
) -> list[VehicleSummary]:
    """The caller's vehicles as a list shows them (no class or fuel), the default first."""
    return await repository.list_vehicle_summaries(session, owner_id=principal.user_id)


async def list_user_vehicle_summaries(
    session: AsyncSession, *, user_id: int
) -> list[VehicleSummary]:
    """A user's vehicle summaries without a principal (sign-in responses embed them)."""
    return await repository.list_vehicle_summaries(session, owner_id=user_id)


async def get_owned_vehicle(
    session: AsyncSession, principal: Principal, *, vehicle_id: int
) -> Vehicle:
    """The caller's vehicle; anybody else's is NotFound."""
    vehicle = await repository.get_vehicle(session, vehicle_id, owner_id=principal.user_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} not found")
    return vehicle


async def get_vehicle(session: AsyncSession, vehicle_id: int) -> Vehicle:
    """Any vehicle, no ownership check: for other contexts that already decided access."""
    vehicle = await repository.get_vehicle(session, vehicle_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {vehicle_id} not found")
    return vehicle


async def find_by_registration(
    session: AsyncSession, *, registration_number: str
) -> Vehicle | None:
    """The vehicle carrying this plate (any spelling of it), whoever owns it."""
    return await repository.get_by_registration(
        session, normalise_registration(registration_number)
    )


async def add_vehicle(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int,
    registration_number: str,
    make: str | None = None,
    model: str | None = None,
    battery_capacity_kwh: Decimal | None = None,
    vehicle_model_id: int | None = None,
    vehicle_class_id: int | None = None,
    fuel_type_id: int | None = None,
    vin: str | None = None,
    color: str | None = None,
    is_default: bool = False,
) -> Vehicle:
    """Add a vehicle for the caller.

    A reference ``vehicle_model_id`` fills make, model, class, fuel and (unless given)
    battery capacity. The owner's first vehicle becomes the default.
    """
    owner_id = principal.user_id
    await repository.lock_owner(session, owner_id)
    if await repository.count_vehicles(session, owner_id=owner_id) >= MAX_VEHICLES_PER_OWNER:
        raise BusinessRuleViolation(f"At most {MAX_VEHICLES_PER_OWNER} vehicles per account")
    vehicle = Vehicle(
        owner_id=owner_id,
        make=make or "",
        model=model or "",
        year=year,
        battery_capacity_kwh=battery_capacity_kwh,
        registration_number=registration_number,
        vehicle_class_id=vehicle_class_id,
        fuel_type_id=fuel_type_id,
        vin=vin,
        color=color,
        is_default=False,
    )
    if vehicle_model_id is not None:
        await _apply_reference_model(session, vehicle, vehicle_model_id, battery_capacity_kwh)
    await _check(session, vehicle)
    session.add(vehicle)
    await _flush(session, vehicle)
    if is_default or await repository.count_vehicles(session, owner_id=owner_id) == 1:
        await repository.make_default(session, vehicle)
    return await get_vehicle(session, vehicle.id)


async def update_vehicle(
    session: AsyncSession,
    principal: Principal,
    *,
    vehicle_id: int,
    make: str | None = None,
    model: str | None = None,
    year: int | None = None,
    battery_capacity_kwh: Decimal | None = None,
    registration_number: str | None = None,
    vehicle_model_id: int | None = None,
    vehicle_class_id: int | None = None,
    fuel_type_id: int | None = None,
    vin: str | None = None,
    color: str | None = None,
) -> Vehicle:
    """Change the caller's vehicle; a field left as None keeps its value."""
    vehicle = await get_owned_vehicle(session, principal, vehicle_id=vehicle_id)
    changes: dict[str, Any] = {
        "make": make,
        "model": model,
        "year": year,
        "battery_capacity_kwh": battery_capacity_kwh,
        "registration_number": registration_number,
        "vehicle_class_id": vehicle_class_id,
        "fuel_type_id": fuel_type_id,
        "vin": vin,
        "color": color,
    }
    for name, value in changes.items():
        if value is not None:
            setattr(vehicle, name, value)
    if vehicle_model_id is not None:
        await _apply_reference_model(session, vehicle, vehicle_model_id, battery_capacity_kwh)
    await _check(session, vehicle)
    await _flush(session, vehicle)
    return await get_vehicle(session, vehicle.id)


async def set_default_vehicle(
    session: AsyncSession, principal: Principal, *, vehicle_id: int
) -> Vehicle:
    """Make this the caller's default vehicle; the previous default stops being one."""
    await repository.lock_owner(session, principal.user_id)
    vehicle = await get_owned_vehicle(session, principal, vehicle_id=vehicle_id)
    await repository.make_default(session, vehicle)
    return await get_vehicle(session, vehicle.id)


async def delete_vehicle(session: AsyncSession, principal: Principal, *, vehicle_id: int) -> None:
    """Delete the caller's vehicle; if it was the default, the newest remaining one is."""
    await repository.lock_owner(session, principal.user_id)
    vehicle = await get_owned_vehicle(session, principal, vehicle_id=vehicle_id)
    await holds.check_deletable(session, vehicle.id)
    was_default = vehicle.is_default
    await session.delete(vehicle)
    await _flush(session, vehicle, conflict="Vehicle is still referenced and cannot be deleted")
    if was_default:
        successor = await repository.most_recent_vehicle(session, owner_id=principal.user_id)
        if successor is not None:
            await repository.make_default(session, successor)


# A fleet's vehicles (developer hub /v1/fleet/vehicles): the same rows, owned by an
# organization (``organization_id``) and possibly by no user; another organization's
# vehicle is NotFound.


async def list_fleet_vehicles(
    session: AsyncSession, *, organization_id: str, params: PageParams
) -> Page[Vehicle]:
    """The organization's vehicles, newest first."""
    return await repository.list_fleet_vehicles(session, organization_id, params)


async def get_fleet_vehicle(
    session: AsyncSession, *, organization_id: str, vehicle_id: int
) -> Vehicle:
    vehicle = await repository.get_vehicle(session, vehicle_id, organization_id=organization_id)
    if vehicle is None:
        raise NotFound(f"Vehicle {format_public_id('VEH', vehicle_id)} not found")
    return vehicle


async def add_fleet_vehicle(
    session: AsyncSession,
    *,
    organization_id: str,
    year: int,
    registration_number: str,
    make: str | None = None,
    model: str | None = None,
    battery_capacity_kwh: Decimal | None = None,
    vehicle_model_id: int | None = None,
    vin: str | None = None,
    color: str | None = None,
) -> Vehicle:
    """A vehicle of the organization's fleet, owned by no user (the same checks as a
    customer's: bounds, reference model, one registration per plate)."""
    vehicle = Vehicle(
        owner_id=None,
        organization_id=organization_id,
        make=make or "",
        model=model or "",
        year=year,
        battery_capacity_kwh=battery_capacity_kwh,
        registration_number=registration_number,
        vin=vin,
        color=color,
        is_default=False,
    )
    if vehicle_model_id is not None:
        await _apply_reference_model(session, vehicle, vehicle_model_id, battery_capacity_kwh)
    await _check(session, vehicle)
    session.add(vehicle)
    await _flush(session, vehicle)
    return await get_vehicle(session, vehicle.id)


async def update_fleet_vehicle(
    session: AsyncSession,
    *,
    organization_id: str,
    vehicle_id: int,
    changes: dict[str, Any],
    vehicle_model_id: int | None = None,
) -> Vehicle:
    """Change a fleet vehicle; ``changes`` holds only the fields the caller sent."""
    vehicle = await get_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    for name, value in changes.items():
        setattr(vehicle, name, value)
    if vehicle_model_id is not None:
        await _apply_reference_model(
            session, vehicle, vehicle_model_id, changes.get("battery_capacity_kwh")
        )
    await _check(session, vehicle)
    await _flush(session, vehicle)
    return await get_vehicle(session, vehicle.id)


async def delete_fleet_vehicle(
    session: AsyncSession, *, organization_id: str, vehicle_id: int
) -> Vehicle:
    """Delete a fleet vehicle (its sessions and bookings keep their history, unlinked)."""
    vehicle = await get_fleet_vehicle(
        session, organization_id=organization_id, vehicle_id=vehicle_id
    )
    await session.delete(vehicle)
    await _flush(session, vehicle, conflict="Vehicle is still referenced and cannot be deleted")
    return vehicle


async def _apply_reference_model(
    session: AsyncSession, vehicle: Vehicle, model_id: int, battery: Decimal | None
) -> None:
    reference = await repository.get_reference(session, VehicleModel, model_id)
    if reference is None:
        problem = FieldError("vehicle_model_id", f"vehicle model {model_id} does not exist")
        raise ValidationFailed(f"{problem.field}: {problem.message}", fields=[problem])
    vehicle.vehicle_model_id = reference.id
    vehicle.make = reference.manufacturer.name
    vehicle.model = reference.name
    vehicle.vehicle_class_id = reference.vehicle_class_id
    vehicle.fuel_type_id = reference.fuel_type_id
    if battery is None and reference.battery_capacity_kwh is not None:
        vehicle.battery_capacity_kwh = reference.battery_capacity_kwh


async def _check(session: AsyncSession, vehicle: Vehicle) -> None:
    """The bounds every caller gets, whichever surface (or context) it came through."""
    problems: list[FieldError] = []
    vehicle.make = vehicle.make.strip()
    vehicle.model = vehicle.model.strip()
    if not vehicle.make or len(vehicle.make) > 60:
        problems.append(FieldError("make", "1 to 60 characters, or a vehicle_model_id"))
    if not vehicle.model or len(vehicle.model) > 80:
        problems.append(FieldError("model", "1 to 80 characters, or a vehicle_model_id"))
    if not MIN_YEAR <= vehicle.year <= max_year():
        problems.append(FieldError("year", f"must be between {MIN_YEAR} and {max_year()}"))
    battery = vehicle.battery_capacity_kwh
    if battery is not None and not MIN_BATTERY_KWH <= battery <= MAX_BATTERY_KWH:
        problems.append(
            FieldError("battery_capacity_kwh", f"must be {MIN_BATTERY_KWH}..{MAX_BATTERY_KWH} kWh")
        )
    vehicle.registration_number = normalise_registration(vehicle.registration_number)
    if vehicle.vin is not None:
        vehicle.vin = vehicle.vin.strip().upper()
        if not _VIN.match(vehicle.vin):
            problems.append(FieldError("vin", "17 letters and digits, without I, O or Q"))
    if not _REGISTRATION.match(vehicle.registration_number):
        problems.append(FieldError("registration_number", "4 to 20 letters and digits"))
    problems += await _unknown_references(
        session,
        (
            ("vehicle_class_id", VehicleClass, vehicle.vehicle_class_id),
            ("fuel_type_id", FuelType, vehicle.fuel_type_id),
        ),
    )
    _refuse(problems)
    if await repository.registration_taken(
        session, vehicle.registration_number, except_vehicle=vehicle.id
    ):
        raise Conflict(f"Registration number {vehicle.registration_number} is already registered")


def _refuse(problems: list[FieldError]) -> None:
    """A 422 naming every field at fault, in the message too (RevCare shows only that)."""
    if problems:
        raise ValidationFailed(
            "; ".join(f"{p.field}: {p.message}" for p in problems), fields=problems
        )


async def _flush(
    session: AsyncSession,
    row: object,
    *,
    conflict: str = "Registration number is already registered",
) -> None:
    """Flush; a constraint a concurrent request won first becomes a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(conflict) from error


# Reference data: readable by every signed-in user, written by admins only.


async def list_references(
    session: AsyncSession,
    *,
    kind: type[R],
    manufacturer_id: int | None = None,
    fuel_type_id: int | None = None,
) -> list[R]:
    """Reference rows of one kind; models filter by manufacturer and fuel."""
    return await repository.list_references(
        session, kind, manufacturer_id=manufacturer_id, fuel_type_id=fuel_type_id
    )


async def get_reference(session: AsyncSession, *, kind: type[R], reference_id: int) -> R:
    row = await repository.get_reference(session, kind, reference_id)
    if row is None:
        raise NotFound(f"{REFERENCE_NAMES[kind]} {reference_id} not found")
    return row


async def create_reference(
    session: AsyncSession, principal: Principal, *, kind: type[R], **values: Any
) -> R:
    """Add a manufacturer, model, class or fuel (admins). Names are unique per kind."""
    _require_reference_writer(principal)
    row = kind(**values)
    await _check_reference(session, row)
    session.add(row)
    await _flush(session, row, conflict=f"{REFERENCE_NAMES[kind]} already exists")
    return await get_reference(session, kind=kind, reference_id=row.id)


async def update_reference(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: type[R],
    reference_id: int,
    **changes: Any,
) -> R:
    """Change a reference row (admins); None keeps a value."""
    _require_reference_writer(principal)
    row = await get_reference(session, kind=kind, reference_id=reference_id)
    for name, value in changes.items():
        if value is not None:
            setattr(row, name, value)
    await _check_reference(session, row)
    await _flush(session, row, conflict=f"{REFERENCE_NAMES[kind]} already exists")
    return await get_reference(session, kind=kind, reference_id=row.id)


async def delete_reference(
    session: AsyncSession, principal: Principal, *, kind: type[R], reference_id: int
) -> None:
    """Delete a reference row (admins); one that vehicles or models still use is a 409."""
    _require_reference_writer(principal)
    row = await get_reference(session, kind=kind, reference_id=reference_id)
    if await repository.reference_in_use(session, kind, reference_id):
        raise Conflict(f"{REFERENCE_NAMES[kind]} {reference_id} is in use and cannot be deleted")
    await session.delete(row)
    await _flush(session, row, conflict=f"{REFERENCE_NAMES[kind]} {reference_id} is in use")


def _require_reference_writer(principal: Principal) -> None:
    if not principal.has(Scope.WRITE_VEHICLE_REFERENCE):
        raise Forbidden(f"{Scope.WRITE_VEHICLE_REFERENCE} scope required")


async def _check_reference(session: AsyncSession, row: Reference) -> None:
    row.name = row.name.strip()
    manufacturer_id: int | None = None
    if isinstance(row, VehicleModel):
        manufacturer_id = row.manufacturer_id
        problems = await _unknown_references(
            session,
            (
                ("manufacturer_id", VehicleManufacturer, row.manufacturer_id),
                ("vehicle_class_id", VehicleClass, row.vehicle_class_id),
                ("fuel_type_id", FuelType, row.fuel_type_id),
            ),
        )
        _refuse(problems)
    if await repository.reference_name_taken(
        session, type(row), row.name, manufacturer_id=manufacturer_id, except_id=row.id
    ):
        raise Conflict(f"{REFERENCE_NAMES[type(row)]} {row.name!r} already exists")


ReferenceLink = tuple[str, type[Reference], int | None]


async def _unknown_references(
    session: AsyncSession, links: tuple[ReferenceLink, ...]
) -> list[FieldError]:
    """One field error per id that names no reference row of its kind."""
    problems: list[FieldError] = []
    for column, kind, key in links:
        if key is not None and not await repository.reference_exists(session, kind, key):
            problems.append(FieldError(column, f"unknown {REFERENCE_NAMES[kind].lower()}"))
    return problems
