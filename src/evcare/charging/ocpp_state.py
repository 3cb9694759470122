"""What a charger's own OCPP messages change on its charger and connector rows.

Called by the OCPP endpoint, one short transaction per message (the caller commits).
The charger is the actor here, so there is no principal: the connection was
authenticated with the charger's own password (security profile 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events
from evcare.charging.models import Charger, ChargerStatus, Connector, ConnectorStatus, Station
from evcare.core.clock import utcnow
from evcare.core.events import publish
from evcare.core.security import Passwords

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
    row = (
        await session.execute(
            select(Charger, Station.owner_id)
            .join(Station, Station.id == Charger.station_id)
            .where(Charger.charge_point_id == charge_point_id)
            .where(Charger.archived_at.is_(None))
            .where(Station.deleted_at.is_(None))
        )
    ).one_or_none()
    if row is None:
        return None
    charger, owner_id = row
    ref = ChargerRef(charger.id, charger.charge_point_id, charger.station_id, owner_id)
    return ref, charger.password_hash


def password_matches(passwords: Passwords, password_hash: str, password: str) -> bool:
    """Constant-time check of a charger's Basic-auth password (Argon2id hash)."""
    return passwords.verify(password_hash, password)


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
    """One UPDATE while the charger is not marked Offline (every heartbeat but the first
    after an Offline mark); an Offline one is marked Online and announced."""
    touched = await session.execute(
        update(Charger)
        .where(Charger.id == charger.id)
        .where(Charger.status != ChargerStatus.OFFLINE)
        .values(last_heartbeat_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], touched).rowcount:
        return
    row = await _charger(session, charger)
    row.last_heartbeat_at = utcnow()
    if row.status == ChargerStatus.OFFLINE:
        row.status = ChargerStatus.ONLINE
        await _announce(session, charger, row)


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
        connector = await session.scalar(
            select(Connector)
            .where(Connector.charger_id == charger.id)
            .where(Connector.connector_number == connector_number)
        )
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
    """The charger's live power (one UPDATE: this runs on every meter reading)."""
    await session.execute(
        update(Charger).where(Charger.id == charger.id).values(current_power_w=max(power_w, 0))
    )


async def connector_price(
    session: AsyncSession, charger: ChargerRef, *, connector_number: int
) -> tuple[int, int, str]:
    """(energy price per kWh, parking fee, currency) of the connector; 0 when unknown."""
    connector = await session.scalar(
        select(Connector)
        .where(Connector.charger_id == charger.id)
        .where(Connector.connector_number == connector_number)
    )
    if connector is None:
        connector = await session.scalar(
            select(Connector).where(Connector.charger_id == charger.id).order_by(Connector.id)
        )
    if connector is None:
        return 0, 0, "INR"
    return connector.base_price_minor, connector.parking_fee_minor, connector.currency


async def _charger(session: AsyncSession, charger: ChargerRef) -> Charger:
    return (await session.scalars(select(Charger).where(Charger.id == charger.id))).one()


async def _announce(session: AsyncSession, charger: ChargerRef, row: Charger) -> None:
    connectors = (
        await session.scalars(
            select(Connector)
            .where(Connector.charger_id == charger.id)
            .order_by(Connector.connector_number)
        )
    ).all()
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
