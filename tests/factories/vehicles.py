"""Vehicles and reference data for tests.

Tests empty every table between them, the migration's seeded reference rows included,
so a test that needs a manufacturer or model makes its own.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from decimal import Decimal

from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.vehicles import service
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)

_counter = itertools.count(1)


def principal_of(user: User) -> Principal:
    role = Role(user.role)
    return Principal(user_id=user.id, role=role, scopes=scopes_for(role), session_id=uuid.uuid4())


def registration() -> str:
    return f"KA01EV{next(_counter):04d}"


async def make_vehicle(
    runtime: Runtime,
    owner: User,
    *,
    make: str = "Tata",
    model: str = "Nexon EV",
    year: int = 2023,
    battery_capacity_kwh: Decimal | None = Decimal("40.5"),
    registration_number: str | None = None,
    vehicle_model_id: int | None = None,
) -> Vehicle:
    """Through the service, so the default rule applies as it does for clients."""
    async with runtime.sessionmaker() as session:
        vehicle = await service.add_vehicle(
            session,
            principal_of(owner),
            make=make,
            model=model,
            year=year,
            battery_capacity_kwh=battery_capacity_kwh,
            registration_number=registration_number or registration(),
            vehicle_model_id=vehicle_model_id,
        )
        await session.commit()
        return vehicle


@dataclass(frozen=True)
class Catalogue:
    electric: FuelType
    petrol: FuelType
    suv: VehicleClass
    maker: VehicleManufacturer
    ev_model: VehicleModel
    petrol_model: VehicleModel


async def make_catalogue(runtime: Runtime) -> Catalogue:
    """A small reference set: one maker with an electric SUV and a petrol SUV."""
    n = next(_counter)
    async with runtime.sessionmaker() as session:
        electric = FuelType(name=f"Electric {n}")
        petrol = FuelType(name=f"Petrol {n}")
        suv = VehicleClass(name=f"SUV {n}")
        maker = VehicleManufacturer(name=f"Mahindra {n}", country="India")
        session.add_all([electric, petrol, suv, maker])
        await session.flush()
        ev_model = VehicleModel(
            manufacturer_id=maker.id,
            name="XUV400",
            vehicle_class_id=suv.id,
            fuel_type_id=electric.id,
            battery_capacity_kwh=Decimal("39.40"),
        )
        petrol_model = VehicleModel(
            manufacturer_id=maker.id,
            name="XUV700",
            vehicle_class_id=suv.id,
            fuel_type_id=petrol.id,
        )
        session.add_all([ev_model, petrol_model])
        await session.commit()
        return Catalogue(electric, petrol, suv, maker, ev_model, petrol_model)


def narrowed(runtime: Runtime, token: str, *, without: str) -> dict[str, str]:
    """Headers for the same sign-in, its token issued without one scope (as a partner's may be)."""
    tokens = runtime.credentials.access_tokens
    claims = tokens.verify(token)
    scopes = scopes_for(claims.role) - {without}
    narrow, _ = tokens.issue(
        user_id=claims.user_id,
        session_id=claims.session_id,
        role=claims.role,
        scopes=scopes,
        lifetime=runtime.credentials.cms_access_lifetime,
    )
    return {"Authorization": f"Bearer {narrow}"}
