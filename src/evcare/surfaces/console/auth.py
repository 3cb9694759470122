"""Who is signed in to the console, and what each page requires of them.

The same check as the APIs' :class:`~evcare.surfaces.deps.Authenticator`, reading the
access token from the HttpOnly cookie instead of the ``Authorization`` header:
:func:`evcare.identity.service.authenticate` (revoked or blocked means refused now),
then the page's roles and scopes. An expired access token is rotated with the refresh
cookie (:func:`evcare.identity.service.refresh`), once, on the page that found it.

A page declares what it needs with an alias, e.g.
``AdminPage = Annotated[Principal, Depends(PageAuthenticator(roles={Role.ADMIN}))]``.
No cookie or a dead sign-in is :class:`~evcare.core.errors.Unauthorized` (the page
redirects to ``/sign-in``); the wrong role or a missing scope ``Forbidden`` (a 403 page).
A token a partner integration obtained is refused here: the embed portal
(``/v1/integrations/embed``) is the only page such a sign-in may open, and it checks the
integration's bundles and allowlist itself.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import Depends, Request

from evcare.core.errors import Forbidden, TokenExpired, Unauthorized
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.console.cookies import ACCESS_COOKIE, REFRESH_COOKIE, queue_tokens

# Where each role lands after signing in (and what the header links to).
HOME_OF_ROLE: dict[str, str] = {
    Role.ADMIN: "/admin/",
    Role.BRAND: "/console/",
    Role.FRANCHISE: "/console/",
    Role.USER: "/app/",
}
DEFAULT_HOME = "/developer-hub"


def home_of(role: str) -> str:
    return HOME_OF_ROLE.get(role, DEFAULT_HOME)


class PageAuthenticator:
    """Dependency: the signed-in principal, of one of ``roles`` (any, when empty) and
    holding every scope in ``scopes``."""

    def __init__(self, *scopes: Scope, roles: Collection[str] = ()) -> None:
        self.scopes = scopes
        self.roles = frozenset(roles)

    async def __call__(self, request: Request, session: SessionDep) -> Principal:
        principal = await signed_in(request, session)
        if principal.integration_id is not None:
            raise Forbidden("A partner's sign-in opens only the embed portal")
        if self.roles and principal.role not in self.roles:
            raise Forbidden("This page is not for your role")
        for scope in self.scopes:
            if not principal.has(scope):
                raise Forbidden(f"{scope} scope required")
        request.state.principal = principal
        return principal


async def signed_in(request: Request, session: SessionDep) -> Principal:
    """The principal of the request's cookies (rotating an expired access token once)."""
    runtime: Runtime = request.app.state.runtime
    credentials = runtime.credentials
    access = request.cookies.get(ACCESS_COOKIE)
    if not access:
        raise Unauthorized("Sign in to open this page")
    try:
        return await identity.authenticate(session, credentials, access_token=access)
    except TokenExpired:
        refresh_token = request.cookies.get(REFRESH_COOKIE)
        if not refresh_token:
            raise
    _, pair = await identity.refresh(
        session,
        credentials,
        refresh_token=refresh_token,
        access_lifetime=credentials.cms_access_lifetime,
    )
    queue_tokens(request, pair, refresh_lifetime=credentials.refresh_lifetime)
    return await identity.authenticate(session, credentials, access_token=pair.access_token)


async def optional_principal(request: Request, session: SessionDep) -> Principal | None:
    """The signed-in principal of a public page (the developer hub), or None."""
    if not request.cookies.get(ACCESS_COOKIE):
        return None
    try:
        principal = await signed_in(request, session)
    except Unauthorized:
        return None
    request.state.principal = principal
    return principal


SignedIn = Annotated[Principal, Depends(PageAuthenticator())]
MaybeSignedIn = Annotated[Principal | None, Depends(optional_principal)]
AdminPage = Annotated[Principal, Depends(PageAuthenticator(roles={Role.ADMIN}))]
OperatorPage = Annotated[
    Principal, Depends(PageAuthenticator(roles={Role.ADMIN, Role.BRAND, Role.FRANCHISE}))
]
DriverPage = Annotated[Principal, Depends(PageAuthenticator(roles={Role.USER}))]
