"""``/app/support``: the driver's support tickets: open one, read the answers, reply, over
the same service as ``/api/v1/support/tickets`` (a driver reads only their own)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.support import service as support
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import TicketId

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

TICKETS_PER_PAGE = 50
CATEGORIES = ("technical", "billing", "general", "complaint")


@router.get("/support")
async def support_page(request: Request, principal: DriverPage, session: SessionDep) -> Response:
    found, _ = await support.list_tickets(
        session, principal, PageParams(1, TICKETS_PER_PAGE), status=None, priority=None
    )
    return render(
        request,
        "driver/support.html",
        {"title": "Support", "tickets": found.items, "categories": CATEGORIES},
    )


class TicketForm(BaseModel):
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    category: Literal["technical", "billing", "general", "complaint"]
    priority: Literal["low", "medium", "high"] = "medium"


@router.post("/support")
async def open_ticket(
    form: Annotated[TicketForm, Form()], principal: DriverPage, session: SessionDep
) -> Response:
    view = await support.create_ticket(
        session,
        principal,
        subject=form.subject,
        description=form.description,
        category=form.category,
        priority=form.priority,
    )
    return RedirectResponse(f"/app/support/{view.ticket.id}", status_code=303)


@router.get("/support/{ticket_id}")
async def ticket_page(
    request: Request, ticket_id: TicketId, principal: DriverPage, session: SessionDep
) -> Response:
    view = await support.get_ticket(session, principal, ticket_id)
    return render(request, "driver/ticket.html", {"title": view.ticket.subject, "view": view})


class CommentForm(BaseModel):
    message: str = Field(min_length=1, max_length=5000)


@router.post("/support/{ticket_id}/comments")
async def comment(
    ticket_id: TicketId,
    form: Annotated[CommentForm, Form()],
    principal: DriverPage,
    session: SessionDep,
) -> Response:
    await support.add_comment(session, principal, ticket_id, comment=form.message, attachments=[])
    return RedirectResponse(f"/app/support/{ticket_id}", status_code=303)
