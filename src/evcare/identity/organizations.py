"""Organizations (partners, fleets, workshops) and their subordinate accounts.

An EV-CMS partner (``/api/v1/partners``) is such an organization: its ``type`` is the
kind, and it carries a status and contact details. One model, so a partner an admin
lists in EV-CMS is the same organization whose integrations and accounts the hub manages.

Who may act on an organization is decided by the caller of these functions (the
integration a token belongs to, or the caller's own membership); these functions take
the organization's id and keep every account inside it: another organization's account
is not found.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, NotFound
from evcare.core.events import publish
from evcare.core.pagination import Page, PageParams
from evcare.core.public_ids import ACCOUNT_ID, ORGANIZATION_ID
from evcare.core.security import Credentials
from evcare.identity import repository
from evcare.identity import service as identity
from evcare.identity.models import (
    AccountRole,
    Organization,
    OrganizationKind,
    OrganizationMember,
    OrganizationStatus,
    User,
)

Account = tuple[OrganizationMember, User]


def name_key(name: str) -> str:
    """How organization names are compared: NFKC + casefold ("ÉLAN" is "élan")."""
    return unicodedata.normalize("NFKC", name.strip()).casefold()


async def create_organization(
    session: AsyncSession,
    *,
    name: str,
    kind: OrganizationKind,
    status: OrganizationStatus = OrganizationStatus.ACTIVE,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> Organization:
    """A new organization (a partner, fleet or workshop); a name in use is a 409."""
    key = name_key(name)
    if await repository.organization_name_taken(session, key):
        raise Conflict("An organization with this name already exists")
    organization = Organization(
        id=ORGANIZATION_ID.new(),
        name=name.strip(),
        name_key=key,
        kind=kind,
        status=status,
        email=email,
        phone=phone,
        address=address,
    )
    session.add(organization)
    await session.flush()
    await publish(session, "identity.organization_created", {"organizationId": organization.id})
    return organization


async def get_organization(session: AsyncSession, organization_id: str) -> Organization:
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise NotFound("Organization not found")
    return organization


async def list_organizations(
    session: AsyncSession,
    params: PageParams,
    *,
    kind: OrganizationKind | None = None,
    status: OrganizationStatus | None = None,
) -> Page[Organization]:
    """Every organization (EV-CMS lists them as partners to admins and brands)."""
    return await repository.list_organizations(session, params, kind=kind, status=status)


async def rename_organization(
    session: AsyncSession, organization: Organization, *, name: str
) -> Organization:
    key = name_key(name)
    if await repository.organization_name_taken(session, key, except_id=organization.id):
        raise Conflict("An organization with this name already exists")
    organization.name = name.strip()
    organization.name_key = key
    organization.updated_at = utcnow()
    await session.flush()
    return organization


async def membership_of(session: AsyncSession, user_id: int) -> OrganizationMember | None:
    return await repository.membership_of(session, user_id)


async def list_accounts(
    session: AsyncSession,
    organization_id: str,
    params: PageParams,
    *,
    role: AccountRole | None = None,
) -> Page[Account]:
    """The organization's accounts, oldest first; ``role`` keeps one role's (drivers)."""
    return await repository.list_members(session, organization_id, params, role=role)


async def get_account(session: AsyncSession, organization_id: str, account_id: str) -> Account:
    found = await repository.get_member(session, organization_id, account_id)
    if found is None:
        raise NotFound("Account not found")
    return found


async def add_account(
    session: AsyncSession,
    credentials: Credentials,
    organization_id: str,
    *,
    email: str,
    name: str,
    role: AccountRole,
) -> Account:
    """A new EVCare user inside the organization (an email already in use is a 409)."""
    user = await identity.create_account(
        session, credentials, email=email, name=name, role=role.user_role
    )
    member = await _join(session, organization_id, user, role)
    return member, user


async def _join(
    session: AsyncSession, organization_id: str, user: User, role: AccountRole
) -> OrganizationMember:
    member = OrganizationMember(
        id=ACCOUNT_ID.new(),
        organization_id=organization_id,
        user_id=user.id,
        role=role,
        created_at=utcnow(),
    )
    session.add(member)
    await session.flush()
    return member


async def add_existing_user(
    session: AsyncSession, organization_id: str, user: User, role: AccountRole
) -> OrganizationMember:
    """Make a just-created user (a federated sign-in's) a member of the organization."""
    return await _join(session, organization_id, user, role)


async def update_account(
    session: AsyncSession,
    organization_id: str,
    account_id: str,
    *,
    name: str | None = None,
    role: AccountRole | None = None,
) -> Account:
    member, user = await get_account(session, organization_id, account_id)
    if name is not None:
        user.first_name, user.last_name = identity.split_name(name)
        user.updated_at = utcnow()
    if role is not None and role != member.role:
        member.role = role
        if user.role != role.user_role:
            user.role = role.user_role
            # Tokens carry the old role's scopes: the account signs in again.
            await repository.revoke_sessions(session, user.id, reason="role_changed")
    await session.flush()
    return member, user


async def remove_account(session: AsyncSession, organization_id: str, account_id: str) -> None:
    member, user = await get_account(session, organization_id, account_id)
    await session.delete(member)
    await identity.close_account(session, user, reason="account_removed")
    await session.flush()
