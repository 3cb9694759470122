"""What a live charging session page shows, for the operator console and the driver portal
alike: the session (the EV-CMS Session object) and its power so far, for the chart that
``live-session.js`` keeps moving with socket.io's ``session-update``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.sessions import control
from evcare.charging.sessions.records import session_document
from evcare.identity.principal import Principal


async def live_session(
    session: AsyncSession, principal: Principal, session_id: str | int
) -> dict[str, Any]:
    """The page's context: ``session`` (the document) and ``chart`` (JSON for the script)."""
    view = await control.get_session(session, principal, session_id)
    readings = await control.power_readings(session, principal, view.row.id)
    document = session_document(view)
    return {
        "session": document,
        "chart": {
            "sessionId": document["sessionId"],
            "status": document["status"],
            # uPlot's columns: seconds since the epoch, kW.
            "times": [at.timestamp() for at, _ in readings],
            "power": [round(watts / 1000, 3) for _, watts in readings],
        },
    }
