"""``/app/vehicles``: the driver's vehicles: list, add, make default, remove, over the same
service as ``/api/v1/profile/vehicles`` (only the driver's own vehicles)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.transactions import SessionDep
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import VehicleId
from evcare.vehicles import service as vehicles

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/vehicles")
async def vehicles_page(request: Request, principal: DriverPage, session: SessionDep) -> Response:
    owned = await vehicles.list_vehicle_summaries(session, principal)
    return render(
        request,
        "driver/vehicles.html",
        {"title": "Vehicles", "vehicles": owned, "min_year": vehicles.MIN_YEAR},
    )


class VehicleForm(BaseModel):
    make: str = Field(min_length=1, max_length=60)
    model: str = Field(min_length=1, max_length=80)
    year: int = Field(ge=vehicles.MIN_YEAR, le=2100)
    battery_capacity: Decimal = Field(
        ge=vehicles.MIN_BATTERY_KWH, le=vehicles.MAX_BATTERY_KWH, decimal_places=2
    )
    registration_number: str = Field(
        min_length=4, max_length=24, pattern=vehicles.REGISTRATION_INPUT
    )


@router.post("/vehicles")
async def add_vehicle(
    form: Annotated[VehicleForm, Form()], principal: DriverPage, session: SessionDep
) -> Response:
    await vehicles.add_vehicle(
        session,
        principal,
        make=form.make,
        model=form.model,
        year=form.year,
        battery_capacity_kwh=form.battery_capacity,
        registration_number=form.registration_number,
    )
    return RedirectResponse("/app/vehicles", status_code=303)


@router.post("/vehicles/{vehicle_id}/default")
async def make_default(
    vehicle_id: VehicleId, principal: DriverPage, session: SessionDep
) -> Response:
    await vehicles.set_default_vehicle(session, principal, vehicle_id=vehicle_id)
    return RedirectResponse("/app/vehicles", status_code=303)


@router.post("/vehicles/{vehicle_id}/delete")
async def delete_vehicle(
    vehicle_id: VehicleId, principal: DriverPage, session: SessionDep
) -> Response:
    await vehicles.delete_vehicle(session, principal, vehicle_id=vehicle_id)
    return RedirectResponse("/app/vehicles", status_code=303)
