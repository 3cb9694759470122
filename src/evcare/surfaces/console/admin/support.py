"""``/admin/support``: every support ticket; answer, change status or priority: the
services and request schemas of EV-CMS's ``/api/v1/support/tickets``."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.support import service
from evcare.surfaces.cms.support import CommentIn, Priority, Status, TicketOut, UpdateIn
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import origin_of
from evcare.surfaces.ids import TicketId

router = APIRouter(prefix="/admin/support", route_class=ConsoleRoute, include_in_schema=False)

SupportRead = Annotated[
    Principal, Depends(PageAuthenticator(Scope.READ_SUPPORT, roles={Role.ADMIN}))
]
SupportWrite = Annotated[
    Principal, Depends(PageAuthenticator(Scope.WRITE_SUPPORT, roles={Role.ADMIN}))
]
PAGE_SIZE = 25
NOTICES = {"updated": "Ticket updated.", "answered": "Answer added."}


class TicketFilters(BaseModel):
    status: Status | None = None
    priority: Priority | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


def _origin(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    return origin_of(request, runtime)


@router.get("")
async def tickets_page(request: Request, principal: SupportRead, session: SessionDep) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse(
            TicketFilters,
            {
                "status": text(query.get("status")),
                "priority": text(query.get("priority")),
                "page": text(query.get("page")) or 1,
            },
        )
    except FormInvalid as error:
        errors, filters = error.messages, TicketFilters()
    found, counts = await service.list_tickets(
        session,
        principal,
        PageParams(page=filters.page, limit=PAGE_SIZE),
        status=filters.status,
        priority=filters.priority,
    )
    origin = _origin(request)
    return render(
        request,
        "admin/support.html",
        {
            "title": "Support tickets",
            "filters": filters,
            "tickets": [TicketOut.of(view, origin) for view in found.items],
            "counts": counts,
            "statuses": list(get_args(Status)),
            "priorities": list(get_args(Priority)),
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


@router.get("/{ticket_id}")
async def ticket_page(
    request: Request,
    ticket_id: TicketId,
    principal: SupportRead,
    session: SessionDep,
    notice: str | None = None,
) -> Response:
    view = await service.get_ticket(session, principal, ticket_id)
    ticket = TicketOut.of(view, _origin(request))
    return render(
        request,
        "admin/ticket.html",
        {
            "title": f"Ticket {ticket.ticket_number}",
            "ticket": ticket,
            "statuses": list(get_args(Status)),
            "priorities": list(get_args(Priority)),
            "notice": NOTICES.get(notice or ""),
        },
    )


@router.post("/{ticket_id}")
async def update(
    request: Request, ticket_id: TicketId, principal: SupportWrite, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(
            UpdateIn, {"status": text(form.get("status")), "priority": text(form.get("priority"))}
        )
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    view = await service.update_ticket(
        session, principal, ticket_id, status=body.status, priority=body.priority, assigned_to=None
    )
    return RedirectResponse(f"/admin/support/{view.ticket.id}?notice=updated", status_code=303)


@router.post("/{ticket_id}/comments")
async def answer(
    request: Request, ticket_id: TicketId, principal: SupportWrite, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(CommentIn, {"comment": text(form.get("comment")) or ""})
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    view = await service.add_comment(
        session, principal, ticket_id, comment=body.comment, attachments=body.attachments
    )
    return RedirectResponse(f"/admin/support/{view.ticket.id}?notice=answered", status_code=303)
