"""Whose fleet a caller acts for: an integration for its own organization; a person for
the organization they manage (a FLEET_MANAGER or ORGANIZATION_ADMIN account)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import Forbidden
from evcare.identity import organizations
from evcare.identity.models import AccountRole
from evcare.identity.principal import Principal
from evcare.integrations import service as integrations

MANAGING_ROLES = frozenset({AccountRole.FLEET_MANAGER, AccountRole.ORGANIZATION_ADMIN})


async def fleet_of(session: AsyncSession, principal: Principal) -> str:
    """The organization whose fleet the caller manages; 403 for anybody else (a driver,
    a client, a person of no organization)."""
    if principal.is_integration:
        organization_id, _ = await integrations.organization_of(session, principal)
        return organization_id
    member = await organizations.membership_of(session, principal.user_id)
    if member is None or member.role not in MANAGING_ROLES:
        raise Forbidden("Only the organization's integration or its fleet managers may do this")
    return member.organization_id
