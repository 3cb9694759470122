"""``/console/maintenance``: maintenance of the operator's chargers: the counts, the
records, scheduling work, starting it (the charger goes out of service) and completing
it, over the same service as ``/api/v1/maintenance``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.charging.chargers import service as chargers
from evcare.charging.maintenance import service as maintenance
from evcare.core.clock import utcnow
from evcare.core.pagination import MAX_LIMIT, PageParams
from evcare.core.transactions import SessionDep
from evcare.ocpp.registry import registry_of
from evcare.surfaces.console.auth import OperatorPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.ids import ChargerRef, MaintenanceId

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

RECORDS_SHOWN = 50


@router.get("/maintenance")
async def maintenance_page(
    request: Request, principal: OperatorPage, session: SessionDep
) -> Response:
    stats = await maintenance.maintenance_stats(session, principal)
    records = await maintenance.list_records(
        session, principal, params=PageParams(1, RECORDS_SHOWN)
    )
    rows = [
        {"record": record, "charger": record.charger.charge_point_id} for record in records.items
    ]
    operated = await chargers.list_chargers(session, principal, params=PageParams(1, MAX_LIMIT))
    return render(
        request,
        "operator/maintenance.html",
        {
            "title": "Maintenance",
            "stats": stats,
            "rows": rows,
            "chargers": [(c.id, c.charge_point_id, c.name) for c in operated.items],
        },
    )


class ScheduleForm(BaseModel):
    charger_id: ChargerRef
    type: Literal["preventive", "corrective", "emergency"]
    priority: Literal["low", "medium", "high", "critical"] = "medium"
    description: str = Field(min_length=3, max_length=2000)
    in_days: int = Field(default=1, ge=0, le=365)


@router.post("/maintenance")
async def schedule(
    form: Annotated[ScheduleForm, Form()], principal: OperatorPage, session: SessionDep
) -> Response:
    await maintenance.create_record(
        session,
        principal,
        charger_id=form.charger_id,
        type=form.type,
        description=form.description,
        scheduled_at=utcnow() + timedelta(days=form.in_days),
        priority=form.priority,
    )
    return RedirectResponse("/console/maintenance", status_code=303)


@router.post("/maintenance/{record_id}/start")
async def start(
    record_id: MaintenanceId, principal: OperatorPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    await maintenance.start(session, principal, registry_of(runtime), record_id)
    return RedirectResponse("/console/maintenance", status_code=303)


class CompleteForm(BaseModel):
    notes: str = Field(min_length=1, max_length=5000)


@router.post("/maintenance/{record_id}/complete")
async def complete(
    record_id: MaintenanceId,
    form: Annotated[CompleteForm, Form()],
    principal: OperatorPage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Response:
    await maintenance.complete(
        session, principal, registry_of(runtime), record_id, notes=form.notes
    )
    return RedirectResponse("/console/maintenance", status_code=303)
