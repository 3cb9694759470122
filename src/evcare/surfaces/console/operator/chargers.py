"""``/console/``: the operator's chargers with their live status, and commands to them.

The page lists the chargers of the stations the caller operates
(:func:`evcare.charging.stations.repository.operated_stations`, through
:func:`evcare.charging.chargers.service.list_chargers`); ``operator.js`` keeps each row's
status current from socket.io's ``charger-status``. A command (Reset, Unlock, make
available or unavailable) is ``POST /console/chargers/<id>/commands`` from the page's
script, sent through the charger-command service; the answer is the charger's own.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from evcare.charging.chargers import commands
from evcare.charging.chargers import service as chargers
from evcare.charging.stations import service as stations
from evcare.core.pagination import MAX_LIMIT, PageParams
from evcare.core.transactions import SessionDep
from evcare.ocpp.registry import registry_of
from evcare.surfaces.console.auth import OperatorPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.ids import ChargerRef

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

CHARGERS_PER_PAGE = 50


@router.get("/")
async def chargers_page(
    request: Request,
    principal: OperatorPage,
    session: SessionDep,
    station: Annotated[int | None, Query(ge=1)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    found = await chargers.list_chargers(
        session, principal, params=PageParams(page, CHARGERS_PER_PAGE), station_id=station
    )
    rows = [
        {
            "charger": charger,
            "station": charger.station.name,
            # The status each connector last reported (StatusNotification), as the
            # charger-status event carries it.
            "connectors": [
                {
                    "number": c.connector_number,
                    "type": c.type,
                    "power": c.power_kw,
                    "status": c.status,
                }
                for c in charger.connectors
            ],
        }
        for charger in found.items
    ]
    # After the rows are built: loading the stations refreshes the chargers they hold.
    operated = await stations.list_stations(session, principal, params=PageParams(1, MAX_LIMIT))
    return render(
        request,
        "operator/chargers.html",
        {
            "title": "Chargers",
            "rows": rows,
            "stations": operated.items,
            "station": station,
            "page": page,
            "pages": max(1, -(-found.total // CHARGERS_PER_PAGE)),
            "total": found.total,
        },
    )


class CommandIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    command: Literal["Reset", "Unlock", "Available", "Unavailable"]
    connector_id: int | None = Field(default=None, ge=1, le=100, alias="connectorId")


@router.post("/chargers/{charger_id}/commands")
async def send_command(
    charger_id: ChargerRef,
    body: CommandIn,
    principal: OperatorPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    """The charger's answer to one command, as ``{command, result}``."""
    registry = registry_of(runtime)
    answer: dict[str, Any]
    if body.command in ("Available", "Unavailable"):
        answer = await commands.change_availability(
            session,
            principal,
            registry,
            charger_id=charger_id,
            connector_id=body.connector_id,
            operative=body.command == "Available",
        )
    else:
        answer = await commands.send_command(
            session,
            principal,
            registry,
            charger_id=charger_id,
            command=body.command,
            connector_id=body.connector_id,
            params={},
        )
    return JSONResponse({"command": body.command, "result": answer})
