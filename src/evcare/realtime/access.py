"""Who may use socket.io, and who may watch a charging session live (``join-session``).

A socket speaks for the account its token names, checked as HTTP checks it. A token
obtained through a partner integration is bounded by that integration here too: what a
socket receives (the live events of the user's charging sessions) is what
``GET /api/v1/sessions/{session_id}`` answers over HTTP, so the socket needs that route's
scopes in the integration's bundles and, when the integration has an allowlist, that
entry on it (:data:`SOCKET_ENDPOINT`); checked on authenticate, on every join and on every
re-check, so an allowlist narrowed later closes live sockets too.

Watching a session follows the same rule as ``GET /api/v1/sessions/:id``, by the same
service call: the driver of the session, the owner of the station its charger belongs to,
or an admin. Anyone else is told the session does not exist (NotFound), exactly as HTTP
answers 404.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.events import session_key
from evcare.charging.franchises import repository as franchises
from evcare.charging.sessions import control as sessions
from evcare.core.security import ACCESS_COOKIE, Credentials
from evcare.identity import service as identity
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import service as integrations
from evcare.realtime import rooms

__all__ = [
    "SOCKET_ENDPOINT",
    "cookie_token",
    "session_key",
    "socket_principal",
    "socket_rooms",
    "watchable_session",
]

# The HTTP route whose answers a socket streams: a partner's allowlist names it to let its
# users' sockets in.
SOCKET_ENDPOINT = "GET /api/v1/sessions/{session_id}"


def cookie_token(environ: dict[str, Any]) -> str | None:
    """The web console's access-token cookie of a handshake from one of this server's own
    pages (no ``Origin``, or one naming this host), else None: a page elsewhere cannot
    borrow a console sign-in, even where CORS lets it connect."""
    origin = environ.get("HTTP_ORIGIN")
    if origin and urlsplit(origin).netloc != environ.get("HTTP_HOST"):
        return None
    try:
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = cookies.get(ACCESS_COOKIE)
    return morsel.value if morsel is not None and morsel.value else None


async def socket_principal(
    session: AsyncSession, credentials: Credentials, *, access_token: str
) -> Principal:
    """The socket's caller; a partner's token also within its integration's bounds."""
    principal = await identity.authenticate(session, credentials, access_token=access_token)
    if principal.integration_id is None:
        return principal
    return await integrations.authorize_call(
        session, principal, required=(Scope.READ_SESSIONS,), endpoint=SOCKET_ENDPOINT
    )


async def socket_rooms(session: AsyncSession, principal: Principal) -> list[str]:
    """The rooms ``principal``'s socket joins: franchise staff also the room of the active
    franchise they work for (the live events of its stations, ``operated_stations``' rule:
    a suspended franchise's staff hear none, and the events say which franchise holds a
    station when they happen)."""
    franchise_id = None
    if principal.role == Role.FRANCHISE:
        found = await franchises.active_franchise_of_staff(session, principal.user_id)
        franchise_id = None if found is None else found.id
    return rooms.for_principal(principal, franchise_id=franchise_id)


async def watchable_session(
    session: AsyncSession, principal: Principal, *, session_id: str | int
) -> int:
    """The session's key if ``principal`` may watch it; NotFound otherwise."""
    await sessions.get_session(session, principal, str(session_id))
    return session_key(session_id)
