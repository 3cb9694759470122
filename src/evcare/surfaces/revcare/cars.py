"""RevCare vehicles: ``/car/`` (the customer's own cars) and the reference data.

A car here is the same row EV-CMS shows under ``/api/v1/profile/vehicles``. Reference
data (``/car/models``, ``/car/class``, ``/car/fuel``, ``/car/manufacturer``) is readable
by any signed-in caller and written by admins only. The reference routes are declared
before ``/car/{car_id}`` so their paths are never read as a car id.

No ``from __future__ import annotations`` here: the reference routes are built by one
function per kind, and FastAPI must see each kind's body model as a real type.
"""

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticated, Authenticator
from evcare.surfaces.ids import (
    CarId,
    FuelTypeId,
    ManufacturerId,
    VehicleClassId,
    VehicleModelId,
)
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel
from evcare.vehicles import service as vehicles
from evcare.vehicles.models import (
    FuelType,
    Vehicle,
    VehicleClass,
    VehicleManufacturer,
    VehicleModel,
)

router = APIRouter(prefix="/car", tags=["cars"], route_class=TransactionalRoute)

CarsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_VEHICLES))]
CarsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_VEHICLES))]
ReferenceWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_VEHICLE_REFERENCE))]

Year = Annotated[int, Field(ge=vehicles.MIN_YEAR, le=2100, description="up to next year")]
BatteryKwh = Annotated[
    Decimal, Field(ge=vehicles.MIN_BATTERY_KWH, le=vehicles.MAX_BATTERY_KWH, decimal_places=2)
]
Registration = Annotated[
    str, Field(min_length=4, max_length=24, pattern=vehicles.REGISTRATION_INPUT)
]
Vin = Annotated[str, Field(min_length=17, max_length=17, pattern=vehicles.VIN_INPUT)]
Color = Annotated[str, Field(min_length=1, max_length=30)]
Make = Annotated[str, Field(min_length=1, max_length=60)]
ModelName = Annotated[str, Field(min_length=1, max_length=80)]
ShortName = Annotated[str, Field(min_length=1, max_length=40)]


def _kwh(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


# Reference data


class ManufacturerOut(RevModel):
    id: int
    name: str
    country: str | None

    @classmethod
    def of(cls, row: VehicleManufacturer) -> "ManufacturerOut":
        return cls(id=row.id, name=row.name, country=row.country)


class ManufacturerIn(RevIn):
    name: Make
    country: Annotated[str, Field(min_length=2, max_length=60)] | None = None


class ManufacturerUpdate(RevIn):
    name: Make | None = None
    country: Annotated[str, Field(min_length=2, max_length=60)] | None = None


class NamedOut(RevModel):
    """A vehicle class or a fuel type."""

    id: int
    name: str

    @classmethod
    def of(cls, row: VehicleClass | FuelType) -> "NamedOut":
        return cls(id=row.id, name=row.name)


class NamedIn(RevIn):
    name: ShortName


class VehicleModelOut(RevModel):
    id: int
    name: str
    manufacturer_id: int
    manufacturer: str
    vehicle_class_id: int | None
    vehicle_class: str | None
    fuel_type_id: int
    fuel_type: str
    battery_capacity_kwh: float | None

    @classmethod
    def of(cls, row: VehicleModel) -> "VehicleModelOut":
        return cls(
            id=row.id,
            name=row.name,
            manufacturer_id=row.manufacturer_id,
            manufacturer=row.manufacturer.name,
            vehicle_class_id=row.vehicle_class_id,
            vehicle_class=row.vehicle_class.name if row.vehicle_class else None,
            fuel_type_id=row.fuel_type_id,
            fuel_type=row.fuel_type.name,
            battery_capacity_kwh=_kwh(row.battery_capacity_kwh),
        )


class VehicleModelIn(RevIn):
    name: ModelName
    manufacturer_id: ManufacturerId
    fuel_type_id: FuelTypeId
    vehicle_class_id: VehicleClassId | None = None
    battery_capacity_kwh: BatteryKwh | None = None


class VehicleModelUpdate(RevIn):
    name: ModelName | None = None
    manufacturer_id: ManufacturerId | None = None
    fuel_type_id: FuelTypeId | None = None
    vehicle_class_id: VehicleClassId | None = None
    battery_capacity_kwh: BatteryKwh | None = None


@router.get("/models", operation_id="revcare_list_vehicle_models")
async def list_vehicle_models(
    principal: Authenticated,
    session: SessionDep,
    manufacturer_id: ManufacturerId | None = None,
    fuel_id: FuelTypeId | None = None,
) -> list[VehicleModelOut]:
    rows = await vehicles.list_references(
        session, kind=VehicleModel, manufacturer_id=manufacturer_id, fuel_type_id=fuel_id
    )
    return [VehicleModelOut.of(row) for row in rows]


def _reference_routes(
    path: str,
    *,
    kind: Any,
    label: str,
    row_id_type: Any,
    out: type[RevModel],
    render: Callable[[Any], RevModel],
    create: type[BaseModel],
    update: type[BaseModel],
    with_list: bool = True,
) -> None:
    """List, get, create, update and delete for one kind of reference row."""
    if with_list:

        @router.get(f"/{path}", response_model=list[out], operation_id=f"revcare_list_{label}s")  # type: ignore[valid-type]
        async def list_rows(principal: Authenticated, session: SessionDep) -> list[RevModel]:
            return [render(row) for row in await vehicles.list_references(session, kind=kind)]

    @router.post(
        f"/{path}", status_code=201, response_model=out, operation_id=f"revcare_create_{label}"
    )
    async def create_row(
        body: create,  # type: ignore[valid-type]
        principal: ReferenceWrite,
        session: SessionDep,
    ) -> RevModel:
        values = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        return render(await vehicles.create_reference(session, principal, kind=kind, **values))

    @router.get(f"/{path}/{{row_id}}", response_model=out, operation_id=f"revcare_get_{label}")
    async def get_row(
        row_id: row_id_type,
        principal: Authenticated,
        session: SessionDep,
    ) -> RevModel:
        return render(await vehicles.get_reference(session, kind=kind, reference_id=row_id))

    @router.put(f"/{path}/{{row_id}}", response_model=out, operation_id=f"revcare_update_{label}")
    async def update_row(
        row_id: row_id_type,
        body: update,  # type: ignore[valid-type]
        principal: ReferenceWrite,
        session: SessionDep,
    ) -> RevModel:
        changes = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        row = await vehicles.update_reference(
            session, principal, kind=kind, reference_id=row_id, **changes
        )
        return render(row)

    @router.delete(f"/{path}/{{row_id}}", operation_id=f"revcare_delete_{label}")
    async def delete_row(
        row_id: row_id_type,
        principal: ReferenceWrite,
        session: SessionDep,
    ) -> Message:
        await vehicles.delete_reference(session, principal, kind=kind, reference_id=row_id)
        return Message(message=f"{vehicles.REFERENCE_NAMES[kind]} deleted")


_reference_routes(
    "models",
    kind=VehicleModel,
    row_id_type=VehicleModelId,
    label="vehicle_model",
    out=VehicleModelOut,
    render=VehicleModelOut.of,
    create=VehicleModelIn,
    update=VehicleModelUpdate,
    with_list=False,
)
_reference_routes(
    "class",
    kind=VehicleClass,
    row_id_type=VehicleClassId,
    label="vehicle_class",
    out=NamedOut,
    render=NamedOut.of,
    create=NamedIn,
    update=NamedIn,
)
_reference_routes(
    "fuel",
    kind=FuelType,
    row_id_type=FuelTypeId,
    label="fuel_type",
    out=NamedOut,
    render=NamedOut.of,
    create=NamedIn,
    update=NamedIn,
)
_reference_routes(
    "manufacturer",
    kind=VehicleManufacturer,
    row_id_type=ManufacturerId,
    label="manufacturer",
    out=ManufacturerOut,
    render=ManufacturerOut.of,
    create=ManufacturerIn,
    update=ManufacturerUpdate,
)


# The customer's cars


class CarOut(RevModel):
    id: int
    vehicle_model_id: int | None
    make: str
    model: str
    year: int
    registration_number: str
    fuel_type_id: int | None
    fuel_type: str | None
    vehicle_class_id: int | None
    vehicle_class: str | None
    battery_capacity_kwh: float | None
    vin: str | None
    color: str | None
    is_default: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, car: Vehicle) -> "CarOut":
        return cls(
            id=car.id,
            vehicle_model_id=car.vehicle_model_id,
            make=car.make,
            model=car.model,
            year=car.year,
            registration_number=car.registration_number,
            fuel_type_id=car.fuel_type_id,
            fuel_type=car.fuel_type.name if car.fuel_type else None,
            vehicle_class_id=car.vehicle_class_id,
            vehicle_class=car.vehicle_class.name if car.vehicle_class else None,
            battery_capacity_kwh=_kwh(car.battery_capacity_kwh),
            vin=car.vin,
            color=car.color,
            is_default=car.is_default,
            created_at=car.created_at,
            updated_at=car.updated_at,
        )


class CarUpdate(RevIn):
    vehicle_model_id: VehicleModelId | None = Field(
        default=None, description="a reference model: fills make, model, class, fuel, battery"
    )
    make: Make | None = None
    model: ModelName | None = None
    year: Year | None = None
    registration_number: Registration | None = None
    fuel_type_id: FuelTypeId | None = None
    vehicle_class_id: VehicleClassId | None = None
    battery_capacity_kwh: BatteryKwh | None = None
    vin: Vin | None = None
    color: Color | None = None


class CarIn(CarUpdate):
    year: Year
    registration_number: Registration
    is_default: bool = False


@router.get("/", operation_id="revcare_list_cars")
async def list_cars(principal: CarsRead, session: SessionDep) -> list[CarOut]:
    return [CarOut.of(car) for car in await vehicles.list_vehicles(session, principal)]


@router.post("/", status_code=201, operation_id="revcare_create_car")
async def create_car(body: CarIn, principal: CarsWrite, session: SessionDep) -> CarOut:
    car = await vehicles.add_vehicle(session, principal, **body.model_dump(exclude_none=True))
    return CarOut.of(car)


@router.get("/{car_id}", operation_id="revcare_get_car")
async def get_car(car_id: CarId, principal: CarsRead, session: SessionDep) -> CarOut:
    return CarOut.of(await vehicles.get_owned_vehicle(session, principal, vehicle_id=car_id))


@router.put("/{car_id}", operation_id="revcare_update_car")
async def update_car(
    car_id: CarId, body: CarUpdate, principal: CarsWrite, session: SessionDep
) -> CarOut:
    car = await vehicles.update_vehicle(
        session, principal, vehicle_id=car_id, **body.model_dump(exclude_none=True)
    )
    return CarOut.of(car)


@router.patch("/{car_id}/set-default", operation_id="revcare_set_default_car")
async def set_default_car(car_id: CarId, principal: CarsWrite, session: SessionDep) -> CarOut:
    return CarOut.of(await vehicles.set_default_vehicle(session, principal, vehicle_id=car_id))


@router.delete("/{car_id}", operation_id="revcare_delete_car")
async def delete_car(car_id: CarId, principal: CarsWrite, session: SessionDep) -> Message:
    await vehicles.delete_vehicle(session, principal, vehicle_id=car_id)
    return Message(message="Car deleted")
