"""What every surface's routes depend on: the session, the caller, the runtime.

Routes declare the scopes they need through typed aliases built from
:class:`Authenticator`, e.g. ``AdminsWrite = Annotated[Principal, Depends(Authenticator(
Scope.WRITE_ADMINS))]``. A missing or bad token is a 401; a missing scope a 403.

A token obtained through a partner integration (its client-credentials token, or a
token of a user it signed in) is also bounded by that integration, on every surface:
its bundles (``403 BUNDLE_FORBIDDEN``) and, last, its allowlist of ``METHOD
/path/template`` (``403 ENDPOINT_NOT_ALLOWED``), read per request. A call that passes is
metered for the integration's usage (in memory; :mod:`evcare.integrations.metering`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from evcare.core.errors import Forbidden, Unauthorized
from evcare.core.ratelimit import client_ip
from evcare.core.runtime import Runtime
from evcare.core.security import Credentials
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import metering
from evcare.integrations import service as integrations

_bearer = HTTPBearer(auto_error=False, description="Access token from any EVCare surface")


# ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread, a thread
# round trip per request for a look-up.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def origin_of(request: Request, runtime: Runtime) -> str:
    """Where clients reach us (upload URLs are built on it): the configured public URL,
    else the request's own."""
    if runtime.settings.public_url:
        return runtime.settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}"


async def get_credentials(runtime: RuntimeDep) -> Credentials:
    return runtime.credentials


CredentialsDep = Annotated[Credentials, Depends(get_credentials)]


def get_sign_in(request: Request, runtime: RuntimeDep) -> identity.SignInAttempt:
    """Who is trying to sign in from where, checked against the shared brute-force guard."""
    ip = client_ip(request.scope, trust_forwarded_for=runtime.settings.trust_forwarded_for)
    return identity.SignInAttempt(guard=runtime.sign_in_guard, client_ip=ip)


SignInDep = Annotated[identity.SignInAttempt, Depends(get_sign_in)]


class Authenticator:
    """Dependency: the authenticated principal, holding every scope in ``scopes``."""

    def __init__(self, *scopes: Scope) -> None:
        self.scopes = scopes

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        if bearer is None or bearer.scheme.lower() != "bearer" or not bearer.credentials:
            raise Unauthorized("Not authenticated: send Authorization: Bearer <access_token>")
        # The runtime straight from the request: every authenticated route runs this, and
        # each dependency FastAPI resolves on the way costs more than the look-up.
        runtime: Runtime = request.app.state.runtime
        principal = await identity.authenticate(
            session, runtime.credentials, access_token=bearer.credentials
        )
        if principal.integration_id is not None:
            endpoint = endpoint_of(request)
            allowed = await integrations.authorize_call(
                session, principal, required=self.scopes, endpoint=endpoint
            )
            _meter(request, runtime, allowed.integration_id, endpoint)
            return allowed
        for scope in self.scopes:
            if not principal.has(scope):
                raise Forbidden(f"{scope} scope required")
        return principal


Authenticated = Annotated[Principal, Depends(Authenticator())]


def _meter(
    request: Request, runtime: Runtime, integration_id: str | None, endpoint: str | None
) -> None:
    """Count the call for the integration's usage, once per request, in memory only."""
    if integration_id is None or endpoint is None or getattr(request.state, "metered", False):
        return
    request.state.metered = True
    metering.meter_of(runtime).count(integration_id, endpoint)


def endpoint_of(request: Request) -> str | None:
    """``METHOD /full/path/template`` of the route being served (mounts included), as
    the route catalog the app installed on each surface names it."""
    catalog = getattr(request.app.state, "catalog", None)
    template = None if catalog is None else catalog.template_of(request.scope.get("route"))
    return None if template is None else f"{request.method} {template}"
