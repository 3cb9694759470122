"""The hosted embed portal (``GET /v1/integrations/embed?sessionCode=...``, HUB.md): a
partner's user lands signed in, and sees only what the partner's integration lets them
reach.

The partner's backend exchanges its user for a session code
(``POST /v1/integrations/auth/exchange``) and sends the browser here with it. The code is
redeemed exactly as ``POST /v1/integrations/auth/session`` redeems it
(:func:`integrations.redeem_session_code`: once, within 120 s), its tokens go into the
console's HttpOnly cookies, and the browser is redirected to the bare URL so the code
leaves the address bar and the history.

The portal needs the integration's bundles to grant ``EMBED:PORTAL`` (ALL_ACCESS), and
its landing is the user's profile, the answer of ``GET /api/v1/auth/me``; every further
section is the answer of one EV-CMS route and is shown only when that route passes the
integration's gate (:func:`integrations.authorize_call`: status, bundles, then the
allowlist), with the scopes the route itself declares (read from the route catalog, so
they cannot drift).
A section the allowlist leaves out is not shown; the portal never reaches past the API.
The portal is a top-level page (the console's policy forbids framing, so another site
cannot overlay it); a partner links or redirects to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from evcare.charging.sessions import control
from evcare.core.errors import BundleForbidden, Forbidden
from evcare.core.pagination import PageParams
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import service as integrations
from evcare.support import service as support
from evcare.surfaces.catalog import RouteCatalog
from evcare.surfaces.cms.sessions import sessions_out
from evcare.surfaces.cms.vehicles import VehicleOut
from evcare.surfaces.console.auth import signed_in
from evcare.surfaces.console.cookies import queue_sign_in
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.vehicles import service as vehicles

router = APIRouter(prefix="/integrations", route_class=ConsoleRoute, include_in_schema=False)

PORTAL_PATH = "/v1/integrations/embed"
PROFILE_ENDPOINT = "GET /api/v1/auth/me"
VEHICLES_ENDPOINT = "GET /api/v1/profile/vehicles"
SESSIONS_ENDPOINT = "GET /api/v1/sessions"
TICKETS_ENDPOINT = "GET /api/v1/support/tickets"
RECENT = PageParams(page=1, limit=10)


@dataclass(frozen=True)
class Gate:
    catalog: RouteCatalog
    principal: Principal

    async def allows(self, session: AsyncSession, endpoint: str) -> Principal | None:
        """The caller narrowed to the integration when ``endpoint`` passes its gate."""
        try:
            return await integrations.authorize_call(
                session,
                self.principal,
                required=tuple(_scopes_of(self.catalog, endpoint)),
                endpoint=endpoint,
            )
        except Forbidden:
            return None


def _scopes_of(catalog: RouteCatalog, key: str) -> frozenset[str]:
    for endpoint in catalog.endpoints:
        if endpoint.key == key and endpoint.scopes is not None:
            return endpoint.scopes
    raise LookupError(f"{key} is not an authenticated route")  # a renamed route: a bug here


async def _enter(session: AsyncSession, request: Request, principal: Principal) -> Principal:
    """The portal's own gate: a partner's user, EMBED:PORTAL granted, the profile allowed."""
    if principal.integration_id is None:
        raise Forbidden("The embed portal is for a partner platform's users")
    catalog: RouteCatalog = request.app.state.catalog
    entered = await integrations.authorize_call(
        session,
        principal,
        required=tuple(_scopes_of(catalog, PROFILE_ENDPOINT)),
        endpoint=PROFILE_ENDPOINT,
    )
    if not await integrations.bundles_grant(session, principal, Scope.EMBED_PORTAL):
        raise BundleForbidden(f"{Scope.EMBED_PORTAL} is not granted by this integration's bundles")
    return entered


@router.get("/embed")
async def embed_portal(
    request: Request,
    session: SessionDep,
    session_code: Annotated[str | None, Query(alias="sessionCode", max_length=128)] = None,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    if session_code is not None:
        redemption = await integrations.redeem_session_code(
            session, runtime.credentials, session_code=session_code
        )
        principal = await identity.authenticate(
            session, runtime.credentials, access_token=redemption.tokens.access_token
        )
        # Refused here, the redemption rolls back with the request: the code stays unspent.
        await _enter(session, request, principal)
        queue_sign_in(
            request, redemption.tokens, refresh_lifetime=runtime.credentials.refresh_lifetime
        )
        return RedirectResponse(PORTAL_PATH, status_code=303)
    principal = await _enter(session, request, await signed_in(request, session))
    request.state.principal = principal
    return render(request, "embed.html", await _sections(session, request, principal))


async def _sections(
    session: AsyncSession, request: Request, principal: Principal
) -> dict[str, Any]:
    gate = Gate(request.app.state.catalog, principal)
    user = await identity.get_me(session, principal)
    context: dict[str, Any] = {
        "title": "Your EVCare",
        "user": user,
        "vehicles": None,
        "sessions": None,
        "tickets": None,
    }
    if (caller := await gate.allows(session, VEHICLES_ENDPOINT)) is not None:
        rows = await vehicles.list_vehicle_summaries(session, caller)
        context["vehicles"] = [VehicleOut.of(row) for row in rows]
    if (caller := await gate.allows(session, SESSIONS_ENDPOINT)) is not None:
        page = await control.list_sessions(session, caller, RECENT, status=None)
        context["sessions"] = sessions_out(page.items)
    if (caller := await gate.allows(session, TICKETS_ENDPOINT)) is not None:
        tickets, _ = await support.list_tickets(session, caller, RECENT, status=None, priority=None)
        context["tickets"] = [view.ticket for view in tickets.items]
    return context
