"""REST commands to chargers, turned into the OCPP call of the charger's protocol version.

``{command, connectorId?, params?}``: ``command`` is one of :data:`COMMANDS` (the seed's
short names ``Reset``/``Unlock`` and the OCPP names); ``connectorId`` fills the
connector/EVSE field of the call; ``params`` are extra fields of the OCPP payload in its
own camelCase, checked by the ``ocpp`` library's JSON schema before anything is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers import service as charging
from evcare.charging.chargers.models import Charger
from evcare.charging.chargers.port import ChargerCommands
from evcare.core.errors import FieldError, ValidationFailed
from evcare.identity.principal import Principal

Payload = dict[str, Any]
Builder = Callable[[int | None], Payload]

COMMAND_WAIT_SECONDS = 30.0


def _connector(connector: int | None) -> Payload:
    return {} if connector is None else {"connectorId": connector}


def _evse(connector: int | None) -> Payload:
    return {} if connector is None else {"evse": {"id": connector}}


@dataclass(frozen=True)
class Command:
    v16: tuple[str, Builder]
    v201: tuple[str, Builder]


def _id_token(params: Payload) -> Payload:
    return {"idToken": params.pop("idTag", None) or "", "type": "Central"}


COMMANDS: dict[str, Command] = {
    "Reset": Command(
        ("Reset", lambda c: {"type": "Soft"}), ("Reset", lambda c: {"type": "OnIdle"})
    ),
    "Unlock": Command(
        ("UnlockConnector", lambda c: {"connectorId": c or 1}),
        ("UnlockConnector", lambda c: {"evseId": c or 1, "connectorId": 1}),
    ),
    "RemoteStartTransaction": Command(
        ("RemoteStartTransaction", _connector),
        (
            "RequestStartTransaction",
            lambda c: (
                {"remoteStartId": secrets.randbelow(2**31 - 1) + 1}
                | ({} if c is None else {"evseId": c})
            ),
        ),
    ),
    "RemoteStopTransaction": Command(
        ("RemoteStopTransaction", lambda c: {}), ("RequestStopTransaction", lambda c: {})
    ),
    "ChangeAvailability": Command(
        ("ChangeAvailability", lambda c: {"connectorId": c or 0, "type": "Operative"}),
        ("ChangeAvailability", lambda c: {"operationalStatus": "Operative"} | _evse(c)),
    ),
    "TriggerMessage": Command(("TriggerMessage", _connector), ("TriggerMessage", _evse)),
    "ReserveNow": Command(
        ("ReserveNow", lambda c: {"connectorId": c or 0}),
        ("ReserveNow", lambda c: {} if c is None else {"evseId": c}),
    ),
    "CancelReservation": Command(
        ("CancelReservation", lambda c: {}), ("CancelReservation", lambda c: {})
    ),
    "SetChargingProfile": Command(
        ("SetChargingProfile", lambda c: {"connectorId": c or 0}),
        ("SetChargingProfile", lambda c: {"evseId": c or 0}),
    ),
    "GetConfiguration": Command(("GetConfiguration", lambda c: {}), ("GetVariables", lambda c: {})),
    "ChangeConfiguration": Command(
        ("ChangeConfiguration", lambda c: {}), ("SetVariables", lambda c: {})
    ),
}
ALIASES = {
    "UnlockConnector": "Unlock",
    "RequestStartTransaction": "RemoteStartTransaction",
    "RequestStopTransaction": "RemoteStopTransaction",
    "GetVariables": "GetConfiguration",
    "SetVariables": "ChangeConfiguration",
}
COMMAND_NAMES = sorted({*COMMANDS, *ALIASES})


def build(
    version: str, command: str, connector_id: int | None, params: Payload
) -> tuple[str, Payload]:
    """(OCPP action, payload) of ``command`` for a charger speaking ``version``."""
    spec = COMMANDS.get(ALIASES.get(command, command))
    if spec is None:
        raise ValidationFailed(
            f"Unknown command {command}",
            fields=[FieldError("command", f"must be one of {', '.join(COMMAND_NAMES)}")],
        )
    action, base = spec.v16 if version == "1.6" else spec.v201
    extra = dict(params)
    payload = base(connector_id)
    if (
        version != "1.6"
        and action in ("RequestStartTransaction", "ReserveNow")
        and "idToken" not in extra
    ):
        payload["idToken"] = _id_token(extra)
    return action, payload | extra


async def send_command(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    charger_id: str,
    command: str,
    connector_id: int | None,
    params: Payload,
) -> Payload:
    """Send a command to a charger the caller operates and return the charger's answer."""
    charger = await charging.get_managed_charger(session, principal, charger_id)
    version = registry.ocpp_version_of(charger.charge_point_id) or _version(charger)
    action, payload = build(version, command, connector_id, params)
    return await registry.call(
        charger.charge_point_id, action, payload, wait_seconds=COMMAND_WAIT_SECONDS
    )


async def change_availability(
    session: AsyncSession,
    principal: Principal,
    registry: ChargerCommands,
    *,
    charger_id: str,
    connector_id: int | None,
    operative: bool,
) -> Payload:
    """Make a charger (or one connector: ``connector_id``) Operative or Inoperative,
    in the field its protocol version names; the charger's answer."""
    charger = await charging.get_managed_charger(session, principal, charger_id)
    version = registry.ocpp_version_of(charger.charge_point_id) or _version(charger)
    state = "Operative" if operative else "Inoperative"
    params = {"type": state} if version == "1.6" else {"operationalStatus": state}
    action, payload = build(version, "ChangeAvailability", connector_id, params)
    return await registry.call(
        charger.charge_point_id, action, payload, wait_seconds=COMMAND_WAIT_SECONDS
    )


def _version(charger: Charger) -> str:
    protocol = charger.ocpp_protocol or "ocpp1.6"
    return "2.0.1" if protocol.endswith("2.0.1") else "1.6"
