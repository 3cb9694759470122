"""What a charger's own OCPP messages change on its charger and connector rows.

Called by the OCPP endpoint, one short transaction per message (the caller commits);
its queries are in :mod:`evcare.charging.repository` like every other charging query.
The charger is the actor here, so there is no principal: the connection was
authenticated with the charger's own password (security profile 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events, repository
from evcare.charging.models import Charger, ChargerStatus, Connector, ConnectorStatus
from evcare.core.clock import utcnow
from evcare.core.events import publish
from evcare.core.security import (
    GENERATED_SECRET_SCHEME,
    Passwords,
    generated_secret_matches,
    hash_generated_secret,
)

# 2.0.1 connector states mapped onto the 1.6 vocabulary the charger rows keep.
_STATUS_201 = {"Occupied": ConnectorStatus.OCCUPIED}


@dataclass(frozen=True)
class ChargerRef:
    """The few facts about a connected charger that every handler needs."""

    id: int
    charge_point_id: str
    station_id: int
    owner_id: int


async def find_charger_for_login(
    session: AsyncSession, *, charge_point_id: str
) -> tuple[ChargerRef, str] | None:
    """The live (not archived) charger with this charge point id, and its password hash."""
    found = await repository.live_charger_for_login(session, charge_point_id)
    if found is None:
        return None
    charger, owner_id = found
    ref = ChargerRef(charger.id, charger.charge_point_id, charger.station_id, owner_id)
    return ref, charger.password_hash


def password_is_hashed_slowly(password_hash: str) -> bool:
    """Whether the hash is an Argon2id one (chargers registered before OCPP passwords
    were stored as :func:`hash_generated_secret`): checked on a thread, then upgraded."""
    return not password_hash.startswith(GENERATED_SECRET_SCHEME)


def password_matches(passwords: Passwords, password_hash: str, password: str) -> bool:
    """Constant-time check of a charger's Basic-auth password against its stored hash."""
    if password_is_hashed_slowly(password_hash):
        return passwords.verify(password_hash, password)
    return generated_secret_matches(password_hash, password)


async def upgrade_password_hash(
    session: AsyncSession, charger: ChargerRef, *, old_hash: str, password: str
) -> None:
    """Store a verified password in the generated-secret form, unless the password was
    rotated meanwhile (the old hash no longer matches)."""
    await repository.replace_password_hash(
        session, charger.id, old_hash=old_hash, new_hash=hash_generated_secret(password)
    )


async def record_connected(session: AsyncSession, charger: ChargerRef, *, protocol: str) -> None:
    row = await _charger(session, charger)
    row.ocpp_protocol = protocol
    row.status = ChargerStatus.ONLINE
    row.last_heartbeat_at = utcnow()
    await _announce(session, charger, row)


async def record_disconnected(session: AsyncSession, charger: ChargerRef) -> None:
    """The charger's socket closed: Offline. Its sessions stay open until it says otherwise."""
    row = await _charger(session, charger)
    row.status = ChargerStatus.OFFLINE
    row.current_power_w = 0
    await _announce(session, charger, row)


async def record_boot(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    vendor: str | None,
    model: str | None,
    serial_number: str | None,
    firmware_version: str | None,
) -> None:
    row = await _charger(session, charger)
    if vendor:
        row.manufacturer = vendor[:100]
    if model:
        row.model = model[:100]
    if serial_number:
        row.serial_number = serial_number[:100]
    if firmware_version:
        row.firmware_version = firmware_version[:100]
    row.status = ChargerStatus.ONLINE
    row.last_heartbeat_at = utcnow()
    await _announce(session, charger, row)


async def record_heartbeat(session: AsyncSession, charger: ChargerRef) -> None:
    await record_heartbeats(session, [charger])


async def record_heartbeats(session: AsyncSession, heard: list[ChargerRef]) -> list[None]:
    """Heartbeats of many chargers: one UPDATE for all that are not marked Offline (every
    heartbeat but the first after an Offline mark); an Offline one is marked Online and
    announced. One ``None`` per charger (what the writer gives each caller)."""
    at = utcnow()
    touched = await repository.touch_heartbeats_unless_offline(
        session, [charger.id for charger in heard], at=at, offline=ChargerStatus.OFFLINE
    )
    for charger in heard:
        if charger.id in touched:
            continue
        row = await _charger(session, charger)
        row.last_heartbeat_at = at
        if row.status == ChargerStatus.OFFLINE:
            row.status = ChargerStatus.ONLINE
            await _announce(session, charger, row)
    return [None] * len(heard)


async def record_status(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    connector_number: int,
    status: str,
    error_code: str | None,
    reported_at: datetime | None,
) -> None:
    """A StatusNotification: connector 0 is the charger itself (1.6)."""
    row = await _charger(session, charger)
    status = _STATUS_201.get(status, status)
    if connector_number == 0:
        row.status = ChargerStatus.FAULTED if status == "Faulted" else ChargerStatus.ONLINE
    else:
        connector = await repository.charger_connector(session, charger.id, connector_number)
        if connector is not None:
            connector.status = status
            connector.error_code = None if error_code in (None, "NoError") else error_code[:50]
            connector.status_at = reported_at or utcnow()
        if row.status in (ChargerStatus.FAULTED, ChargerStatus.OFFLINE) and status != "Faulted":
            # A charger reporting its connectors is talking to us: it is online.
            row.status = ChargerStatus.ONLINE
    row.last_heartbeat_at = utcnow()
    await _announce(session, charger, row)


async def record_power(session: AsyncSession, charger: ChargerRef, *, power_w: int) -> None:
    await record_powers(session, {charger.id: power_w})


async def record_powers(session: AsyncSession, power_w: dict[int, int]) -> None:
    """Chargers' live power by charger id (one UPDATE for all: this runs on every meter
    reading)."""
    await repository.set_chargers_power(
        session, {charger_id: max(watts, 0) for charger_id, watts in power_w.items()}
    )


async def connector_price(
    session: AsyncSession, charger: ChargerRef, *, connector_number: int
) -> tuple[int, int, str]:
    """(energy price per kWh, parking fee, currency) of the connector; 0 when unknown."""
    connector = await repository.charger_connector(session, charger.id, connector_number)
    if connector is None:
        connector = await repository.first_charger_connector(session, charger.id)
    if connector is None:
        return 0, 0, "INR"
    return connector.base_price_minor, connector.parking_fee_minor, connector.currency


async def _charger(session: AsyncSession, charger: ChargerRef) -> Charger:
    return await repository.charger_row(session, charger.id)


async def _announce(session: AsyncSession, charger: ChargerRef, row: Charger) -> None:
    connectors = await repository.charger_connectors(session, charger.id)
    await publish(
        session,
        events.CHARGER_STATUS,
        events.charger_status(
            charger_id=charger.charge_point_id,
            owner_id=str(charger.owner_id),
            status=row.status,
            connectors=[_connector_doc(connector) for connector in connectors],
        ),
    )


def _connector_doc(connector: Connector) -> dict[str, Any]:
    return {
        "connectorId": connector.connector_number,
        "type": connector.type,
        "power": connector.power_kw,
        "status": connector.status,
    }
