"""Vehicle rules through the service: ownership, the one default, reference data."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from evcare.core.clock import clock, utcnow
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from evcare.core.migrate import upgrade
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.vehicles import service
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)
from tests.factories.identity import make_user
from tests.factories.vehicles import make_catalogue, make_vehicle, principal_of


async def defaults_of(runtime: Runtime, owner_id: int) -> list[int]:
    async with runtime.sessionmaker() as session:
        query = select(Vehicle.id).where(Vehicle.owner_id == owner_id, Vehicle.is_default)
        return list((await session.scalars(query)).all())


async def test_the_first_vehicle_becomes_the_default_and_later_ones_do_not(
    runtime: Runtime,
) -> None:
    owner = await make_user(runtime)
    first = await make_vehicle(runtime, owner)
    second = await make_vehicle(runtime, owner)
    assert first.is_default and not second.is_default
    assert await defaults_of(runtime, owner.id) == [first.id]


async def test_set_default_moves_the_default_so_exactly_one_remains(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    first = await make_vehicle(runtime, owner)
    second = await make_vehicle(runtime, owner)
    async with runtime.sessionmaker() as session:
        chosen = await service.set_default_vehicle(
            session, principal_of(owner), vehicle_id=second.id
        )
        await session.commit()
    assert chosen.is_default
    assert await defaults_of(runtime, owner.id) == [second.id]
    async with runtime.sessionmaker() as session:
        # Setting the default again changes nothing.
        await service.set_default_vehicle(session, principal_of(owner), vehicle_id=second.id)
        await session.commit()
    assert await defaults_of(runtime, owner.id) == [second.id]
    assert first.id != second.id


async def test_deleting_the_default_promotes_the_most_recently_added_vehicle(
    runtime: Runtime, frozen_clock: None
) -> None:
    owner = await make_user(runtime)
    first = await make_vehicle(runtime, owner)
    clock.advance(timedelta(minutes=1))
    newest = await make_vehicle(runtime, owner)
    clock.advance(timedelta(minutes=-5))
    # Added later (higher id) but with an earlier clock: creation time decides, not the id.
    older = await make_vehicle(runtime, owner)
    assert older.id > newest.id
    async with runtime.sessionmaker() as session:
        await service.delete_vehicle(session, principal_of(owner), vehicle_id=first.id)
        await session.commit()
    assert await defaults_of(runtime, owner.id) == [newest.id]
    async with runtime.sessionmaker() as session:
        await service.delete_vehicle(session, principal_of(owner), vehicle_id=newest.id)
        await session.commit()
    assert await defaults_of(runtime, owner.id) == [older.id]


async def test_deleting_the_only_vehicle_leaves_no_default(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    only = await make_vehicle(runtime, owner)
    async with runtime.sessionmaker() as session:
        await service.delete_vehicle(session, principal_of(owner), vehicle_id=only.id)
        await session.commit()
        assert await service.list_vehicles(session, principal_of(owner)) == []


async def test_deleting_a_vehicle_that_is_not_the_default_keeps_the_default(
    runtime: Runtime,
) -> None:
    owner = await make_user(runtime)
    first = await make_vehicle(runtime, owner)
    second = await make_vehicle(runtime, owner)
    async with runtime.sessionmaker() as session:
        await service.delete_vehicle(session, principal_of(owner), vehicle_id=second.id)
        await session.commit()
    assert await defaults_of(runtime, owner.id) == [first.id]


async def test_another_owners_vehicle_is_not_found_for_every_operation(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    stranger = await make_user(runtime)
    vehicle = await make_vehicle(runtime, owner)
    them = principal_of(stranger)
    async with runtime.sessionmaker() as session:
        with pytest.raises(NotFound):
            await service.get_owned_vehicle(session, them, vehicle_id=vehicle.id)
        with pytest.raises(NotFound):
            await service.update_vehicle(session, them, vehicle_id=vehicle.id, make="X")
        with pytest.raises(NotFound):
            await service.set_default_vehicle(session, them, vehicle_id=vehicle.id)
        with pytest.raises(NotFound):
            await service.delete_vehicle(session, them, vehicle_id=vehicle.id)
        assert await service.list_vehicles(session, them) == []
        # Internal callers that already decided access reach it by id.
        assert (await service.get_vehicle(session, vehicle.id)).owner_id == owner.id


async def test_registration_numbers_are_normalised_and_unique_across_owners(
    runtime: Runtime,
) -> None:
    owner = await make_user(runtime)
    stranger = await make_user(runtime)
    vehicle = await make_vehicle(runtime, owner, registration_number="mh 12-ab 1234")
    assert vehicle.registration_number == "MH12AB1234"
    with pytest.raises(Conflict):
        await make_vehicle(runtime, stranger, registration_number="MH12AB 1234")
    async with runtime.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Vehicle))
    assert count == 1


async def test_a_reference_model_fills_make_model_class_fuel_and_battery(
    runtime: Runtime,
) -> None:
    catalogue = await make_catalogue(runtime)
    owner = await make_user(runtime)
    vehicle = await make_vehicle(
        runtime,
        owner,
        make="ignored",
        model="ignored",
        battery_capacity_kwh=None,
        vehicle_model_id=catalogue.ev_model.id,
    )
    assert (vehicle.make, vehicle.model) == (catalogue.maker.name, "XUV400")
    assert vehicle.battery_capacity_kwh == Decimal("39.40")
    assert vehicle.fuel_type_id == catalogue.electric.id
    assert vehicle.vehicle_class_id == catalogue.suv.id
    assert vehicle.vehicle_model_id == catalogue.ev_model.id


async def test_an_explicit_battery_capacity_wins_over_the_reference_model(
    runtime: Runtime,
) -> None:
    catalogue = await make_catalogue(runtime)
    owner = await make_user(runtime)
    vehicle = await make_vehicle(
        runtime,
        owner,
        battery_capacity_kwh=Decimal("34.5"),
        vehicle_model_id=catalogue.ev_model.id,
    )
    assert vehicle.battery_capacity_kwh == Decimal("34.50")


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("year", {"year": 1989}),
        ("battery_capacity_kwh", {"battery_capacity_kwh": Decimal("500.01")}),
        ("battery_capacity_kwh", {"battery_capacity_kwh": Decimal("0.5")}),
        ("registration_number", {"registration_number": "AB1"}),
        ("registration_number", {"registration_number": "AB12CD34EF56GH78IJ90K"}),
        ("make", {"make": "  "}),
        ("vehicle_model_id", {"vehicle_model_id": 999_999}),
        ("fuel_type_id", {"fuel_type_id": 999_999}),
    ],
)
async def test_out_of_bounds_input_is_refused_and_names_the_field(
    runtime: Runtime, field: str, changes: dict[str, object]
) -> None:
    owner = await make_user(runtime)
    values: dict[str, object] = {
        "make": "Tata",
        "model": "Tiago EV",
        "year": 2024,
        "registration_number": "DL3CAB0001",
        **changes,
    }
    async with runtime.sessionmaker() as session:
        with pytest.raises(ValidationFailed) as raised:
            await service.add_vehicle(session, principal_of(owner), **values)  # type: ignore[arg-type]
    assert [problem.field for problem in raised.value.fields] == [field]


async def test_next_years_model_is_accepted_but_the_year_after_is_not(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    next_year = utcnow().year + 1
    vehicle = await make_vehicle(runtime, owner, year=next_year)
    assert vehicle.year == next_year
    with pytest.raises(ValidationFailed):
        await make_vehicle(runtime, owner, year=next_year + 1)


async def test_an_owner_cannot_exceed_the_vehicle_limit(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    for _ in range(service.MAX_VEHICLES_PER_OWNER):
        await make_vehicle(runtime, owner)
    with pytest.raises(BusinessRuleViolation):
        await make_vehicle(runtime, owner)


async def test_deleting_an_owner_deletes_their_vehicles(runtime: Runtime) -> None:
    owner = await make_user(runtime)
    await make_vehicle(runtime, owner)
    async with runtime.sessionmaker() as session:
        await session.delete(await session.get(type(owner), owner.id))
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(Vehicle)) == 0


async def test_reference_rows_in_use_cannot_be_deleted(runtime: Runtime) -> None:
    catalogue = await make_catalogue(runtime)
    admin = principal_of(await make_user(runtime, role=Role.ADMIN))
    owner = await make_user(runtime)
    await make_vehicle(runtime, owner, vehicle_model_id=catalogue.ev_model.id)
    async with runtime.sessionmaker() as session:
        for kind, key in (
            (VehicleModel, catalogue.ev_model.id),
            (VehicleManufacturer, catalogue.maker.id),
            (FuelType, catalogue.electric.id),
            (VehicleClass, catalogue.suv.id),
        ):
            with pytest.raises(Conflict):
                await service.delete_reference(session, admin, kind=kind, reference_id=key)
        # Nothing points at the petrol model: it goes.
        await service.delete_reference(
            session, admin, kind=VehicleModel, reference_id=catalogue.petrol_model.id
        )
        await session.commit()
        assert await session.get(VehicleModel, catalogue.petrol_model.id) is None


async def test_only_holders_of_the_reference_scope_write_reference_data(
    runtime: Runtime,
) -> None:
    catalogue = await make_catalogue(runtime)
    for role in (Role.USER, Role.MECHANIC, Role.BRAND):
        someone = principal_of(await make_user(runtime, role=role))
        async with runtime.sessionmaker() as session:
            with pytest.raises(Forbidden):
                await service.create_reference(session, someone, kind=FuelType, name="Hydrogen")
            with pytest.raises(Forbidden):
                await service.delete_reference(
                    session, someone, kind=FuelType, reference_id=catalogue.petrol.id
                )


async def test_the_migration_seeds_indian_and_global_evs_hybrids_and_ice_cars() -> None:
    # A fresh database: the shared test database is emptied between tests, seeds too.
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-seed-')) / 'seed.db'}"
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            fuels = set((await session.scalars(select(FuelType.name))).all())
            classes = set((await session.scalars(select(VehicleClass.name))).all())
            rows = (
                await session.execute(
                    select(VehicleManufacturer.name, VehicleModel.name, FuelType.name)
                    .join(VehicleModel.manufacturer)
                    .join(VehicleModel.fuel_type)
                )
            ).all()
    finally:
        await engine.dispose()
    assert fuels == {"Electric", "Hybrid", "Plug-in Hybrid", "Petrol", "Diesel", "CNG"}
    assert classes == {"Hatchback", "Sedan", "SUV", "MUV", "Compact SUV", "Two-wheeler"}
    models = {(maker, name): fuel for maker, name, fuel in rows}
    assert models[("Tata Motors", "Nexon EV")] == "Electric"
    assert models[("MG Motor", "Comet EV")] == "Electric"
    assert models[("Toyota", "Innova Hycross Hybrid")] == "Hybrid"
    assert models[("Tesla", "Model Y")] == "Electric"
    assert {"Petrol", "Diesel", "CNG", "Plug-in Hybrid"} <= set(models.values())
