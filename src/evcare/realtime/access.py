"""Who may watch a charging session live (``join-session``).

The same rule as ``GET /api/v1/sessions/:id``: the driver of the session, the owner of
the station its charger belongs to, or an admin. Anyone else is told the session does not
exist (NotFound), exactly as HTTP answers 404 for someone else's session.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.events import session_key
from evcare.charging.models import Charger, Station
from evcare.charging.sessions_models import ChargingSession
from evcare.core.errors import NotFound
from evcare.identity.principal import Principal

__all__ = ["session_key", "watchable_session"]


async def watchable_session(
    session: AsyncSession, principal: Principal, *, session_id: str | int
) -> int:
    """The session's key if ``principal`` may watch it; NotFound otherwise."""
    key = session_key(session_id)
    row = (
        await session.execute(
            select(ChargingSession.user_id, Station.owner_id)
            .join(Charger, Charger.id == ChargingSession.charger_id)
            .join(Station, Station.id == Charger.station_id)
            .where(ChargingSession.id == key)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"Session {session_id} not found")
    driver_id, owner_id = row
    if principal.is_admin or principal.user_id in (driver_id, owner_id):
        return key
    raise NotFound(f"Session {session_id} not found")
