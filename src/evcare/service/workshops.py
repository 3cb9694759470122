"""Workshops: organizations of kind ``workshop`` that offer services, employ mechanics and
take service bookings.

RevCare's API speaks of one workshop: everything made through it belongs to the
**default workshop** (:data:`DEFAULT_WORKSHOP_ID`). Migration 0026 created it and moved
every existing service, mechanic and booking to it; it is also (re)created on first use,
so a database emptied of organizations still takes RevCare writes. Other workshops are
organizations of kind ``workshop`` (the demo has two); their services and mechanics are
theirs, and a booking belongs to the workshop whose services it books.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import NotFound
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import Organization, OrganizationKind
from evcare.identity.organizations import name_key
from evcare.service import workshop_repository as repository
from evcare.service.models import Service

# Fixed, so the migration and the code name the same row (an ``org_`` id like any other).
DEFAULT_WORKSHOP_ID = "org_defaultworkshop"
DEFAULT_WORKSHOP_NAME = "EVCare Workshop"


@dataclass(frozen=True)
class Workshop:
    organization: Organization
    services: list[Service]


async def default_workshop_id(session: AsyncSession) -> str:
    """The default workshop's id, creating its organization when it is missing."""
    if await session.get(Organization, DEFAULT_WORKSHOP_ID) is None:
        await repository.insert_organization_once(
            session,
            organization_id=DEFAULT_WORKSHOP_ID,
            name=DEFAULT_WORKSHOP_NAME,
            name_key=name_key(DEFAULT_WORKSHOP_NAME),
            kind=OrganizationKind.WORKSHOP,
        )
    return DEFAULT_WORKSHOP_ID


async def list_workshops(
    session: AsyncSession, params: PageParams, *, only: Sequence[str] | None = None
) -> Page[Workshop]:
    """Active workshops by name, each with its active services (``only``: these ids)."""
    page = await repository.list_workshops(session, params, only=only)
    return Page(items=await _with_services(session, page.items), total=page.total, params=params)


async def get_workshop(session: AsyncSession, workshop_id: str) -> Workshop:
    """An active workshop with its services; anything else is a 404."""
    found = (await repository.workshops_by_id(session, [workshop_id])).get(workshop_id)
    if found is None:
        raise NotFound(f"Workshop {workshop_id} not found")
    (workshop,) = await _with_services(session, [found])
    return workshop


async def active_workshops(session: AsyncSession, ids: Sequence[str]) -> dict[str, Organization]:
    """Which of ``ids`` are active workshops."""
    return await repository.workshops_by_id(session, ids)


async def _with_services(
    session: AsyncSession, organizations: list[Organization]
) -> list[Workshop]:
    services = await repository.services_of(session, [o.id for o in organizations])
    by_workshop: dict[str, list[Service]] = {o.id: [] for o in organizations}
    for service in services:
        by_workshop[service.workshop_id].append(service)
    return [Workshop(o, by_workshop[o.id]) for o in organizations]
