"""Every support query; who may read which ticket is decided in :func:`readable`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.support.models import Ticket, TicketComment, TicketStatus


def readable(principal: Principal) -> ColumnElement[bool]:
    """Support staff read every ticket; anyone else only the tickets they own."""
    if principal.has(Scope.MANAGE_SUPPORT):
        return true()
    return Ticket.owner_id == principal.user_id


async def get(session: AsyncSession, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def get_readable(
    session: AsyncSession, principal: Principal, ticket_id: int, *, for_update: bool = False
) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id, readable(principal))
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


def _filtered(principal: Principal, *, status: str | None, priority: str | None) -> Any:
    query = select(Ticket).where(readable(principal))
    if status is not None:
        query = query.where(Ticket.status == status)
    if priority is not None:
        query = query.where(Ticket.priority == priority)
    return query


async def list_readable(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None,
    priority: str | None,
) -> Page[Ticket]:
    """Newest first."""
    query = _filtered(principal, status=status, priority=priority)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(list(rows.all()), int(total or 0), params)


async def status_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """How many readable tickets are in each status (every status named, zeros too)."""
    rows = await session.execute(
        select(Ticket.status, func.count()).where(readable(principal)).group_by(Ticket.status)
    )
    counts = {status.value: 0 for status in TicketStatus}
    counts.update({status: int(count) for status, count in rows.all()})
    return counts


async def comments_of(
    session: AsyncSession, ticket_ids: Sequence[int]
) -> dict[int, list[TicketComment]]:
    found: dict[int, list[TicketComment]] = {key: [] for key in ticket_ids}
    if not ticket_ids:
        return found
    rows = await session.scalars(
        select(TicketComment)
        .where(TicketComment.ticket_id.in_(set(ticket_ids)))
        .order_by(TicketComment.ticket_id, TicketComment.id)
    )
    for row in rows.all():
        found[row.ticket_id].append(row)
    return found


async def is_support_staff(session: AsyncSession, user_id: int) -> bool:
    """Whether ``user_id`` may be assigned tickets: an active admin."""
    found = await session.scalar(
        select(User.id).where(
            User.id == user_id, User.role == Role.ADMIN, User.deleted_at.is_(None)
        )
    )
    return found is not None


async def stats(session: AsyncSession) -> tuple[int, int, int, float | None]:
    """(total, open or in progress, resolved or closed, mean first-response seconds)."""
    unresolved = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Ticket.status.in_(unresolved)),
                func.count().filter(Ticket.status.not_in(unresolved)),
                func.avg(Ticket.first_response_seconds),
            ).select_from(Ticket)
        )
    ).one()
    average = None if row[3] is None else float(row[3])
    return int(row[0]), int(row[1]), int(row[2]), average
