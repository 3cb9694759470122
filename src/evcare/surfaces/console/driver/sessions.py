"""``/app/sessions``: the driver's own charging sessions, one followed live with its power
chart (``/app/sessions/<id>``, socket.io ``session-update``), and stopping it, over the
same services as ``/api/v1/sessions`` (anyone else's session is a 404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from evcare.charging.sessions import control
from evcare.charging.sessions.records import session_document
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.ocpp.registry import registry_of
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.live_session import live_session
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import RuntimeDep
from evcare.surfaces.ids import SessionId

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

SESSIONS_PER_PAGE = 20


@router.get("/sessions")
async def sessions_page(
    request: Request,
    principal: DriverPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    found = await control.list_sessions(
        session, principal, PageParams(page, SESSIONS_PER_PAGE), status=None
    )
    return render(
        request,
        "driver/sessions.html",
        {"title": "Charging", "rows": [session_document(view) for view in found.items]},
    )


@router.get("/sessions/{session_id}")
async def session_page(
    request: Request, session_id: SessionId, principal: DriverPage, session: SessionDep
) -> Response:
    context = await live_session(session, principal, session_id)
    return render(
        request,
        "driver/session.html",
        {"title": f"Charging {context['session']['sessionId']}", **context},
    )


@router.post("/sessions/{session_id}/stop")
async def stop_session(
    session_id: SessionId, principal: DriverPage, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Ask the charger to stop; the page then shows the session as the charger closes it."""
    view = await control.stop_session(
        session,
        principal,
        registry_of(runtime),
        session_id=session_id,
        reason="Stopped by the driver",
    )
    return RedirectResponse(f"/app/sessions/{session_document(view)['sessionId']}", status_code=303)
