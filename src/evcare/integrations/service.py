"""Integration rules: credentials, client-credentials tokens, federated sign-in, and the
per-request gate (bundles, then the allowlist) for every token obtained through one."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.db import is_postgresql
from evcare.core.errors import (
    BundleForbidden,
    Conflict,
    EndpointNotAllowed,
    FieldError,
    Forbidden,
    InvalidCredentials,
    NotFound,
    SessionCodeInvalid,
    TokenRevoked,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.pagination import Page, PageParams
from evcare.core.public_ids import INTEGRATION_ID
from evcare.core.security import (
    Credentials,
    generated_secret_matches,
    hash_generated_secret,
    hash_token,
)
from evcare.identity import organizations
from evcare.identity import repository as users
from evcare.identity import service as identity
from evcare.identity.models import AccountRole, OrganizationKind, Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.identity.service import TokenPair
from evcare.integrations import repository
from evcare.integrations.bundles import Bundle, role_hints_of, scopes_of
from evcare.integrations.models import (
    ExternalIdentity,
    Integration,
    IntegrationSecret,
    IntegrationStatus,
    SessionCode,
)
from evcare.integrations.readiness import Check, checklist
from evcare.integrations.webhooks import repository as webhook_repository

CLIENT_ID_PREFIX = "evc_ci_"
CLIENT_SECRET_PREFIX = "evc_cs_"
SESSION_CODE_PREFIX = "evc_session_"
SESSION_CODE_LIFETIME = timedelta(seconds=120)
DEFAULT_OVERLAP = timedelta(seconds=86_400)
MAX_OVERLAP = timedelta(seconds=604_800)
# Checked against every presented secret when the client id is unknown (or has fewer
# live secrets), so an unknown client id costs what a wrong secret costs.
_DUMMY_HASH = hash_generated_secret(secrets.token_urlsafe(32))
_COMPARISONS = 2


@dataclass(frozen=True)
class IssuedCredentials:
    client_id: str
    client_secret: str
    previous_secret_expires_at: datetime | None = None


@dataclass(frozen=True)
class ClientToken:
    access_token: str
    expires_at: datetime
    scopes: frozenset[str]
    integration_id: str


@dataclass(frozen=True)
class Exchange:
    session_code: str
    expires_at: datetime
    user: User
    role: AccountRole
    created: bool


@dataclass(frozen=True)
class Redemption:
    tokens: TokenPair
    user: User
    role: AccountRole


# -- administration ------------------------------------------------------------------------


async def create_integration(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    name: str,
    organization_id: str | None,
    organization_name: str | None,
    bundles: list[Bundle],
    allowed_endpoints: list[str],
    redirect_uris: list[str],
    contact_email: str,
    known_endpoints: frozenset[str],
    published: tuple[str, IssuedCredentials] | None = None,
) -> tuple[Integration, IssuedCredentials]:
    """An admin registers a partner; its secret is returned here once and stored hashed.

    ``published`` (an id and credentials chosen in advance) is for the demo data only,
    whose credentials are printed like the demo passwords."""
    _require_admin(principal)
    endpoints = check_allowlist(allowed_endpoints, known_endpoints)
    if organization_id is not None:
        organization = await organizations.get_organization(session, organization_id)
    else:
        organization = await organizations.create_organization(
            session, name=organization_name or name, kind=OrganizationKind.PARTNER
        )
    integration_id = INTEGRATION_ID.new() if published is None else published[0]
    client_id = (
        CLIENT_ID_PREFIX + secrets.token_hex(12) if published is None else published[1].client_id
    )
    service_user = await identity.create_account(
        session,
        credentials,
        email=f"{client_id}@integrations.evcare.invalid",
        name=name[:100],
        role=Role.INTEGRATION,
    )
    now = utcnow()
    integration = Integration(
        id=integration_id,
        organization_id=organization.id,
        name=name,
        contact_email=contact_email.lower(),
        status=IntegrationStatus.ACTIVE,
        bundles=sorted(set(map(str, bundles))),
        allowed_endpoints=endpoints,
        redirect_uris=list(dict.fromkeys(redirect_uris)),
        client_id=client_id,
        service_user_id=service_user.id,
        secret_rotated_at=now,
    )
    session.add(integration)
    await session.flush()
    chosen = None if published is None else published[1].client_secret
    secret = await _new_secret(session, integration, now=now, secret=chosen)
    await publish(session, "integrations.integration_created", {"integrationId": integration.id})
    return integration, IssuedCredentials(client_id=client_id, client_secret=secret)


async def list_integrations(
    session: AsyncSession, principal: Principal, params: PageParams, *, status: str | None
) -> Page[Integration]:
    _require_admin(principal)
    return await repository.list_integrations(session, params, status=status)


async def get_integration(
    session: AsyncSession, principal: Principal, integration_id: str
) -> Integration:
    _require_admin(principal)
    integration = await repository.get_integration(session, integration_id)
    if integration is None:
        raise NotFound("Integration not found")
    return integration


async def update_integration(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    *,
    known_endpoints: frozenset[str],
    name: str | None = None,
    bundles: list[Bundle] | None = None,
    allowed_endpoints: list[str] | None = None,
    redirect_uris: list[str] | None = None,
    status: IntegrationStatus | None = None,
) -> Integration:
    """Changes apply to live tokens at once: bundles and the allowlist are read per request."""
    integration = await get_integration(session, principal, integration_id)
    if allowed_endpoints is not None:
        integration.allowed_endpoints = check_allowlist(allowed_endpoints, known_endpoints)
    if name is not None:
        integration.name = name
    if bundles is not None:
        integration.bundles = sorted(set(map(str, bundles)))
    if redirect_uris is not None:
        integration.redirect_uris = list(dict.fromkeys(redirect_uris))
    if status is not None:
        integration.status = status
    integration.updated_at = utcnow()
    await session.flush()
    return integration


async def delete_integration(
    session: AsyncSession, principal: Principal, integration_id: str
) -> None:
    """Delete for real; every token of it (its own and its users') stops at once."""
    integration = await get_integration(session, principal, integration_id)
    await identity.revoke_integration_sessions(
        session, integration_id=integration.id, reason="integration_deleted"
    )
    service_user = await users.get_user(session, integration.service_user_id)
    await session.delete(integration)
    await session.flush()
    if service_user is not None:
        await identity.close_account(session, service_user, reason="integration_deleted")
    await publish(session, "integrations.integration_deleted", {"integrationId": integration_id})


async def rotate_credentials(
    session: AsyncSession, principal: Principal, integration_id: str, *, overlap: timedelta
) -> IssuedCredentials:
    """A new secret; the previous ones keep working for ``overlap``, then are refused."""
    if overlap < timedelta(0) or overlap > MAX_OVERLAP:
        raise ValidationFailed(
            "overlapSeconds must be between 0 and 604800",
            fields=[FieldError("overlapSeconds", "must be between 0 and 604800")],
        )
    integration = await get_integration(session, principal, integration_id)
    now = utcnow()
    previous_until = now + overlap
    await repository.end_secrets(session, integration.id, now=now, expires_at=previous_until)
    secret = await _new_secret(session, integration, now=now)
    integration.secret_rotated_at = now
    integration.credentials_revoked_at = None
    await publish(session, "integrations.credentials_rotated", {"integrationId": integration.id})
    return IssuedCredentials(
        client_id=integration.client_id,
        client_secret=secret,
        previous_secret_expires_at=previous_until,
    )


async def revoke_credentials(
    session: AsyncSession, principal: Principal, integration_id: str
) -> Integration:
    """Every secret and every token of the integration is refused from now on."""
    integration = await get_integration(session, principal, integration_id)
    now = utcnow()
    await repository.end_secrets(session, integration.id, now=now, expires_at=None)
    await identity.revoke_integration_sessions(
        session, integration_id=integration.id, reason="credentials_revoked"
    )
    integration.credentials_revoked_at = now
    integration.updated_at = now
    await session.flush()
    await publish(session, "integrations.credentials_revoked", {"integrationId": integration.id})
    return integration


async def readiness(
    session: AsyncSession, principal: Principal, integration_id: str
) -> tuple[Integration, list[Check]]:
    """The go-live checklist, computed now."""
    integration = await get_integration(session, principal, integration_id)
    verified = await webhook_repository.answered_a_ping(session, integration.id)
    return integration, checklist(integration, webhook_verified=verified)


def check_allowlist(entries: list[str], known_endpoints: frozenset[str]) -> list[str]:
    """Normalise ``METHOD /path/template`` entries; one that names no route is a 422."""
    normalised: list[str] = []
    errors: list[FieldError] = []
    for index, entry in enumerate(entries):
        method, _, path = entry.strip().partition(" ")
        candidate = f"{method.upper()} {path.strip()}"
        if candidate not in known_endpoints:
            errors.append(FieldError(f"allowedEndpoints.{index}", "names no route"))
        elif candidate not in normalised:
            normalised.append(candidate)
    if errors:
        raise ValidationFailed(
            "Every allowlist entry must name a route as 'METHOD /path/template'", fields=errors
        )
    return normalised


# -- partner sign-in -----------------------------------------------------------------------


async def issue_client_token(
    session: AsyncSession, credentials: Credentials, *, client_id: str, client_secret: str
) -> ClientToken:
    """Client credentials -> an integration token carrying its bundles' scopes.

    An unknown client id and a wrong secret get the same error after the same work:
    one query either way, and the same number of constant-time comparisons."""
    now = utcnow()
    rows = (
        await session.execute(
            select(Integration, IntegrationSecret.secret_hash)
            .outerjoin(
                IntegrationSecret,
                (IntegrationSecret.integration_id == Integration.id)
                & IntegrationSecret.revoked_at.is_(None)
                & (IntegrationSecret.expires_at.is_(None) | (IntegrationSecret.expires_at > now)),
            )
            .where(Integration.client_id == client_id[:64])
        )
    ).all()
    hashes = [row[1] for row in rows if row[1] is not None]
    candidates = hashes + [_DUMMY_HASH] * max(0, _COMPARISONS - len(hashes))
    matched = False
    for stored in candidates:
        matched |= generated_secret_matches(stored, client_secret)
    if not rows or not hashes or not matched:
        raise InvalidCredentials("Invalid client credentials")
    integration: Integration = rows[0][0]
    _ensure_active(integration)
    service_user = await users.get_user(session, integration.service_user_id)
    if service_user is None:
        raise InvalidCredentials("Invalid client credentials")
    scopes = scopes_of(integration.bundles)
    token, expires = await identity.start_client_session(
        session, credentials, user=service_user, integration_id=integration.id, scopes=scopes
    )
    return ClientToken(
        access_token=token, expires_at=expires, scopes=scopes, integration_id=integration.id
    )


async def exchange(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    *,
    integration_id: str,
    external_subject: str,
    email: str,
    name: str | None,
    role_hint: AccountRole,
) -> Exchange:
    """Map a partner's user to one EVCare user (created on first sight) and hand back a
    single-use session code for the browser.

    The role hint must be one the bundles allow. An email already used by another
    EVCare user is never linked silently: that is a 409 for an admin to decide."""
    if not principal.is_integration:
        raise Forbidden("Federated sign-in needs an integration token (client-token)")
    if principal.integration_id != integration_id:
        raise NotFound("Integration not found")
    integration = await repository.get_integration(session, integration_id)
    if integration is None:
        raise NotFound("Integration not found")
    if role_hint not in role_hints_of(integration.bundles):
        raise BundleForbidden(
            f"Role hint {role_hint} is not allowed by this integration's bundles",
            fields=[FieldError("roleHint", "not allowed by the integration's bundles")],
        )
    link = await repository.get_external_identity(session, integration.id, external_subject)
    created = link is None
    if link is None:
        if await users.email_taken(session, email):
            raise _email_taken()
        # A savepoint: a concurrent first exchange of the same subject (or email) loses
        # on the unique index and reads the winner's link instead. PostgreSQL only: on
        # SQLite a savepoint opens the transaction before its reads, and its first write
        # then fails its lock upgrade whenever anything else (the outbox) wrote meanwhile.
        guard = session.begin_nested() if is_postgresql(session) else contextlib.nullcontext()
        try:
            async with guard:
                _, user = await organizations.add_account(
                    session,
                    credentials,
                    integration.organization_id,
                    email=email,
                    name=name or email.partition("@")[0],
                    role=role_hint,
                )
                session.add(
                    ExternalIdentity(
                        integration_id=integration.id,
                        external_subject=external_subject,
                        user_id=user.id,
                        created_at=utcnow(),
                    )
                )
                await session.flush()
        except IntegrityError:
            link = await repository.get_external_identity(session, integration.id, external_subject)
            if link is None:
                raise _email_taken() from None
            created = False
    if link is not None:
        linked = await users.get_user(session, link.user_id)
        if linked is None:
            raise Conflict("The EVCare account linked to this subject was closed")
        user = linked
    member = await organizations.membership_of(session, user.id)
    role = AccountRole(member.role) if member is not None else role_hint
    if user.status != "active":
        raise Forbidden(f"Account is {user.status}")
    code = SESSION_CODE_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SessionCode(
            code_hash=hash_token(code),
            integration_id=integration.id,
            user_id=user.id,
            created_at=now,
            expires_at=now + SESSION_CODE_LIFETIME,
        )
    )
    await session.flush()
    await publish(
        session,
        "integrations.user_exchanged",
        {"integrationId": integration.id, "userId": user.id, "created": created},
    )
    return Exchange(
        session_code=code,
        expires_at=now + SESSION_CODE_LIFETIME,
        user=user,
        role=role,
        created=created,
    )


async def redeem_session_code(
    session: AsyncSession, credentials: Credentials, *, session_code: str
) -> Redemption:
    """A session code, once and before it expires, becomes the user's token pair."""
    invalid = SessionCodeInvalid("Session code is invalid, already used or expired")
    if not session_code.startswith(SESSION_CODE_PREFIX) or len(session_code) > 128:
        raise invalid
    code = await repository.claim_session_code(session, hash_token(session_code), now=utcnow())
    if code is None:
        raise invalid
    integration = await repository.get_integration(session, code.integration_id)
    user = await users.get_user(session, code.user_id)
    if integration is None or user is None:
        raise invalid
    _ensure_active(integration)
    tokens = await identity.start_delegated_session(
        session, credentials, user=user, integration_id=integration.id
    )
    member = await organizations.membership_of(session, user.id)
    role = AccountRole(member.role) if member is not None else AccountRole.CLIENT
    return Redemption(tokens=tokens, user=user, role=role)


async def revoke_token(session: AsyncSession, credentials: Credentials, *, token: str) -> None:
    """RFC 7009: the token's sign-in ends; an unknown or invalid token changes nothing."""
    if len(token) <= 4096:
        await identity.revoke_token(session, credentials, token=token)


# -- the per-request gate ------------------------------------------------------------------


async def authorize_call(
    session: AsyncSession,
    principal: Principal,
    *,
    required: tuple[str, ...],
    endpoint: str | None,
) -> Principal:
    """For a token obtained through an integration: the integration is live, its bundles
    grant every scope the route needs (else BUNDLE_FORBIDDEN), and, checked last, the
    route is on its allowlist (else ENDPOINT_NOT_ALLOWED). Returns the narrowed caller."""
    assert principal.integration_id is not None
    integration = await repository.get_integration(session, principal.integration_id)
    if integration is None:
        raise TokenRevoked("Token revoked: its integration no longer exists")
    _ensure_active(integration)
    narrowed = principal.scopes & scopes_of(integration.bundles)
    for scope in required:
        if scope in narrowed:
            continue
        # The caller's role could hold it: only the bundles stand in the way.
        if scope in scopes_for(principal.role):
            raise BundleForbidden(f"{scope} is not granted by this integration's bundles")
        raise Forbidden(f"{scope} scope required")
    if integration.allowed_endpoints and endpoint not in integration.allowed_endpoints:
        raise EndpointNotAllowed(f"{endpoint} is not on this integration's allowlist")
    return replace(principal, scopes=narrowed)


async def bundles_grant(session: AsyncSession, principal: Principal, scope: str) -> bool:
    """Whether the integration ``principal`` signed in through grants ``scope`` in its
    bundles: for a capability of the integration itself (the embed portal's
    ``EMBED:PORTAL``) that no user role holds, so :func:`authorize_call` cannot ask it."""
    if principal.integration_id is None:
        return False
    integration = await repository.get_integration(session, principal.integration_id)
    return integration is not None and scope in scopes_of(integration.bundles)


async def organization_of(session: AsyncSession, principal: Principal) -> tuple[str, bool]:
    """The caller's organization, and whether the caller may manage it and its accounts:
    an integration acts for its own organization; a person for the one they belong to."""
    if principal.is_integration and principal.integration_id is not None:
        integration = await repository.get_integration(session, principal.integration_id)
        if integration is None:
            raise TokenRevoked("Token revoked: its integration no longer exists")
        return integration.organization_id, True
    member = await organizations.membership_of(session, principal.user_id)
    if member is None:
        raise NotFound("You belong to no organization")
    return member.organization_id, member.role == AccountRole.ORGANIZATION_ADMIN


# -- internals -----------------------------------------------------------------------------


async def _new_secret(
    session: AsyncSession, integration: Integration, *, now: datetime, secret: str | None = None
) -> str:
    secret = secret or CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)
    session.add(
        IntegrationSecret(
            integration_id=integration.id,
            secret_hash=hash_generated_secret(secret),
            created_at=now,
        )
    )
    await session.flush()
    return secret


def _email_taken() -> Conflict:
    return Conflict(
        "This email already belongs to another EVCare account; an admin must link it explicitly",
        fields=[FieldError("email", "already used by another account")],
    )


def _ensure_active(integration: Integration) -> None:
    if integration.status != IntegrationStatus.ACTIVE:
        raise Forbidden("Integration is suspended")


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Admin role required")
