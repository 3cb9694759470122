"""HUB.md "Organizations, fleets, clients": ``/v1/client/...``, a person's self-service.

For the partner's user signed in through the partner (``CLIENT_ACCESS``, role hint
``CLIENT``): who they are, their vehicles (the one vehicle table), their EV-CMS charging
sessions and their support tickets (the EV-CMS tickets: support staff answer them on
``/api/v1/support``). Everything here is the caller's own, whatever else their role may
read; someone else's ticket is 404. An integration's own token is refused (403): it is
nobody's self (:mod:`evcare.identity.clients`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from evcare.charging.sessions import control as charging
from evcare.charging.sessions.records import SessionView, session_document
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep
from evcare.identity import clients
from evcare.identity.clients import Client
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.support import service as support
from evcare.support.repository import OWN
from evcare.surfaces.deps import Authenticator, RuntimeDep, origin_of
from evcare.surfaces.hub.schemas import HubModel, Paged, PaginationOut
from evcare.surfaces.hub.ticket_schemas import (
    CommentIn,
    Priority,
    Status,
    TicketIdPath,
    TicketIn,
    TicketOut,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.vehicles import service as vehicles
from evcare.vehicles.models import Vehicle

router = APIRouter(prefix="/client", tags=["client self-service"], route_class=IdempotentRoute)


def _person(*scopes: Scope) -> Authenticator:
    return Authenticator(Scope.READ_CLIENT, *scopes)


async def _me(principal: Annotated[Principal, Depends(_person(Scope.READ_PROFILE))]) -> Principal:
    return clients.require_person(principal)


async def _vehicles(
    principal: Annotated[Principal, Depends(_person(Scope.READ_VEHICLES))],
) -> Principal:
    return clients.require_person(principal)


async def _sessions(
    principal: Annotated[Principal, Depends(_person(Scope.READ_SESSIONS))],
) -> Principal:
    return clients.require_person(principal)


async def _tickets(
    principal: Annotated[Principal, Depends(_person(Scope.READ_SUPPORT))],
) -> Principal:
    return clients.require_person(principal)


_write = Authenticator(Scope.WRITE_CLIENT, Scope.WRITE_SUPPORT)


async def _ticket_writer(principal: Annotated[Principal, Depends(_write)]) -> Principal:
    return clients.require_person(principal)


ClientMe = Annotated[Principal, Depends(_me)]
ClientVehicles = Annotated[Principal, Depends(_vehicles)]
ClientSessions = Annotated[Principal, Depends(_sessions)]
ClientTickets = Annotated[Principal, Depends(_tickets)]
ClientTicketsWrite = Annotated[Principal, Depends(_ticket_writer)]


class OrganizationRef(HubModel):
    id: str
    name: str
    kind: str


class ClientOut(HubModel):
    id: str
    email: str
    name: str
    phone: str | None
    role: str
    status: str
    organization: OrganizationRef | None
    created_at: datetime

    @classmethod
    def of(cls, client: Client) -> ClientOut:
        user, organization = client.user, client.organization
        where = None
        if organization is not None:
            where = OrganizationRef(
                id=organization.id, name=organization.name, kind=organization.kind
            )
        return cls(
            id=str(user.id),
            email=user.email,
            name=user.name,
            phone=user.phone,
            role=client.role,
            status=user.status,
            organization=where,
            created_at=user.created_at,
        )


class ClientVehicleOut(HubModel):
    id: str
    make: str
    model: str
    year: int
    registration_number: str
    battery_capacity: float | None
    vin: str | None
    color: str | None
    is_default: bool
    # ``owner``: the client's own vehicle; ``assigned``: a fleet's vehicle they drive.
    access: Literal["owner", "assigned"]
    created_at: datetime

    @classmethod
    def of(cls, vehicle: Vehicle, user_id: int) -> ClientVehicleOut:
        battery = vehicle.battery_capacity_kwh
        return cls(
            id=str(vehicle.id),
            make=vehicle.make,
            model=vehicle.model,
            year=vehicle.year,
            registration_number=vehicle.registration_number,
            battery_capacity=None if battery is None else float(battery),
            vin=vehicle.vin,
            color=vehicle.color,
            is_default=vehicle.is_default,
            access="owner" if vehicle.owner_id == user_id else "assigned",
            created_at=vehicle.created_at,
        )


class ClientSessionOut(HubModel):
    """The EV-CMS Session object (``GET /api/v1/sessions/{id}``), and its currency."""

    id: str
    session_id: str
    user_id: str | None
    charger_id: str
    connector_id: int
    vehicle_id: str | None
    status: Literal["active", "completed", "failed"]
    start_time: datetime
    end_time: datetime | None = None
    meter_start: int
    meter_stop: int | None = None
    energy_consumed: float | None = None
    duration: float | None = None
    cost: float | int | None = None
    currency: str
    payment_status: Literal["pending", "paid", "failed"]
    stop_reason: str | None = None
    ocpp_transaction_id: int | None = None

    @classmethod
    def of(cls, view: SessionView) -> ClientSessionOut:
        return cls.model_validate({**session_document(view), "currency": view.row.currency})


SessionStatus = Literal["active", "completed", "failed"]


@router.get("/me", operation_id="hub_get_client")
async def get_client(principal: ClientMe, session: SessionDep) -> ClientOut:
    """Who the caller is: their account, their role and organization."""
    return ClientOut.of(await clients.client_of(session, principal))


@router.get("/vehicles", operation_id="hub_list_client_vehicles")
async def list_client_vehicles(
    principal: ClientVehicles, session: SessionDep, page: Pagination
) -> Paged[ClientVehicleOut]:
    """The caller's own vehicles, the default first, then the fleet vehicles assigned to
    them (``access``)."""
    found = await vehicles.page_of_vehicles(session, principal, page)
    return Paged(
        data=[ClientVehicleOut.of(vehicle, principal.user_id) for vehicle in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get("/sessions", operation_id="hub_list_client_sessions")
async def list_client_sessions(
    principal: ClientSessions,
    session: SessionDep,
    page: Pagination,
    status: Annotated[SessionStatus | None, Query()] = None,
) -> Paged[ClientSessionOut]:
    """The caller's EV-CMS charging sessions, newest first."""
    found: Page[SessionView] = await charging.own_sessions(session, principal, page, status=status)
    return Paged(
        data=[ClientSessionOut.of(view) for view in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get("/tickets", operation_id="hub_list_client_tickets")
async def list_client_tickets(
    principal: ClientTickets,
    session: SessionDep,
    page: Pagination,
    request: Request,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
) -> Paged[TicketOut]:
    """The caller's own tickets, newest first."""
    found = await support.list_reached(
        session, principal, page, status=status, priority=priority, reach=OWN
    )
    return TicketOut.page(found, origin_of(request, runtime))


@router.post(
    "/tickets",
    status_code=201,
    operation_id="hub_create_client_ticket",
    dependencies=[idempotent(_write)],
)
async def create_client_ticket(
    body: TicketIn,
    principal: ClientTicketsWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    view = await support.create_ticket(
        session,
        principal,
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
    )
    return TicketOut.of(view, origin_of(request, runtime))


@router.get("/tickets/{ticketId}", operation_id="hub_get_client_ticket")
async def get_client_ticket(
    ticket_id: TicketIdPath,
    principal: ClientTickets,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> TicketOut:
    view = await support.get_ticket(session, principal, ticket_id, reach=OWN)
    return TicketOut.of(view, origin_of(request, runtime))


@router.post(
    "/tickets/{ticketId}/comments",
    status_code=201,
    operation_id="hub_comment_client_ticket",
    dependencies=[idempotent(_write)],
)
async def comment_client_ticket(
    ticket_id: TicketIdPath,
    body: CommentIn,
    principal: ClientTicketsWrite,
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
        reach=OWN,
    )
    return TicketOut.of(view, origin_of(request, runtime))
