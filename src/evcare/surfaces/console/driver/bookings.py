"""A station's page (``/app/stations/<id>``) with its connectors and the booking form, and
the driver's bookings (``/app/bookings``): book, start charging on the booked connector,
cancel. The same services as EV-CMS's ``/api/v1/stations/:id`` and ``/api/v1/bookings``
(the reservation fee comes from the wallet; a driver reaches only their own bookings)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.charging.bookings import service as bookings
from evcare.charging.bookings.documents import booking_document
from evcare.charging.stations import service as stations
from evcare.charging.stations.cards import StationCard
from evcare.core.clock import utcnow
from evcare.core.money import major_number
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.ocpp.registry import registry_of
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.ids import ChargingBookingId, StationId, VehicleId
from evcare.vehicles import service as vehicles

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

# When a booking starts, as the form offers it (minutes from now), and how long it lasts.
STARTS = {0: "Now", 15: "In 15 minutes", 30: "In 30 minutes", 60: "In 1 hour", 120: "In 2 hours"}
DURATIONS = (30, 60, 90, 120, 180)
BOOKINGS_PER_PAGE = 20


@router.get("/stations/{station_id}")
async def station_page(
    request: Request,
    station_id: StationId,
    principal: DriverPage,
    session: SessionDep,
) -> Response:
    card = StationCard.of(await stations.get_station(session, principal, station_id))
    owned = await vehicles.list_vehicle_summaries(session, principal)
    connectors = [
        {
            "ref": c.connector_id,
            "type": c.type,
            "power": c.power_kw,
            "status": c.status_at(card.status),
            "price": major_number(c.base_price_minor, c.currency),
            "fee": major_number(c.reservation_fee_minor, c.currency),
        }
        for c in card.connectors
    ]
    return render(
        request,
        "driver/station.html",
        {
            "title": card.name,
            "station": card,
            "connectors": connectors,
            "vehicles": owned,
            "starts": STARTS,
            "durations": DURATIONS,
        },
    )


class BookingForm(BaseModel):
    station_id: StationId
    connector_id: str = Field(min_length=1, max_length=40)
    vehicle_id: VehicleId
    starts_in: int = Field(default=0, ge=0, le=24 * 60)
    duration: int = Field(default=60, ge=15, le=480)


@router.post("/bookings")
async def create_booking(
    form: Annotated[BookingForm, Form()], principal: DriverPage, session: SessionDep
) -> Response:
    view = await bookings.create_booking(
        session,
        principal,
        station_id=form.station_id,
        connector_ref=form.connector_id,
        vehicle_id=form.vehicle_id,
        scheduled_at=utcnow() + timedelta(minutes=form.starts_in),
        estimated_minutes=form.duration,
    )
    return RedirectResponse(f"/app/bookings?booked={view.row.booking_number}", status_code=303)


@router.get("/bookings")
async def bookings_page(
    request: Request,
    principal: DriverPage,
    session: SessionDep,
    booked: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    found = await bookings.list_bookings(
        session, principal, PageParams(page, BOOKINGS_PER_PAGE), status=None
    )
    return render(
        request,
        "driver/bookings.html",
        {
            "title": "Bookings",
            "rows": [booking_document(view) for view in found.items],
            "booked": booked,
        },
    )


@router.post("/bookings/{booking_id}/start")
async def start_booking(
    booking_id: ChargingBookingId, principal: DriverPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Ask the booked connector's charger to start; then the session's live page."""
    view = await bookings.start_booking(
        session,
        principal,
        registry_of(runtime),
        secret=runtime.settings.secret_key.get_secret_value(),
        booking_id=booking_id,
    )
    session_id = booking_document(view)["sessionId"]
    return RedirectResponse(f"/app/sessions/{session_id}", status_code=303)


class CancelForm(BaseModel):
    reason: str = Field(default="Cancelled in the driver portal", min_length=1, max_length=500)


@router.post("/bookings/{booking_id}/cancel")
async def cancel_booking(
    booking_id: ChargingBookingId,
    form: Annotated[CancelForm, Form()],
    principal: DriverPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    await bookings.cancel_booking(
        session, principal, registry_of(runtime), booking_id=booking_id, reason=form.reason
    )
    return RedirectResponse("/app/bookings", status_code=303)
