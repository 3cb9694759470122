"""Charging events: topic names and payload builders (the contract with realtime fan-out).

Every event is published with :func:`evcare.core.events.publish` in the same transaction
as the change it announces (the OCPP handler's own short transaction, or the request's).
Payloads are JSON-ready dicts in EV-CMS casing. Ids are strings:

- ``sessionId``: the session's public id (``SES000012``); ``session["id"]`` is the bare
  key (``"12"``); both are accepted by ``/api/v1/sessions/:id`` and should be accepted by
  ``join-session`` (normalise with :func:`session_key`).
- ``userId``: the driver's user id (``None`` while the charger's id tag is unknown).
- ``ownerId``: the user id of the station owner (the brand), for its operator room.
- ``franchiseId``: the active franchise the station is handed to, or ``None``: its staff's
  room hears the event too.
- ``chargerId``: the charger's charge point id (the OCPP identity in ``/ocpp/<id>``).

Topics and payloads:

``charging.session_started``  ``{sessionId, userId, ownerId, franchiseId, chargerId, session}``
``charging.session_updated``  ``{sessionId, userId, ownerId, franchiseId, chargerId, status,
                                meterValue (Wh), power (kW), energyConsumed (kWh),
                                duration (minutes), estimatedCost, interrupted}``
``charging.session_stopped``  ``{sessionId, userId, ownerId, franchiseId, chargerId, session,
                                cdr}``
``charging.charger_status``   ``{chargerId, ownerId, franchiseId, status, connectors[]}``

``session`` is the EV-CMS Session object and ``cdr`` the CDR object, exactly as
``GET /api/v1/sessions/:id`` and ``/:id/cdr`` return them.
"""

from __future__ import annotations

from typing import Any

from evcare.core.ids import parse_public_id

SESSION_STARTED = "charging.session_started"
SESSION_UPDATED = "charging.session_updated"
SESSION_STOPPED = "charging.session_stopped"
CHARGER_STATUS = "charging.charger_status"

SESSION_ID_PREFIX = "SES"

Document = dict[str, Any]


def session_key(session_id: str | int) -> int:
    """The session's key from either of its ids (``SES000012``, ``12``); 404 otherwise."""
    return parse_public_id(SESSION_ID_PREFIX, session_id, what="Session")


def session_started(
    *, session: Document, owner_id: str | None, franchise_id: str | None = None
) -> Document:
    return {
        "sessionId": session["sessionId"],
        "userId": session["userId"],
        "ownerId": owner_id,
        "franchiseId": franchise_id,
        "chargerId": session["chargerId"],
        "session": session,
    }


def session_updated(
    *,
    session: Document,
    owner_id: str | None,
    meter_value_wh: int | None,
    power_kw: float | None,
    estimated_cost: float | int | None,
    interrupted: bool = False,
    franchise_id: str | None = None,
) -> Document:
    return {
        "sessionId": session["sessionId"],
        "userId": session["userId"],
        "ownerId": owner_id,
        "franchiseId": franchise_id,
        "chargerId": session["chargerId"],
        "status": session["status"],
        "meterValue": meter_value_wh,
        "power": power_kw,
        "energyConsumed": session.get("energyConsumed"),
        "duration": session.get("duration"),
        "estimatedCost": estimated_cost,
        "interrupted": interrupted,
    }


def session_stopped(
    *,
    session: Document,
    cdr: Document | None,
    owner_id: str | None,
    franchise_id: str | None = None,
) -> Document:
    return {
        "sessionId": session["sessionId"],
        "userId": session["userId"],
        "ownerId": owner_id,
        "franchiseId": franchise_id,
        "chargerId": session["chargerId"],
        "session": session,
        "cdr": cdr,
    }


def charger_status(
    *,
    charger_id: str,
    owner_id: str | None,
    status: str,
    connectors: list[Document],
    franchise_id: str | None = None,
) -> Document:
    return {
        "chargerId": charger_id,
        "ownerId": owner_id,
        "franchiseId": franchise_id,
        "status": status,
        "connectors": connectors,
    }
