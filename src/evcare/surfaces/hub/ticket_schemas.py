"""The hub's Ticket, shared by ``/v1/fleet/tickets`` and ``/v1/client/tickets``.

A hub ticket is an EV-CMS support ticket (one ticket system, :mod:`evcare.support`):
the same ``id`` and ``ticketNumber`` as on ``/api/v1/support/tickets``, the hub's
casing, and the bounds the EV-CMS routes have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import Path
from pydantic import Field

from evcare.core.pagination import Page
from evcare.support.service import TicketView
from evcare.surfaces.hub.schemas import HubModel, Paged, PaginationOut, StrictHubModel
from evcare.surfaces.ids import TicketId

Category = Literal["technical", "billing", "general", "complaint"]
Priority = Literal["low", "medium", "high"]
Status = Literal["open", "in-progress", "resolved", "closed"]
AuthorType = Literal["user", "support"]
AttachmentUrl = Annotated[str, Field(min_length=1, max_length=500)]

TicketIdPath = Annotated[TicketId, Path(alias="ticketId", description="the ticket's id (12)")]


class CommentOut(HubModel):
    author: str
    author_type: AuthorType
    comment: str
    attachments: list[str]
    created_at: datetime


class TicketOut(HubModel):
    id: str
    ticket_number: str
    user_id: str
    user_name: str
    subject: str
    description: str
    category: Category
    priority: Priority
    status: Status
    sla_status: Literal["within", "breached"]
    comments: list[CommentOut]
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    closed_at: datetime | None = None

    @classmethod
    def of(cls, view: TicketView, origin: str) -> TicketOut:
        t = view.ticket
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
            sla_status=cast(Literal["within", "breached"], view.sla_status),
            comments=[
                CommentOut(
                    author=c.author,
                    author_type=cast(AuthorType, c.comment.author_type),
                    comment=c.comment.comment,
                    attachments=[origin + path for path in c.comment.attachments],
                    created_at=c.comment.created_at,
                )
                for c in view.comments
            ],
            created_at=t.created_at,
            updated_at=t.updated_at,
            resolved_at=t.resolved_at,
            closed_at=t.closed_at,
        )

    @classmethod
    def page(cls, found: Page[TicketView], origin: str) -> Paged[TicketOut]:
        return Paged(
            data=[cls.of(view, origin) for view in found.items],
            pagination=PaginationOut.of(cast(Page[object], found)),
        )


class TicketIn(StrictHubModel):
    subject: str = Field(min_length=3, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    category: Category
    priority: Priority = "medium"


class CommentIn(StrictHubModel):
    comment: str = Field(min_length=1, max_length=5000)
    attachments: list[AttachmentUrl] = Field(
        default_factory=list,
        max_length=10,
        description="upload URLs of your own (POST /api/v1/upload)",
    )
