"""``/admin/``: the admin UI's start page, a map of its sections."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from evcare.surfaces.console.auth import AdminPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render

router = APIRouter(prefix="/admin", route_class=ConsoleRoute, include_in_schema=False)


@router.get("/")
async def admin_home(request: Request, principal: AdminPage) -> Response:
    return render(request, "admin/home.html", {"title": "Admin"})
