"""Every support query; who may read which ticket is decided in :func:`readable`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, func, select, true, union
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.pagination import Page, PageParams
from evcare.identity.models import OrganizationMember, Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations.models import ExternalIdentity, Integration
from evcare.support.models import Ticket, TicketComment, TicketStatus


@dataclass(frozen=True)
class Reach:
    """Whose tickets a caller reaches.

    - neither field (EV-CMS, :data:`BY_ROLE`): support staff every ticket, anyone else
      the tickets they own;
    - ``own`` (the hub's ``/v1/client``, :data:`OWN`): only the caller's, whatever else
      the caller may be;
    - ``organization_id`` (the hub's ``/v1/fleet``): the tickets of the organization's
      people: its members, its integrations' service accounts and the users its
      integrations signed in (the audience its webhooks have).
    """

    own: bool = False
    organization_id: str | None = None


BY_ROLE = Reach()
OWN = Reach(own=True)


def organization_people(organization_id: str) -> CompoundSelect[tuple[int]]:
    """The user ids whose tickets are an organization's (see :class:`Reach`)."""
    return union(
        select(OrganizationMember.user_id).where(
            OrganizationMember.organization_id == organization_id
        ),
        select(Integration.service_user_id).where(Integration.organization_id == organization_id),
        select(ExternalIdentity.user_id)
        .join(Integration, Integration.id == ExternalIdentity.integration_id)
        .where(Integration.organization_id == organization_id),
    )


def readable(principal: Principal, reach: Reach = BY_ROLE) -> ColumnElement[bool]:
    """The tickets ``principal`` reads through ``reach`` (see :class:`Reach`)."""
    if reach.organization_id is not None:
        return Ticket.owner_id.in_(organization_people(reach.organization_id))
    if principal.has(Scope.MANAGE_SUPPORT) and not reach.own:
        return true()
    return Ticket.owner_id == principal.user_id


async def get(session: AsyncSession, ticket_id: int, *, for_update: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    ticket_id: int,
    *,
    reach: Reach = BY_ROLE,
    for_update: bool = False,
) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id, readable(principal, reach))
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query.execution_options(populate_existing=True))


def _filtered(
    principal: Principal, reach: Reach, *, status: str | None, priority: str | None
) -> Any:
    query = select(Ticket).where(readable(principal, reach))
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
    reach: Reach = BY_ROLE,
) -> Page[Ticket]:
    """Newest first."""
    query = _filtered(principal, reach, status=status, priority=priority)
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
