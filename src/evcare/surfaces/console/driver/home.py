"""``/app/``: the driver's start page (their own dashboard: wallet, the session running,
this month's figures) and nearby stations (``/app/stations``), over the same services as
``GET /api/v1/dashboard/user`` and ``GET /api/v1/stations/nearby``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evcare.charging.sessions import dashboard
from evcare.charging.sessions.records import session_document
from evcare.charging.stations import service as stations
from evcare.core.money import major_number
from evcare.core.transactions import SessionDep
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

# Where the search starts before the browser tells us where the driver is (Bengaluru).
DEFAULT_LATITUDE = 12.9716
DEFAULT_LONGITUDE = 77.5946
RADIUS_CHOICES_KM = (2, 5, 10, 25, 50)


@router.get("/")
async def home(request: Request, principal: DriverPage, session: SessionDep) -> Response:
    figures = await dashboard.user_dashboard(session, principal)
    active = figures.active_session
    return render(
        request,
        "driver/home.html",
        {
            "title": "My EVCare",
            "balance": major_number(figures.wallet_balance_minor, figures.currency),
            "currency": figures.currency,
            "active": None if active is None else session_document(active),
            "upcoming": figures.upcoming_bookings,
            "month": figures.this_month,
            "spent": major_number(figures.this_month.spent_minor, figures.currency),
            "recent": [session_document(view) for view in figures.recent_sessions],
            "latitude": DEFAULT_LATITUDE,
            "longitude": DEFAULT_LONGITUDE,
        },
    )


@router.get("/stations")
async def nearby(
    request: Request,
    principal: DriverPage,
    session: SessionDep,
    lat: Annotated[float, Query(ge=-90, le=90)] = DEFAULT_LATITUDE,
    lng: Annotated[float, Query(ge=-180, le=180)] = DEFAULT_LONGITUDE,
    radius: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    found = await stations.find_nearby_stations(
        session, principal, latitude=lat, longitude=lng, radius_m=radius * 1000
    )
    return render(
        request,
        "driver/stations.html",
        {
            "title": "Stations near you",
            "found": found,
            "latitude": lat,
            "longitude": lng,
            "radius": radius,
            "radii": RADIUS_CHOICES_KM,
        },
    )
