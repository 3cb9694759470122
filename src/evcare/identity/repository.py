"""Every identity query; soft-deleted users are invisible unless asked for."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import (
    AuthSession,
    Organization,
    OrganizationMember,
    RefreshToken,
    Role,
    User,
    UserStatus,
)


@dataclass(frozen=True, slots=True)
class SignIn:
    """A sign-in as an access token's check sees it; ``live_user_id`` is None once the
    user is deleted."""

    user_id: int
    revoked_at: datetime | None
    live_user_id: int | None
    role: str
    status: str
    integration_id: str | None


def _live() -> ColumnElement[bool]:
    return User.deleted_at.is_(None)


async def get_user(
    session: AsyncSession, user_id: int, *, include_deleted: bool = False
) -> User | None:
    query = select(User).where(User.id == user_id)
    if not include_deleted:
        query = query.where(_live())
    return (await session.scalars(query)).one_or_none()


async def names_of(session: AsyncSession, user_ids: Sequence[int | None]) -> dict[int, str]:
    """Display names of users (deleted ones too: a name on an old record stays)."""
    keys = {key for key in user_ids if key is not None}
    if not keys:
        return {}
    rows = await session.execute(
        select(User.id, User.first_name, User.last_name).where(User.id.in_(keys))
    )
    return {key: f"{first} {last}".strip() for key, first, last in rows.all()}


async def users_by_ids(session: AsyncSession, user_ids: set[int]) -> dict[int, User]:
    """Users by id, deleted ones included (a record names who it was for)."""
    if not user_ids:
        return {}
    rows = await session.scalars(select(User).where(User.id.in_(user_ids)))
    return {user.id: user for user in rows.all()}


async def get_user_by_login(session: AsyncSession, login: str) -> User | None:
    """``login`` is an email address or a phone number."""
    text = login.strip()
    query = select(User).where(_live()).where(or_(User.email == text.lower(), User.phone == text))
    return (await session.scalars(query)).first()


async def email_taken(session: AsyncSession, email: str, *, except_user: int | None = None) -> bool:
    query = select(User.id).where(User.email == email.lower())
    if except_user is not None:
        query = query.where(User.id != except_user)
    return (await session.scalar(query.limit(1))) is not None


async def phone_taken(session: AsyncSession, phone: str, *, except_user: int | None = None) -> bool:
    query = select(User.id).where(User.phone == phone)
    if except_user is not None:
        query = query.where(User.id != except_user)
    return (await session.scalar(query.limit(1))) is not None


async def list_users(
    session: AsyncSession,
    params: PageParams,
    *,
    roles: Sequence[str] | None = None,
    status: str | None = None,
    search: str | None = None,
    user_id: int | None = None,
    deleted: bool = False,
) -> Page[User]:
    """Live users (``deleted``: only the soft-deleted ones) matching the filters."""
    query = select(User).where(User.deleted_at.is_not(None) if deleted else _live())
    if roles:
        query = query.where(User.role.in_(roles))
    if status:
        query = query.where(User.status == status)
    if user_id is not None:
        query = query.where(User.id == user_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(
                func.lower(User.email).like(pattern),
                func.lower(User.first_name).like(pattern),
                func.lower(User.last_name).like(pattern),
                User.phone.like(pattern),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(User.id).offset(params.offset).limit(params.limit))
    return Page(items=list(rows.all()), total=total, params=params)


async def active_admin_ids(session: AsyncSession) -> list[int]:
    """The live, active admins, their rows locked until commit (PostgreSQL), so two
    admins demoting each other at once cannot both pass the last-admin check."""
    rows = await session.scalars(
        select(User.id)
        .where(_live(), User.role == Role.ADMIN, User.status == UserStatus.ACTIVE)
        .order_by(User.id)
        .with_for_update()
    )
    return list(rows)


async def get_auth_session(session: AsyncSession, session_id: uuid.UUID) -> AuthSession | None:
    return await session.get(AuthSession, session_id)


# Built once (composing it costs more CPU than running it): see get_sign_in.
_SIGN_IN = (
    select(
        AuthSession.user_id,
        AuthSession.revoked_at,
        User.id.label("live_user_id"),
        User.role,
        User.status,
        AuthSession.integration_id,
    )
    .select_from(AuthSession)
    .outerjoin(User, (User.id == AuthSession.user_id) & _live())
    .where(AuthSession.id == bindparam("session_id"))
)


async def get_sign_in(session: AsyncSession, session_id: uuid.UUID) -> SignIn | None:
    """What every authenticated request checks, in one query and without loading objects:
    the sign-in's owner and revocation, and its user's id (None once deleted), role and
    status."""
    # On the session's connection: a column query needs none of the ORM's execution steps
    # (the same statement and rows, in the same transaction).
    connection = await session.connection()
    row = (await connection.execute(_SIGN_IN, {"session_id": session_id})).one_or_none()
    return None if row is None else SignIn(*row)


async def get_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    return (await session.scalars(query)).one_or_none()


async def spend_refresh_token(session: AsyncSession, token_id: int, *, at: datetime) -> bool:
    """Mark a refresh token used, unless someone already did: true for exactly one caller.

    One conditional UPDATE: of two requests racing with the same token, PostgreSQL makes
    the second wait for the first's row lock and then re-checks ``used_at``; SQLite lets
    one writer at a time in. Either way the second matches no row."""
    spent = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id)
        .where(RefreshToken.used_at.is_(None))
        .values(used_at=at)
        .returning(RefreshToken.id)
        .execution_options(synchronize_session=False)
    )
    return spent.scalar_one_or_none() is not None


async def revoke_sessions(
    session: AsyncSession, user_id: int, *, reason: str, keep: uuid.UUID | None = None
) -> None:
    statement = (
        update(AuthSession)
        .where(AuthSession.user_id == user_id)
        .where(AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await session.execute(statement)


async def revoke_integration_sessions(
    session: AsyncSession, integration_id: str, *, reason: str
) -> None:
    await session.execute(
        update(AuthSession)
        .where(AuthSession.integration_id == integration_id)
        .where(AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


# -- organizations and their accounts ------------------------------------------------------


async def get_organization(session: AsyncSession, organization_id: str) -> Organization | None:
    return await session.get(Organization, organization_id)


async def organization_name_taken(
    session: AsyncSession, name_key: str, *, except_id: str | None = None
) -> bool:
    query = select(Organization.id).where(Organization.name_key == name_key)
    if except_id is not None:
        query = query.where(Organization.id != except_id)
    return (await session.scalar(query.limit(1))) is not None


async def list_organizations(
    session: AsyncSession,
    params: PageParams,
    *,
    kind: str | None = None,
    status: str | None = None,
) -> Page[Organization]:
    query = select(Organization)
    if kind:
        query = query.where(Organization.kind == kind)
    if status:
        query = query.where(Organization.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(
        query.order_by(Organization.created_at, Organization.id)
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=list(rows.all()), total=total, params=params)


async def membership_of(session: AsyncSession, user_id: int) -> OrganizationMember | None:
    query = select(OrganizationMember).where(OrganizationMember.user_id == user_id)
    return (await session.scalars(query)).one_or_none()


async def get_member(
    session: AsyncSession, organization_id: str, account_id: str
) -> tuple[OrganizationMember, User] | None:
    """One account of one organization: another organization's account is not found."""
    query = (
        select(OrganizationMember, User)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.id == account_id)
        .where(OrganizationMember.organization_id == organization_id)
        .where(_live())
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None else (row[0], row[1])


async def list_members(
    session: AsyncSession, organization_id: str, params: PageParams, *, role: str | None = None
) -> Page[tuple[OrganizationMember, User]]:
    query = (
        select(OrganizationMember, User)
        .join(User, User.id == OrganizationMember.user_id)
        .where(OrganizationMember.organization_id == organization_id)
        .where(_live())
    )
    if role is not None:
        query = query.where(OrganizationMember.role == role)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.execute(
        query.order_by(OrganizationMember.created_at, OrganizationMember.id)
        .offset(params.offset)
        .limit(params.limit)
    )
    return Page(items=[(row[0], row[1]) for row in rows.all()], total=total, params=params)
