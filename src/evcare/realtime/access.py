"""Who may watch a charging session live (``join-session``).

The same rule as ``GET /api/v1/sessions/:id``, by the same service call: the driver of
the session, the owner of the station its charger belongs to, or an admin. Anyone else is
told the session does not exist (NotFound), exactly as HTTP answers 404.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.events import session_key
from evcare.charging.sessions import control as sessions
from evcare.identity.principal import Principal

__all__ = ["session_key", "watchable_session"]


async def watchable_session(
    session: AsyncSession, principal: Principal, *, session_id: str | int
) -> int:
    """The session's key if ``principal`` may watch it; NotFound otherwise."""
    await sessions.get_session(session, principal, str(session_id))
    return session_key(session_id)
