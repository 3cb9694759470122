"""Every vehicle query: ownership scoping (``owned_by``) and eager loading live here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, case, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from evcare.core.names import name_key
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import User
from evcare.vehicles.fleet_models import VehicleDriver
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)

Reference = VehicleManufacturer | VehicleModel | VehicleClass | FuelType
R = TypeVar("R", VehicleManufacturer, VehicleModel, VehicleClass, FuelType)

# Which columns point at a reference row: a row some other row points at is "in use".
_REFERENCED_BY: dict[type[Any], tuple[InstrumentedAttribute[Any], ...]] = {
    VehicleManufacturer: (VehicleModel.manufacturer_id,),
    VehicleModel: (Vehicle.vehicle_model_id,),
    VehicleClass: (VehicleModel.vehicle_class_id, Vehicle.vehicle_class_id),
    FuelType: (VehicleModel.fuel_type_id, Vehicle.fuel_type_id),
}


def _vehicles() -> Select[Vehicle]:
    return select(Vehicle).options(joinedload(Vehicle.fuel_type), joinedload(Vehicle.vehicle_class))


def owned_by(owner_id: int) -> ColumnElement[bool]:
    return Vehicle.owner_id == owner_id


async def lock_owner(session: AsyncSession, owner_id: int) -> None:
    """Serialise changes to one owner's vehicles (the default rule spans rows).

    Locks the owner's user row until commit: ``FOR UPDATE`` on PostgreSQL; SQLite
    renders no lock clause and needs none, as it runs one writer at a time.
    """
    await session.execute(select(User.id).where(User.id == owner_id).with_for_update())


async def get_vehicle(
    session: AsyncSession,
    vehicle_id: int,
    *,
    owner_id: int | None = None,
    organization_id: str | None = None,
) -> Vehicle | None:
    """The vehicle with its class and fuel loaded; ``owner_id`` scopes to one owner,
    ``organization_id`` to one organization's fleet."""
    query = _vehicles().where(Vehicle.id == vehicle_id)
    if owner_id is not None:
        query = query.where(owned_by(owner_id))
    if organization_id is not None:
        query = query.where(Vehicle.organization_id == organization_id)
    query = query.execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


@dataclass(frozen=True, slots=True)
class VehicleSummary:
    """A vehicle as a list shows it: its own columns, no class or fuel, not an ORM object
    (loading objects was the larger part of a vehicle list's CPU)."""

    id: int
    make: str
    model: str
    year: int
    battery_capacity_kwh: Decimal | None
    registration_number: str
    is_default: bool
    created_at: datetime


# Built once: composing these statements took more CPU than SQLite takes to run them,
# and the garage is read on every profile and vehicle-list request.
_GARAGE_ORDER = (Vehicle.is_default.desc(), Vehicle.created_at.desc(), Vehicle.id.desc())
_OWNERS_VEHICLES = (
    select(Vehicle)
    .where(Vehicle.owner_id == bindparam("owner_id"))
    .order_by(*_GARAGE_ORDER)
    .options(joinedload(Vehicle.fuel_type), joinedload(Vehicle.vehicle_class))
)
_OWNERS_VEHICLE_SUMMARIES = (
    select(
        Vehicle.id,
        Vehicle.make,
        Vehicle.model,
        Vehicle.year,
        Vehicle.battery_capacity_kwh,
        Vehicle.registration_number,
        Vehicle.is_default,
        Vehicle.created_at,
    )
    .where(Vehicle.owner_id == bindparam("owner_id"))
    .order_by(*_GARAGE_ORDER)
)


async def list_vehicles(session: AsyncSession, *, owner_id: int) -> list[Vehicle]:
    """The owner's vehicles with their class and fuel, the default first, then newest."""
    return list((await session.scalars(_OWNERS_VEHICLES, {"owner_id": owner_id})).all())


async def list_vehicle_summaries(session: AsyncSession, *, owner_id: int) -> list[VehicleSummary]:
    """The owner's vehicles as summaries, in the same order as :func:`list_vehicles`."""
    # On the session's connection: a column query needs none of the ORM's execution steps.
    connection = await session.connection()
    rows = await connection.execute(_OWNERS_VEHICLE_SUMMARIES, {"owner_id": owner_id})
    return [VehicleSummary(*row) for row in rows]


def _drives(user_id: int) -> ColumnElement[bool]:
    return Vehicle.id.in_(select(VehicleDriver.vehicle_id).where(VehicleDriver.user_id == user_id))


async def page_of_client_vehicles(
    session: AsyncSession, *, user_id: int, params: PageParams
) -> Page[Vehicle]:
    """The person's own vehicles (the default first, then newest first), then the fleet
    vehicles they are assigned to drive (newest first); references loaded."""
    reach = owned_by(user_id) | _drives(user_id)
    total = await session.scalar(select(func.count()).select_from(Vehicle).where(reach))
    owned = case((owned_by(user_id), 0), else_=1)
    rows = await session.scalars(
        _vehicles()
        .where(reach)
        .order_by(owned, Vehicle.is_default.desc(), Vehicle.created_at.desc(), Vehicle.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows.all()), total or 0, params)


async def list_fleet_vehicles(
    session: AsyncSession, organization_id: str, params: PageParams
) -> Page[Vehicle]:
    """An organization's vehicles, newest first."""
    condition = Vehicle.organization_id == organization_id
    total = await session.scalar(select(func.count()).select_from(Vehicle).where(condition))
    rows = await session.scalars(
        _vehicles()
        .where(condition)
        .order_by(Vehicle.created_at.desc(), Vehicle.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total or 0, params=params)


async def count_vehicles(session: AsyncSession, *, owner_id: int) -> int:
    query = select(func.count()).select_from(Vehicle).where(owned_by(owner_id))
    return await session.scalar(query) or 0


async def get_by_registration(session: AsyncSession, registration_number: str) -> Vehicle | None:
    query = _vehicles().where(Vehicle.registration_number == registration_number)
    return (await session.scalars(query)).one_or_none()


async def registration_taken(
    session: AsyncSession, registration_number: str, *, except_vehicle: int | None = None
) -> bool:
    query = select(Vehicle.id).where(Vehicle.registration_number == registration_number)
    if except_vehicle is not None:
        query = query.where(Vehicle.id != except_vehicle)
    return (await session.scalar(query.limit(1))) is not None


async def make_default(session: AsyncSession, vehicle: Vehicle) -> None:
    """Clear the owner's current default, then set this one: two statements, one transaction.

    Two statements because PostgreSQL checks the one-default-per-owner index row by
    row: setting the new default before clearing the old one would trip it.
    """
    assert vehicle.owner_id is not None, "only an owner's vehicles have a default"
    await session.execute(
        update(Vehicle)
        .where(owned_by(vehicle.owner_id), Vehicle.is_default.is_(True), Vehicle.id != vehicle.id)
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        update(Vehicle)
        .where(Vehicle.id == vehicle.id)
        .values(is_default=True)
        .execution_options(synchronize_session="fetch")
    )


async def most_recent_vehicle(session: AsyncSession, *, owner_id: int) -> Vehicle | None:
    query = (
        select(Vehicle)
        .where(owned_by(owner_id))
        .order_by(Vehicle.created_at.desc(), Vehicle.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


# Reference data


def _references(kind: type[R]) -> Select[R]:
    query = select(kind)
    if kind is VehicleModel:
        query = query.options(
            joinedload(VehicleModel.manufacturer),
            joinedload(VehicleModel.vehicle_class),
            joinedload(VehicleModel.fuel_type),
        )
    return query


async def list_references(
    session: AsyncSession,
    kind: type[R],
    *,
    manufacturer_id: int | None = None,
    fuel_type_id: int | None = None,
) -> list[R]:
    query = _references(kind)
    if manufacturer_id is not None:
        query = query.where(VehicleModel.manufacturer_id == manufacturer_id)
    if fuel_type_id is not None:
        query = query.where(VehicleModel.fuel_type_id == fuel_type_id)
    if kind is VehicleModel:
        query = query.order_by(VehicleModel.manufacturer_id, VehicleModel.name)
    else:
        query = query.order_by(kind.name)
    return list((await session.scalars(query)).all())


async def get_reference(session: AsyncSession, kind: type[R], reference_id: int) -> R | None:
    query = _references(kind).where(kind.id == reference_id)
    query = query.execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


async def reference_exists(session: AsyncSession, kind: type[Reference], reference_id: int) -> bool:
    query = select(kind.id).where(kind.id == reference_id)
    return (await session.scalar(query)) is not None


async def reference_name_taken(
    session: AsyncSession,
    kind: type[Reference],
    name: str,
    *,
    manufacturer_id: int | None = None,
    except_id: int | None = None,
) -> bool:
    """Names are unique per kind (model names: per manufacturer), compared by name key."""
    query = select(kind.id).where(kind.name_key == name_key(name))
    if kind is VehicleModel:
        query = query.where(VehicleModel.manufacturer_id == manufacturer_id)
    if except_id is not None:
        query = query.where(kind.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


async def reference_in_use(session: AsyncSession, kind: type[Reference], reference_id: int) -> bool:
    for column in _REFERENCED_BY[kind]:
        if await session.scalar(select(exists().where(column == reference_id))):
            return True
    return False
