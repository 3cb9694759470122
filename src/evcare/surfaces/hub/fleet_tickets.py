"""HUB.md "Organizations, fleets, clients": ``/v1/fleet/tickets``, the fleet's tickets.

They are EV-CMS support tickets (one ticket system): a ticket opened here is answered by
support staff on ``/api/v1/support``. The fleet's managers (and its integration) reach
every ticket of the organization's people; another organization's ticket is 404. Rules:
:mod:`evcare.support.service` (what a non-staff caller may change), docs/support.md.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.fleet import access
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.support import service as support
from evcare.support.repository import Reach
from evcare.surfaces.deps import Authenticator, RuntimeDep, origin_of
from evcare.surfaces.hub.schemas import Paged, StrictHubModel
from evcare.surfaces.hub.ticket_schemas import (
    CommentIn,
    Priority,
    Status,
    TicketIdPath,
    TicketIn,
    TicketOut,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent

router = APIRouter(prefix="/fleet/tickets", tags=["fleet tickets"], route_class=IdempotentRoute)

FleetTicketsRead = Annotated[
    Principal, Depends(Authenticator(Scope.READ_FLEET, Scope.READ_SUPPORT))
]
_write = Authenticator(Scope.WRITE_FLEET, Scope.WRITE_SUPPORT)
FleetTicketsWrite = Annotated[Principal, Depends(_write)]


class TicketPatch(StrictHubModel):
    status: Status


async def _fleet(session: SessionDep, principal: Principal) -> Reach:
    """The tickets of the caller's fleet (``fleet_of``: the one rule of every fleet route)."""
    return Reach(organization_id=await access.fleet_of(session, principal))


@router.get("", operation_id="hub_list_fleet_tickets")
async def list_fleet_tickets(
    principal: FleetTicketsRead,
    session: SessionDep,
    page: Pagination,
    request: Request,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
) -> Paged[TicketOut]:
    """The tickets of the organization's people, newest first."""
    found = await support.list_reached(
        session,
        principal,
        page,
        status=status,
        priority=priority,
        reach=await _fleet(session, principal),
    )
    return TicketOut.page(found, origin_of(request, runtime))


@router.post(
    "",
    status_code=201,
    operation_id="hub_create_fleet_ticket",
    dependencies=[idempotent(_write)],
)
async def create_fleet_ticket(
    body: TicketIn,
    principal: FleetTicketsWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    """Open a ticket (the caller's: a fleet manager's, or the integration's own)."""
    await _fleet(session, principal)  # only someone of an organization opens fleet tickets
    view = await support.create_ticket(
        session,
        principal,
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
    )
    return TicketOut.of(view, origin_of(request, runtime))


@router.get("/{ticketId}", operation_id="hub_get_fleet_ticket")
async def get_fleet_ticket(
    ticket_id: TicketIdPath,
    principal: FleetTicketsRead,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    view = await support.get_ticket(
        session, principal, ticket_id, reach=await _fleet(session, principal)
    )
    return TicketOut.of(view, origin_of(request, runtime))


@router.patch("/{ticketId}", operation_id="hub_update_fleet_ticket")
async def update_fleet_ticket(
    ticket_id: TicketIdPath,
    body: TicketPatch,
    principal: FleetTicketsWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    """Close a ticket, or reopen a resolved one; other changes are support's (403)."""
    view = await support.update_ticket(
        session,
        principal,
        ticket_id,
        status=body.status,
        priority=None,
        assigned_to=None,
        reach=await _fleet(session, principal),
    )
    return TicketOut.of(view, origin_of(request, runtime))


@router.post(
    "/{ticketId}/comments",
    status_code=201,
    operation_id="hub_comment_fleet_ticket",
    dependencies=[idempotent(_write)],
)
async def comment_fleet_ticket(
    ticket_id: TicketIdPath,
    body: CommentIn,
    principal: FleetTicketsWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    view = await support.add_comment(
        session,
        principal,
        ticket_id,
        comment=body.comment,
        attachments=body.attachments,
        reach=await _fleet(session, principal),
    )
    return TicketOut.of(view, origin_of(request, runtime))
