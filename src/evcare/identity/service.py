"""Identity rules: registration, sign-in, token rotation, profiles and user administration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    TokenReuseDetected,
    TokenRevoked,
    TooManyRequests,
    Unauthorized,
)
from evcare.core.events import publish
from evcare.core.lockout import SignInGuard
from evcare.core.pagination import Page, PageParams
from evcare.core.security import Credentials, hash_token, new_refresh_token
from evcare.identity import closing, repository
from evcare.identity.models import AuthSession, RefreshToken, Role, User, UserStatus
from evcare.identity.principal import Principal, require_admin
from evcare.identity.scopes import scopes_for

# An admin changed a user's status; blocked or suspended, their sign-ins have ended.
USER_STATUS_CHANGED = "identity.user_status_changed"


@dataclass(frozen=True)
class SignInAttempt:
    """Where a password sign-in comes from, and the guard that counts it."""

    guard: SignInGuard
    client_ip: str


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    access_expires_at: datetime
    access_lifetime: timedelta
    refresh_token: str
    refresh_expires_at: datetime


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


# -- sign-up and sign-in -------------------------------------------------------------------


async def register(
    session: AsyncSession,
    credentials: Credentials,
    *,
    email: str,
    password: str,
    name: str,
    phone: str | None = None,
    role: str | None = None,
    access_lifetime: timedelta,
) -> tuple[User, TokenPair]:
    """Create a ``user`` account and sign it in. Asking for any other role is refused."""
    if role is not None and role != Role.USER:
        raise Forbidden(
            f"Self-registration can only create role 'user', not '{role}'",
            fields=[FieldError("role", "only 'user' may be self-registered")],
        )
    first, last = split_name(name)
    user = await _create_user(
        session,
        credentials,
        email=email,
        password=password,
        first_name=first,
        last_name=last,
        phone=phone,
        role=Role.USER,
    )
    tokens = await _start_session(session, credentials, user, access_lifetime)
    await publish(session, "identity.user_registered", {"userId": user.id, "role": user.role})
    return user, tokens


async def login(
    session: AsyncSession,
    credentials: Credentials,
    attempt: SignInAttempt,
    *,
    login: str,
    password: str,
    access_lifetime: timedelta,
) -> tuple[User, TokenPair]:
    """Sign in by email or phone. The same answer for an unknown login and a wrong password.

    Attempts are counted per account and per IP (:mod:`evcare.core.lockout`): too many
    failures slow the account down, then lock it (429 with Retry-After, a correct
    password included) and tell its owner once. An unknown login is counted and locked
    the same way, so the answers never reveal whether an account exists."""
    user = await repository.get_user_by_login(session, login)
    guard = attempt.guard
    account = guard.account_key(login, user.id if user else None)
    await guard.check(account=account, ip=attempt.client_ip)
    verified = credentials.passwords.verify_or_waste(user.password_hash if user else None, password)
    if user is None or user.password_hash is None or not verified:
        if await guard.failed(account=account, ip=attempt.client_ip):
            if user is not None:
                await _announce_lock(session, user, guard)
            raise TooManyRequests(retry_after=guard.policy.lock_seconds)
        raise Unauthorized("Invalid credentials")
    await guard.succeeded(account=account)
    _ensure_active(user)
    if credentials.passwords.needs_rehash(user.password_hash):
        user.password_hash = credentials.passwords.hash(password)
    user.last_login_at = utcnow()
    tokens = await _start_session(session, credentials, user, access_lifetime)
    await publish(session, "identity.user_logged_in", {"userId": user.id})
    return user, tokens


async def refresh(
    session: AsyncSession,
    credentials: Credentials,
    *,
    refresh_token: str,
    access_lifetime: timedelta,
) -> tuple[User, TokenPair]:
    """Rotate a refresh token. A spent token coming back revokes its whole family."""
    stored = await repository.get_refresh_token(session, hash_token(refresh_token))
    if stored is None:
        raise Unauthorized("Invalid refresh token")
    family = await repository.get_auth_session(session, stored.session_id)
    if family is None or family.revoked_at is not None:
        raise Unauthorized("Refresh token revoked")
    now = utcnow()
    if stored.used_at is not None:
        await _revoke_reused(session, family, now)
    if stored.expires_at <= now or family.expires_at <= now:
        raise Unauthorized("Refresh token expired")
    user = await repository.get_user(session, family.user_id)
    if user is None:
        raise Unauthorized("Account no longer exists")
    _ensure_active(user)
    # The read above may be stale: a concurrent request with the same token can have
    # spent it since. Only the one whose conditional UPDATE matched rotates; for the
    # other it is reuse, like a spent token presented later.
    if not await repository.spend_refresh_token(session, stored.id, at=now):
        await _revoke_reused(session, family, now)
    tokens = await _issue_tokens(session, credentials, user, family, access_lifetime)
    return user, tokens


async def _revoke_reused(session: AsyncSession, family: AuthSession, now: datetime) -> NoReturn:
    family.revoked_at = now
    family.revoked_reason = "refresh_token_reused"
    await session.flush()
    raise TokenReuseDetected("Refresh token already used; all sessions of it are revoked")


async def _announce_lock(session: AsyncSession, user: User, guard: SignInGuard) -> None:
    """One event per lock: the audit log records it, the owner gets it in-app and by email."""
    minutes = guard.policy.lock_seconds // 60
    await publish(
        session,
        "identity.sign_in_locked",
        {
            "userId": user.id,  # the identity events' key (audit log)
            # What the notifier reads (engagement.notifications):
            "user_id": user.id,
            "category": "security",
            "title": "Sign-in to your EVCare account is locked",
            "message": (
                f"After {guard.policy.max_failures} failed sign-in attempts, signing in "
                f"to your account is locked for {minutes} minutes. If this was not you, "
                "someone may be guessing your password: once you can sign in again, "
                "change it."
            ),
            "data": {"lockedMinutes": minutes},
        },
    )


async def logout(session: AsyncSession, principal: Principal) -> None:
    """Revoke the caller's sign-in: its access and refresh tokens stop working at once."""
    family = await repository.get_auth_session(session, principal.session_id)
    if family is not None and family.revoked_at is None:
        family.revoked_at = utcnow()
        family.revoked_reason = "logout"
    await publish(session, "identity.user_logged_out", {"userId": principal.user_id})


async def authenticate(
    session: AsyncSession, credentials: Credentials, *, access_token: str
) -> Principal:
    """Check an access token against the database: revoked or blocked means refused now."""
    claims = credentials.access_tokens.verify(access_token)
    sign_in = await repository.get_sign_in(session, claims.session_id)
    if sign_in is None or sign_in.revoked_at is not None or sign_in.user_id != claims.user_id:
        raise TokenRevoked("Token revoked")
    if sign_in.live_user_id is None:
        raise TokenRevoked("Account no longer exists")
    _ensure_active(sign_in)
    # Scopes follow the user's current role, narrowed by what the token was issued with.
    scopes = frozenset(claims.scopes & scopes_for(sign_in.role))
    return Principal(
        user_id=claims.user_id,
        role=sign_in.role,
        scopes=scopes,
        session_id=claims.session_id,
        integration_id=sign_in.integration_id,
    )


# -- sign-ins made through a partner integration ------------------------------------------


async def start_client_session(
    session: AsyncSession,
    credentials: Credentials,
    *,
    user: User,
    integration_id: str,
    scopes: frozenset[str],
) -> tuple[str, datetime]:
    """A client-credentials token: an access token only (no refresh), for ``scopes``.

    Its sign-in lives as long as the token, so revoking it (or its integration) is
    checked per request exactly as a user's logout is."""
    _ensure_active(user)
    now = utcnow()
    expires = now + credentials.cms_access_lifetime
    family = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        created_at=now,
        expires_at=expires,
        integration_id=integration_id,
    )
    session.add(family)
    await session.flush()
    return credentials.access_tokens.issue(
        user_id=user.id,
        session_id=family.id,
        role=user.role,
        scopes=scopes,
        lifetime=credentials.cms_access_lifetime,
        integration_id=integration_id,
    )


async def start_delegated_session(
    session: AsyncSession, credentials: Credentials, *, user: User, integration_id: str
) -> TokenPair:
    """Sign ``user`` in on behalf of integration ``integration_id`` (its session code was redeemed).

    The tokens work on every surface; refreshing keeps the integration's bounds."""
    _ensure_active(user)
    user.last_login_at = utcnow()
    tokens = await _start_session(
        session,
        credentials,
        user,
        credentials.cms_access_lifetime,
        integration_id=integration_id,
    )
    await publish(
        session, "identity.user_logged_in", {"userId": user.id, "integrationId": integration_id}
    )
    return tokens


async def revoke_token(session: AsyncSession, credentials: Credentials, *, token: str) -> None:
    """RFC 7009: revoke the sign-in an access or refresh token belongs to; unknown is fine."""
    session_id: uuid.UUID | None = None
    stored = await repository.get_refresh_token(session, hash_token(token))
    if stored is not None:
        session_id = stored.session_id
    else:
        try:
            session_id = credentials.access_tokens.verify(token).session_id
        except Unauthorized:
            return
    family = await repository.get_auth_session(session, session_id)
    if family is not None and family.revoked_at is None:
        family.revoked_at = utcnow()
        family.revoked_reason = "revoked"
        await session.flush()


async def revoke_integration_sessions(
    session: AsyncSession, *, integration_id: str, reason: str
) -> None:
    """End every sign-in made through integration ``integration_id`` at once."""
    await repository.revoke_integration_sessions(session, integration_id, reason=reason)


async def change_password(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
) -> None:
    """Change one's password; every other sign-in of the account is revoked."""
    user = await _get_live_user(session, principal.user_id)
    if user.password_hash is None or not credentials.passwords.verify(
        user.password_hash, current_password
    ):
        raise BusinessRuleViolation(
            "Current password is incorrect",
            fields=[FieldError("currentPassword", "does not match")],
        )
    if current_password == new_password:
        raise BusinessRuleViolation(
            "New password must differ from the current one",
            fields=[FieldError("newPassword", "must differ from the current password")],
        )
    user.password_hash = credentials.passwords.hash(new_password)
    await repository.revoke_sessions(
        session, user.id, reason="password_changed", keep=principal.session_id
    )
    await publish(session, "identity.password_changed", {"userId": user.id})


# -- profile -------------------------------------------------------------------------------


async def get_me(session: AsyncSession, principal: Principal) -> User:
    return await _get_live_user(session, principal.user_id)


async def update_profile(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str | None = None,
    phone: str | None = None,
    profile_picture: str | None = None,
) -> User:
    user = await _get_live_user(session, principal.user_id)
    return await _apply_changes(
        session, user, name=name, phone=phone, profile_picture=profile_picture
    )


async def update_preferences(
    session: AsyncSession, principal: Principal, changes: dict[str, Any]
) -> dict[str, Any]:
    user = await _get_live_user(session, principal.user_id)
    user.preferences = {**(user.preferences or {}), **changes}
    await session.flush()
    return user.preferences


# -- administration of people of one role (admins, customers; mechanics later) -------------


async def create_user(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    role: Role,
    first_name: str,
    last_name: str,
    email: str,
    phone: str | None,
    password: str | None,
) -> User:
    """An admin creates an account of ``role``. Without a password it cannot sign in yet."""
    require_admin(principal)
    user = await _create_user(
        session,
        credentials,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        role=role,
    )
    await publish(session, "identity.user_created", {"userId": user.id, "role": user.role})
    return user


async def list_people(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    role: Role,
    user_id: int | None = None,
    search: str | None = None,
) -> Page[User]:
    require_admin(principal)
    return await repository.list_users(
        session, params, roles=[role], user_id=user_id, search=search
    )


async def get_person(
    session: AsyncSession, principal: Principal, *, role: Role, user_id: int
) -> User:
    """Admins read anyone of ``role``; others only themselves (else a 404, not a 403)."""
    if not principal.is_admin and principal.user_id != user_id:
        raise NotFound(f"{role.value.title()} not found")
    user = await repository.get_user(session, user_id)
    if user is None or user.role != role:
        raise NotFound(f"{role.value.title()} not found")
    return user


async def update_person(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    role: Role,
    user_id: int,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    password: str | None = None,
) -> User:
    user = await get_person(session, principal, role=role, user_id=user_id)
    if password is not None:
        if not principal.is_admin:
            raise Forbidden("Use change-password to change your own password")
        user.password_hash = credentials.passwords.hash(password)
        await repository.revoke_sessions(session, user.id, reason="password_reset")
    return await _apply_changes(
        session, user, first_name=first_name, last_name=last_name, email=email, phone=phone
    )


async def delete_person(
    session: AsyncSession, principal: Principal, *, role: Role, user_id: int
) -> None:
    """Soft delete (restorable); the account's sign-ins end at once."""
    user = await get_person(session, principal, role=role, user_id=user_id)
    if principal.is_admin and user.id == principal.user_id:
        raise Conflict("You cannot delete your own admin account")
    await closing.account_closing(session, user)
    user.deleted_at = utcnow()
    await repository.revoke_sessions(session, user.id, reason="account_deleted")
    await publish(session, "identity.user_deleted", {"userId": user.id})


async def restore_user(session: AsyncSession, principal: Principal, *, user_id: int) -> User:
    require_admin(principal)
    user = await repository.get_user(session, user_id, include_deleted=True)
    if user is None:
        raise NotFound("User not found")
    if user.deleted_at is None:
        raise Conflict("User is not deleted")
    if await repository.email_taken(session, user.email, except_user=user.id):
        raise Conflict("Another account now uses this email")
    user.deleted_at = None
    await session.flush()
    return user


async def set_status(
    session: AsyncSession, principal: Principal, *, user_id: int, status: str, reason: str | None
) -> User:
    """Blocking or suspending ends the user's sign-ins (tokens and sockets) immediately.

    Nobody blocks or suspends themselves, nor the last active admin."""
    require_admin(principal)
    user = await _get_live_user(session, user_id)
    await _change_status(session, principal, user, status=UserStatus(status), reason=reason)
    await session.flush()
    return user


async def _change_status(
    session: AsyncSession,
    principal: Principal,
    user: User,
    *,
    status: UserStatus,
    reason: str | None,
) -> None:
    if status != UserStatus.ACTIVE:
        if user.id == principal.user_id:
            raise Conflict("You cannot block or suspend yourself")
        await _keep_an_admin(session, user)
    changed = user.status != status
    user.status = status
    user.status_reason = reason
    user.updated_at = utcnow()
    if status != UserStatus.ACTIVE:
        await repository.revoke_sessions(session, user.id, reason=f"user_{status}")
    if changed:
        await publish(
            session,
            USER_STATUS_CHANGED,
            {"userId": user.id, "status": str(status), "byUserId": principal.user_id},
        )


async def _keep_an_admin(session: AsyncSession, user: User) -> None:
    """Refuse a change that would leave no live, active admin (409)."""
    if user.role != Role.ADMIN or user.status != UserStatus.ACTIVE or user.is_deleted:
        return
    if [key for key in await repository.active_admin_ids(session) if key != user.id]:
        return
    raise Conflict("This is the last active admin: make another admin first")


# -- EV-CMS user administration (any role) -------------------------------------------------


async def list_users(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    role: str | None = None,
    search: str | None = None,
    deleted: bool = False,
) -> Page[User]:
    """Everyone, filtered by status, role and text (admins); ``deleted``: the
    soft-deleted accounts instead, to restore."""
    require_admin(principal)
    return await repository.list_users(
        session,
        params,
        roles=[role] if role else None,
        status=status,
        search=search,
        deleted=deleted,
    )


async def get_user(session: AsyncSession, principal: Principal, *, user_id: int) -> User:
    """Anyone's account, a soft-deleted one included (admins)."""
    require_admin(principal)
    user = await repository.get_user(session, user_id, include_deleted=True)
    if user is None:
        raise NotFound(f"User {user_id} not found")
    return user


async def update_user(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: int,
    name: str | None = None,
    role: str | None = None,
    status: str | None = None,
    reason: str | None = None,
) -> User:
    """Rename, change the role or the status of a live account (admins).

    The last active admin keeps the admin role; a new role's scopes apply to the user's
    next request (every request reads the role)."""
    require_admin(principal)
    user = await _get_live_user(session, user_id)
    if role is not None and role != user.role:
        if user.id == principal.user_id:
            raise Conflict("You cannot change your own role")
        await _keep_an_admin(session, user)
        user.role = Role(role)
    if status is not None:
        await _change_status(session, principal, user, status=UserStatus(status), reason=reason)
    return await _apply_changes(session, user, name=name)


async def delete_user(session: AsyncSession, principal: Principal, *, user_id: int) -> None:
    """Soft delete (restorable); the account's sign-ins end at once. Not oneself, not the
    last active admin."""
    require_admin(principal)
    user = await _get_live_user(session, user_id)
    if user.id == principal.user_id:
        raise Conflict("You cannot delete your own account here")
    await _keep_an_admin(session, user)
    await close_account(session, user, reason="account_deleted")


async def create_account(
    session: AsyncSession,
    credentials: Credentials,
    *,
    email: str,
    name: str,
    role: Role,
) -> User:
    """An account created for someone else (a partner's user, an organization's driver):
    no password, so it signs in only the way it was created for."""
    first, last = split_name(name)
    return await _create_user(
        session,
        credentials,
        email=email,
        password=None,
        first_name=first,
        last_name=last,
        phone=None,
        role=role,
    )


async def close_account(session: AsyncSession, user: User, *, reason: str) -> None:
    """Soft delete ``user``; every sign-in of it ends at once; what other contexts hold
    open for it is closed (``identity.closing``)."""
    await closing.account_closing(session, user)
    user.deleted_at = utcnow()
    await repository.revoke_sessions(session, user.id, reason=reason)
    await publish(session, "identity.user_deleted", {"userId": user.id})


# -- internals -----------------------------------------------------------------------------


async def _create_user(
    session: AsyncSession,
    credentials: Credentials,
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    phone: str | None,
    role: Role,
) -> User:
    email = email.strip().lower()
    if await repository.email_taken(session, email):
        raise Conflict("An account with this email already exists")
    if phone and await repository.phone_taken(session, phone):
        raise Conflict("An account with this phone number already exists")
    user = User(
        email=email,
        phone=phone or None,
        first_name=first_name,
        last_name=last_name,
        role=role,
        password_hash=credentials.passwords.hash(password) if password else None,
    )
    session.add(user)
    await session.flush()
    return user


async def _apply_changes(
    session: AsyncSession,
    user: User,
    *,
    name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    profile_picture: str | None = None,
) -> User:
    if name is not None:
        first_name, last_name = split_name(name)
    if email is not None and email.lower() != user.email:
        if await repository.email_taken(session, email, except_user=user.id):
            raise Conflict("An account with this email already exists")
        user.email = email.lower()
        user.is_email_verified = False
    if phone is not None and phone != user.phone:
        if await repository.phone_taken(session, phone, except_user=user.id):
            raise Conflict("An account with this phone number already exists")
        user.phone = phone
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    if profile_picture is not None:
        user.profile_picture = profile_picture
    user.updated_at = utcnow()
    await session.flush()
    return user


async def _get_live_user(session: AsyncSession, user_id: int) -> User:
    user = await repository.get_user(session, user_id)
    if user is None:
        raise NotFound("User not found")
    return user


def _ensure_active(user: User | repository.SignIn) -> None:
    if user.status != UserStatus.ACTIVE:
        raise Unauthorized(f"Account is {user.status}")


async def _start_session(
    session: AsyncSession,
    credentials: Credentials,
    user: User,
    access_lifetime: timedelta,
    *,
    integration_id: str | None = None,
) -> TokenPair:
    now = utcnow()
    family = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        created_at=now,
        expires_at=now + credentials.refresh_lifetime,
        integration_id=integration_id,
    )
    session.add(family)
    await session.flush()
    return await _issue_tokens(session, credentials, user, family, access_lifetime)


async def _issue_tokens(
    session: AsyncSession,
    credentials: Credentials,
    user: User,
    family: AuthSession,
    access_lifetime: timedelta,
) -> TokenPair:
    now = utcnow()
    raw = new_refresh_token()
    expires = min(now + credentials.refresh_lifetime, family.expires_at)
    session.add(
        RefreshToken(
            session_id=family.id, token_hash=hash_token(raw), created_at=now, expires_at=expires
        )
    )
    access, access_expires = credentials.access_tokens.issue(
        user_id=user.id,
        session_id=family.id,
        role=user.role,
        scopes=scopes_for(user.role),
        lifetime=access_lifetime,
        integration_id=family.integration_id,
    )
    await session.flush()
    return TokenPair(
        access_token=access,
        access_expires_at=access_expires,
        access_lifetime=access_lifetime,
        refresh_token=raw,
        refresh_expires_at=expires,
    )
