"""``/admin/stations``: every station and its verification (drivers see verified
stations only): the service and request schema of EV-CMS's
``PUT /api/v1/admin/stations/{id}/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.charging.stations import service as stations
from evcare.core.errors import ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.admin_network import AdminStationOut, VerifyIn
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import StationId

router = APIRouter(prefix="/admin/stations", route_class=ConsoleRoute, include_in_schema=False)

NetworkManage = Annotated[
    Principal, Depends(PageAuthenticator(Scope.MANAGE_NETWORK, roles={Role.ADMIN}))
]
PAGE_SIZE = 25
NOTICES = {"verified": "Station verified.", "withdrawn": "Verification withdrawn."}


class StationFilters(BaseModel):
    search: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    verified: bool | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


@router.get("")
async def stations_page(
    request: Request, principal: NetworkManage, session: SessionDep, notice: str | None = None
) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse(
            StationFilters,
            {
                "search": text(query.get("search")),
                "verified": text(query.get("verified")),
                "page": text(query.get("page")) or 1,
            },
        )
    except FormInvalid as error:
        errors, filters = error.messages, StationFilters()
    found = await stations.list_every_station(
        session,
        principal,
        params=PageParams(page=filters.page, limit=PAGE_SIZE),
        verified=filters.verified,
        deleted=False,
        search=filters.search,
    )
    return render(
        request,
        "admin/stations.html",
        {
            "title": "Stations",
            "filters": filters,
            "stations": [AdminStationOut.of(station) for station in found.items],
            "found": found,
            "errors": errors,
            "notice": NOTICES.get(notice or ""),
        },
        status_code=422 if errors else 200,
    )


@router.post("/{station_id}/verify")
async def verify(
    request: Request, station_id: StationId, principal: NetworkManage, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(
            VerifyIn,
            {"verified": form.get("verified") == "true", "notes": text(form.get("notes"))},
        )
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    station = await stations.verify_station(
        session, principal, station_id, verified=body.verified, notes=body.notes
    )
    notice = "verified" if station.is_verified else "withdrawn"
    return RedirectResponse(f"/admin/stations?notice={notice}", status_code=303)
