"""Every query about workshops: organizations of kind ``workshop`` and what they offer."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.db import is_postgresql
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import Organization, OrganizationKind, OrganizationStatus
from evcare.service.models import Service


async def insert_organization_once(
    session: AsyncSession, *, organization_id: str, name: str, name_key: str, kind: str
) -> None:
    """Insert the organization unless it (or its name) is already there: two requests
    racing to create it both succeed, and one row is written."""
    now = utcnow()
    insert = postgresql_insert if is_postgresql(session) else sqlite_insert
    await session.execute(
        insert(Organization)
        .values(
            id=organization_id,
            name=name,
            name_key=name_key,
            kind=kind,
            status=OrganizationStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )


def _active_workshops() -> Select[Organization]:
    return select(Organization).where(
        Organization.kind == OrganizationKind.WORKSHOP,
        Organization.status == OrganizationStatus.ACTIVE,
    )


async def list_workshops(
    session: AsyncSession, params: PageParams, *, only: Sequence[str] | None = None
) -> Page[Organization]:
    """Active workshops by name; ``only`` narrows them to those ids."""
    query = _active_workshops()
    if only is not None:
        query = query.where(Organization.id.in_(list(only)))
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Organization.name_key, Organization.id)
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def workshops_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, Organization]:
    """The active workshops among ``ids``."""
    if not ids:
        return {}
    rows = await session.scalars(_active_workshops().where(Organization.id.in_(list(ids))))
    return {row.id: row for row in rows}


async def services_of(session: AsyncSession, workshop_ids: Sequence[str]) -> list[Service]:
    """The active services the workshops offer, in one query."""
    if not workshop_ids:
        return []
    query = (
        select(Service)
        .where(Service.workshop_id.in_(list(workshop_ids)), Service.is_active.is_(True))
        .order_by(Service.name, Service.id)
    )
    return list((await session.scalars(query)).all())
