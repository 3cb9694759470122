"""``/console/sessions``: the charging sessions on the operator's stations, and one live
session with its power chart (``/console/sessions/<id>``), over the sessions service
(operators see the sessions on the stations they operate, nothing else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evcare.charging.sessions import control
from evcare.charging.sessions.models import SessionStatus
from evcare.charging.sessions.records import session_document
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.surfaces.console.auth import OperatorPage
from evcare.surfaces.console.live_session import live_session
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import SessionId

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)

RECENT_SHOWN = 20


@router.get("/sessions")
async def sessions_page(
    request: Request,
    principal: OperatorPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    active = await control.active_sessions(session, principal)
    recent = await control.list_sessions(
        session, principal, PageParams(page, RECENT_SHOWN), status=None
    )
    return render(
        request,
        "operator/sessions.html",
        {
            "title": "Live sessions",
            "active": [session_document(view) for view in active],
            "recent": [
                session_document(view)
                for view in recent.items
                if view.row.status != SessionStatus.ACTIVE
            ],
        },
    )


@router.get("/sessions/{session_id}")
async def session_page(
    request: Request, session_id: SessionId, principal: OperatorPage, session: SessionDep
) -> Response:
    context = await live_session(session, principal, session_id)
    return render(
        request,
        "operator/session.html",
        {"title": f"Session {context['session']['sessionId']}", **context},
    )
