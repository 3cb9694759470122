"""Support tickets' rules (docs/support.md).

- Anyone signed in opens tickets and sees only their own; support staff (``MANAGE:
  SUPPORT``, admins) see, update, assign and answer all of them.
- ``PUT``: the owner may close their ticket, or reopen it once resolved; status changes
  beyond that, ``priority`` and ``assignedTo`` (an admin) are support's. Resolving stamps
  ``resolvedAt``; reopening clears it and any rating.
- A comment is ``support`` when staff write it on someone else's ticket, else ``user``.
  The first support reply is the ticket's first response (the SLA and
  ``avgResponseTime`` measure it) and moves an ``open`` ticket to ``in-progress``.
  Attachments are upload URLs the author owns. A closed ticket takes no comments.
- The owner rates a ticket once, after it was resolved: score 1..5.
- The owner is told (the notifier) when support changes the status or replies.
- Every change is announced once: support's status changes and replies as
  ``support.ticket_updated`` (the owner's notice), any other change (the owner's or a
  fleet manager's comment or status change, support's priority or assignee) as
  ``support.ticket_changed`` (no notice); partner webhooks hear both as ``ticket.updated``.
- Whose tickets a caller reaches (EV-CMS by role, the hub's client and fleet scopes):
  :class:`evcare.support.repository.Reach`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.pagination import Page, PageParams
from evcare.files import service as files
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.operations import settings as system_settings
from evcare.support import repository
from evcare.support.models import AuthorType, Ticket, TicketComment, TicketStatus
from evcare.support.repository import BY_ROLE, Reach
from evcare.support.sla import SlaTargets, sla_status

TICKET_UPDATED = "support.ticket_updated"
TICKET_CHANGED = "support.ticket_changed"
TICKET_CREATED = "support.ticket_created"
_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


@dataclass(frozen=True)
class CommentView:
    comment: TicketComment
    author: str


@dataclass(frozen=True)
class TicketView:
    ticket: Ticket
    user_name: str
    comments: list[CommentView]
    sla_status: str


@dataclass(frozen=True)
class Stats:
    total: int
    open: int
    resolved: int
    avg_response_seconds: float | None


async def _views(session: AsyncSession, tickets: list[Ticket]) -> list[TicketView]:
    targets = SlaTargets.of(await system_settings.current(session))
    comments = await repository.comments_of(session, [t.id for t in tickets])
    names = await identity_repository.names_of(
        session,
        [t.owner_id for t in tickets] + [c.author_id for rows in comments.values() for c in rows],
    )
    now = utcnow()
    return [
        TicketView(
            ticket=t,
            user_name=names.get(t.owner_id, ""),
            comments=[
                CommentView(c, names.get(c.author_id, "") if c.author_id else "")
                for c in comments[t.id]
            ],
            sla_status=sla_status(t, targets, now=now),
        )
        for t in tickets
    ]


async def _view(session: AsyncSession, ticket: Ticket) -> TicketView:
    await session.flush()
    return (await _views(session, [ticket]))[0]


async def _readable(
    session: AsyncSession,
    principal: Principal,
    ticket_id: int,
    *,
    reach: Reach,
    for_update: bool = False,
) -> Ticket:
    ticket = await repository.get_readable(
        session, principal, ticket_id, reach=reach, for_update=for_update
    )
    if ticket is None:
        raise NotFound(f"Ticket {ticket_id} not found")
    return ticket


def _is_support(principal: Principal, ticket: Ticket | None = None) -> bool:
    staff = principal.has(Scope.MANAGE_SUPPORT)
    return staff and (ticket is None or ticket.owner_id != principal.user_id)


def _about(ticket: Ticket) -> dict[str, str | None]:
    return {
        "ticketId": str(ticket.id),
        "ticketNumber": ticket.ticket_number,
        "status": ticket.status,
    }


async def _tell_owner(session: AsyncSession, ticket: Ticket, message: str) -> None:
    await publish(
        session,
        TICKET_UPDATED,
        {
            "user_id": ticket.owner_id,
            "category": "support",
            "title": f"Ticket {ticket.ticket_number} updated",
            "message": message,
            "data": _about(ticket),
        },
    )


async def _announce_change(session: AsyncSession, ticket: Ticket) -> None:
    """A change nobody is told of (the changer is the owner or acts for them): only
    partner webhooks hear it (``ticket.updated``)."""
    await publish(session, TICKET_CHANGED, {"user_id": ticket.owner_id, "data": _about(ticket)})


async def create_ticket(
    session: AsyncSession,
    principal: Principal,
    *,
    subject: str,
    description: str,
    category: str,
    priority: str,
) -> TicketView:
    """Open a ticket for the caller (``TKT-<year>-<id>``)."""
    ticket = Ticket(
        owner_id=principal.user_id,
        subject=subject,
        description=description,
        category=category,
        priority=priority,
        status=TicketStatus.OPEN,
    )
    session.add(ticket)
    await session.flush()
    ticket.ticket_number = f"TKT-{ticket.created_at.year}-{ticket.id:06d}"
    # Not a notice (the owner opened it): partner webhooks hear it (``ticket.created``).
    await publish(
        session,
        TICKET_CREATED,
        {
            "user_id": ticket.owner_id,
            "data": {
                "ticketId": str(ticket.id),
                "ticketNumber": ticket.ticket_number,
                "status": ticket.status,
                "category": ticket.category,
                "priority": ticket.priority,
            },
        },
    )
    return await _view(session, ticket)


async def list_tickets(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None,
    priority: str | None,
) -> tuple[Page[TicketView], dict[str, int]]:
    """The tickets the caller may read, newest first, and their count per status."""
    page = await list_reached(session, principal, params, status=status, priority=priority)
    counts = await repository.status_counts(session, principal)
    return page, counts


async def list_reached(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None,
    priority: str | None,
    reach: Reach = BY_ROLE,
) -> Page[TicketView]:
    """The tickets the caller reaches through ``reach``, newest first."""
    page = await repository.list_readable(
        session, principal, params, status=status, priority=priority, reach=reach
    )
    return Page(await _views(session, page.items), page.total, page.params)


async def get_ticket(
    session: AsyncSession, principal: Principal, ticket_id: int, *, reach: Reach = BY_ROLE
) -> TicketView:
    return await _view(session, await _readable(session, principal, ticket_id, reach=reach))


def _move(ticket: Ticket, status: str, now: datetime) -> None:
    if status == ticket.status:
        return
    if status in _DONE:
        ticket.resolved_at = ticket.resolved_at or now
        ticket.closed_at = now if status == TicketStatus.CLOSED else None
    else:
        # Reopened: the resolution (and what was rated) no longer stands.
        ticket.resolved_at = ticket.closed_at = None
        ticket.rating_score = ticket.rating_feedback = ticket.rated_at = None
    ticket.status = status


async def update_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: int,
    *,
    status: str | None,
    priority: str | None,
    assigned_to: int | None,
    reach: Reach = BY_ROLE,
) -> TicketView:
    """Change status, priority or assignee (who may change what: the module's rules)."""
    ticket = await _readable(session, principal, ticket_id, reach=reach, for_update=True)
    support = principal.has(Scope.MANAGE_SUPPORT)
    if not support:
        for name, value in (("priority", priority), ("assignedTo", assigned_to)):
            if value is not None:
                raise Forbidden(
                    f"{Scope.MANAGE_SUPPORT} scope required to set {name}",
                    fields=[FieldError(name, "only support staff may set it")],
                )
        reopening = status == TicketStatus.OPEN and ticket.status == TicketStatus.RESOLVED
        if (
            status is not None
            and status != ticket.status
            and not (status == TicketStatus.CLOSED or reopening)
        ):
            message = "you may close your ticket, or reopen it once resolved"
            raise Forbidden(message, fields=[FieldError("status", message)])
    if assigned_to is not None and not await repository.is_support_staff(session, assigned_to):
        message = "must be the id of an admin"
        raise ValidationFailed(f"assignedTo: {message}", fields=[FieldError("assignedTo", message)])
    before = (ticket.status, ticket.priority, ticket.assigned_to)
    if status is not None:
        _move(ticket, status, utcnow())
    if priority is not None:
        ticket.priority = priority
    if assigned_to is not None:
        ticket.assigned_to = assigned_to
    ticket.updated_at = utcnow()
    if ticket.status != before[0] and _is_support(principal, ticket):
        await _tell_owner(session, ticket, f"Your ticket is now {ticket.status}")
    elif (ticket.status, ticket.priority, ticket.assigned_to) != before:
        await _announce_change(session, ticket)
    return await _view(session, ticket)


async def add_comment(
    session: AsyncSession,
    principal: Principal,
    ticket_id: int,
    *,
    comment: str,
    attachments: list[str],
    reach: Reach = BY_ROLE,
) -> TicketView:
    """Add a comment (``support`` or ``user``, the module's rule) with owned attachments."""
    ticket = await _readable(session, principal, ticket_id, reach=reach, for_update=True)
    if ticket.status == TicketStatus.CLOSED:
        message = "the ticket is closed; reopen it to comment"
        raise BusinessRuleViolation(message, fields=[FieldError("status", message)])
    uploads = await files.owned_uploads(session, principal, urls=attachments, field="attachments")
    now = utcnow()
    support = _is_support(principal, ticket)
    session.add(
        TicketComment(
            ticket_id=ticket.id,
            author_id=principal.user_id,
            author_type=AuthorType.SUPPORT if support else AuthorType.USER,
            comment=comment,
            attachments=[files.url_path(upload) for upload in uploads],
            created_at=now,
        )
    )
    if support and ticket.first_response_at is None:
        ticket.first_response_at = now
        ticket.first_response_seconds = max(0, int((now - ticket.created_at).total_seconds()))
        if ticket.status == TicketStatus.OPEN:
            ticket.status = TicketStatus.IN_PROGRESS
    ticket.updated_at = now
    if support:
        await _tell_owner(session, ticket, "Support replied to your ticket")
    else:
        await _announce_change(session, ticket)
    return await _view(session, ticket)


async def rate_ticket(
    session: AsyncSession,
    principal: Principal,
    ticket_id: int,
    *,
    score: int,
    feedback: str | None,
) -> TicketView:
    """The owner rates the resolution, once, after the ticket was resolved."""
    ticket = await _readable(session, principal, ticket_id, reach=BY_ROLE, for_update=True)
    if ticket.owner_id != principal.user_id:
        raise Forbidden("Only the ticket's owner rates it")
    if ticket.resolved_at is None:
        message = "a ticket can be rated once it is resolved"
        raise BusinessRuleViolation(message, fields=[FieldError("rating", message)])
    if ticket.rated_at is not None:
        raise Conflict(
            "This ticket is already rated", fields=[FieldError("rating", "already rated")]
        )
    ticket.rating_score = score
    ticket.rating_feedback = feedback
    ticket.rated_at = ticket.updated_at = utcnow()
    return await _view(session, ticket)


async def stats(session: AsyncSession) -> Stats:
    """Every ticket's count, open, resolved, and the mean time to the first support reply."""
    total, open_, resolved, average = await repository.stats(session)
    return Stats(total=total, open=open_, resolved=resolved, avg_response_seconds=average)
