"""EV-CMS section 11: Support (``/api/v1/support``), the documented Ticket.

Users open tickets and see only their own; admins (support staff) see all, assign them,
answer them and read ``/stats``. Rules (who may change what, the SLA, ratings):
:mod:`evcare.support.service`, docs/support.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.support import service
from evcare.support.service import TicketView
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep, origin_of
from evcare.surfaces.ids import TicketId, UserId

router = APIRouter(prefix="/support", tags=["support"], route_class=TransactionalRoute)

SupportRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SUPPORT))]
SupportWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_SUPPORT))]
SupportManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_SUPPORT))]

Category = Literal["technical", "billing", "general", "complaint"]
Priority = Literal["low", "medium", "high"]
Status = Literal["open", "in-progress", "resolved", "closed"]
AttachmentUrl = Annotated[str, Field(min_length=1, max_length=500)]


class CommentOut(CamelModel):
    author: str
    author_type: Literal["user", "support"]
    comment: str
    attachments: list[str]
    created_at: datetime


class RatingOut(CamelModel):
    score: int
    feedback: str
    rated_at: datetime


class TicketOut(CamelModel):
    id: str
    ticket_number: str
    user_id: str
    user_name: str
    subject: str
    description: str
    category: Category
    priority: Priority
    status: Status
    assigned_to: str | None = None
    comments: list[CommentOut]
    rating: RatingOut | None = None
    created_at: datetime
    resolved_at: datetime | None = None
    sla_status: Literal["within", "breached"]

    @classmethod
    def of(cls, view: TicketView, origin: str) -> TicketOut:
        t = view.ticket
        rating = None
        if t.rating_score is not None and t.rated_at is not None:
            rating = RatingOut(
                score=t.rating_score, feedback=t.rating_feedback or "", rated_at=t.rated_at
            )
        return cls(
            id=str(t.id),
            ticket_number=t.ticket_number or "",
            user_id=str(t.owner_id),
            user_name=view.user_name,
            subject=t.subject,
            description=t.description,
            category=cast(Category, t.category),
            priority=cast(Priority, t.priority),
            status=cast(Status, t.status),
            assigned_to=None if t.assigned_to is None else str(t.assigned_to),
            comments=[
                CommentOut(
                    author=c.author,
                    author_type=cast(Literal["user", "support"], c.comment.author_type),
                    comment=c.comment.comment,
                    attachments=[origin + path for path in c.comment.attachments],
                    created_at=c.comment.created_at,
                )
                for c in view.comments
            ],
            rating=rating,
            created_at=t.created_at,
            resolved_at=t.resolved_at,
            sla_status=cast(Literal["within", "breached"], view.sla_status),
        )


class TicketBody(CamelModel):
    ticket: TicketOut


class StatusCounts(CamelModel):
    open: int
    in_progress: int = Field(alias="in-progress")
    resolved: int
    closed: int


class TicketsBody(CamelModel):
    tickets: list[TicketOut]
    status_counts: StatusCounts


class StatsOut(CamelModel):
    total: int
    open: int
    resolved: int
    avg_response_time: float | None = Field(
        description="mean minutes from a ticket's creation to its first support reply"
    )


class CreateIn(StrictCamelModel):
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    category: Category
    priority: Priority = "medium"


class UpdateIn(StrictCamelModel):
    status: Status | None = None
    priority: Priority | None = None
    assigned_to: UserId | None = None


class CommentIn(StrictCamelModel):
    comment: str = Field(min_length=1, max_length=5000)
    attachments: list[AttachmentUrl] = Field(default_factory=list, max_length=10)


class RateIn(StrictCamelModel):
    rating: int = Field(strict=True, ge=1, le=5)
    feedback: str | None = Field(default=None, max_length=2000)


def _one(view: TicketView, request: Request, runtime: RuntimeDep) -> TicketBody:
    return TicketBody(ticket=TicketOut.of(view, origin_of(request, runtime)))


@router.get("/tickets", operation_id="cms_list_tickets")
async def list_tickets(
    principal: SupportRead,
    session: SessionDep,
    page: Pagination,
    request: Request,
    runtime: RuntimeDep,
    status: Annotated[Status | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
) -> PagedEnvelope[TicketsBody]:
    """The caller's tickets (support: everyone's), newest first, and counts per status."""
    result, counts = await service.list_tickets(
        session, principal, page, status=status, priority=priority
    )
    origin = origin_of(request, runtime)
    return PagedEnvelope(
        data=TicketsBody(
            tickets=[TicketOut.of(view, origin) for view in result.items],
            status_counts=StatusCounts.model_validate(counts),
        ),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.post("/tickets", status_code=201, operation_id="cms_create_ticket")
async def create_ticket(
    body: CreateIn,
    principal: SupportWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[TicketBody]:
    view = await service.create_ticket(
        session,
        principal,
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
    )
    return Envelope(message="Ticket created", data=_one(view, request, runtime))


@router.get("/stats", operation_id="cms_support_stats")
async def support_stats(principal: SupportManage, session: SessionDep) -> Envelope[StatsOut]:
    stats = await service.stats(session)
    average = stats.avg_response_seconds
    return Envelope(
        data=StatsOut(
            total=stats.total,
            open=stats.open,
            resolved=stats.resolved,
            avg_response_time=None if average is None else round(average / 60, 1),
        )
    )


@router.get("/tickets/{ticket_id}", operation_id="cms_get_ticket")
async def get_ticket(
    ticket_id: TicketId,
    principal: SupportRead,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[TicketBody]:
    view = await service.get_ticket(session, principal, ticket_id)
    return Envelope(data=_one(view, request, runtime))


@router.put("/tickets/{ticket_id}", operation_id="cms_update_ticket")
async def update_ticket(
    ticket_id: TicketId,
    body: UpdateIn,
    principal: SupportWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[TicketBody]:
    view = await service.update_ticket(
        session,
        principal,
        ticket_id,
        status=body.status,
        priority=body.priority,
        assigned_to=body.assigned_to,
    )
    return Envelope(message="Ticket updated", data=_one(view, request, runtime))


@router.post("/tickets/{ticket_id}/comments", status_code=201, operation_id="cms_comment_ticket")
async def comment_ticket(
    ticket_id: TicketId,
    body: CommentIn,
    principal: SupportWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[TicketBody]:
    view = await service.add_comment(
        session, principal, ticket_id, comment=body.comment, attachments=body.attachments
    )
    return Envelope(message="Comment added", data=_one(view, request, runtime))


@router.post("/tickets/{ticket_id}/rate", operation_id="cms_rate_ticket")
async def rate_ticket(
    ticket_id: TicketId,
    body: RateIn,
    principal: SupportWrite,
    session: SessionDep,
    request: Request,
    runtime: RuntimeDep,
) -> Envelope[TicketBody]:
    view = await service.rate_ticket(
        session, principal, ticket_id, score=body.rating, feedback=body.feedback
    )
    return Envelope(message="Thank you for your rating", data=_one(view, request, runtime))
