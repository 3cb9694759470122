"""The charger's side of a booking: OCPP ``ReserveNow`` holds the connector for the
booking's window, ``CancelReservation`` releases it. The reservation id is the booking's
key; the id tag is the driver's app token, the one a remote start sends, so the booked
driver's start is the one the charger lets through."""

from __future__ import annotations

import logging

from evcare.charging.bookings.models import ConnectorBooking
from evcare.charging.chargers import commands
from evcare.charging.chargers.models import Charger
from evcare.charging.chargers.port import ChargerCommands
from evcare.charging.sessions.id_tags import app_token
from evcare.charging.stations.models import Connector
from evcare.core.clock import as_utc
from evcare.core.errors import DomainError

log = logging.getLogger("evcare.bookings")

RESERVATION_WAIT_SECONDS = 15.0


def _version(registry: ChargerCommands, charger: Charger) -> str:
    known = registry.ocpp_version_of(charger.charge_point_id)
    if known is not None:
        return known
    return "2.0.1" if (charger.ocpp_protocol or "").endswith("2.0.1") else "1.6"


def _when(booking: ConnectorBooking) -> str:
    return as_utc(booking.ends_at).isoformat().replace("+00:00", "Z")


async def reserve(
    registry: ChargerCommands,
    *,
    secret: str,
    booking: ConnectorBooking,
    charger: Charger,
    connector: Connector,
) -> str | None:
    """Send ReserveNow; the charger's status (``Accepted``, ``Occupied``, ...), or None
    when the charger is not connected or did not answer (try again later)."""
    version = _version(registry, charger)
    token = app_token(secret, user_id=booking.user_id)
    if version == "1.6":
        params = {"expiryDate": _when(booking), "idTag": token, "reservationId": booking.id}
    else:
        params = {"id": booking.id, "expiryDateTime": _when(booking), "idTag": token}
    action, payload = commands.build(version, "ReserveNow", connector.connector_number, params)
    return await _send(registry, charger, action, payload)


async def cancel(
    registry: ChargerCommands, *, booking: ConnectorBooking, charger: Charger
) -> str | None:
    """Send CancelReservation; the charger's status, or None when it was not reached."""
    version = _version(registry, charger)
    action, payload = commands.build(
        version, "CancelReservation", None, {"reservationId": booking.id}
    )
    return await _send(registry, charger, action, payload)


async def _send(
    registry: ChargerCommands, charger: Charger, action: str, payload: dict[str, object]
) -> str | None:
    try:
        answer = await registry.call(
            charger.charge_point_id, action, payload, wait_seconds=RESERVATION_WAIT_SECONDS
        )
    except (DomainError, TimeoutError) as error:
        log.info("%s to %s not delivered (%s)", action, charger.charge_point_id, error)
        return None
    status = answer.get("status")
    return status if isinstance(status, str) else None
