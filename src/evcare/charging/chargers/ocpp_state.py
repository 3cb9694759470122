"""What a charger's own OCPP messages change on its charger and connector rows.

Called by the OCPP endpoint, one short transaction per message (the caller commits);
its queries are in :mod:`evcare.charging.chargers.repository` like every other charger query.
The charger is the actor here, so there is no principal: the connection was
authenticated with the charger's own password (security profile 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import events
from evcare.charging.chargers import repository
from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.charging.franchises import repository as franchise_repository
from evcare.charging.stations.models import Connector, ConnectorStatus
from evcare.core.clock import utcnow
from evcare.core.events import publish_many
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


@dataclass(frozen=True)
class Connected:
    """A charger's WebSocket was accepted with this OCPP subprotocol."""

    charger: ChargerRef
    protocol: str


@dataclass(frozen=True)
class Boot:
    """A BootNotification: what the charger says it is."""

    charger: ChargerRef
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None


@dataclass(frozen=True)
class StatusReport:
    """A StatusNotification: connector 0 is the charger itself (1.6)."""

    charger: ChargerRef
    connector_number: int
    status: str
    error_code: str | None
    reported_at: datetime | None


async def record_connected(session: AsyncSession, charger: ChargerRef, *, protocol: str) -> None:
    await record_connections(session, [Connected(charger, protocol)])


async def record_connections(session: AsyncSession, connected: list[Connected]) -> list[None]:
    """Chargers now connected: Online, with their protocol, announced. Set-based: one
    SELECT of the chargers, one of their connectors, one flush."""
    rows, connectors = await _load(session, [c.charger for c in connected])
    now = utcnow()
    for item in connected:
        row = rows[item.charger.id]
        row.ocpp_protocol = item.protocol
        row.status = _heard(row.status)
        row.last_heartbeat_at = now
    await _announce_all(session, [(c.charger, rows[c.charger.id]) for c in connected], connectors)
    return [None] * len(connected)


async def record_disconnected(session: AsyncSession, charger: ChargerRef) -> None:
    """The charger's socket closed: Offline. Its sessions stay open until it says otherwise."""
    row = await _charger(session, charger)
    if row.status != ChargerStatus.MAINTENANCE:  # stays out of service until completed
        row.status = ChargerStatus.OFFLINE
    row.current_power_w = 0
    await repository.record_connectors_offline(session, charger.id, at=utcnow())
    await _announce(session, charger, row)


async def in_maintenance(session: AsyncSession, charger: ChargerRef) -> bool:
    """Whether the charger is out of service for maintenance (so that, booting or back
    online, it is told Inoperative again: it may have missed the command while away)."""
    status = await session.scalar(select(Charger.status).where(Charger.id == charger.id))
    return status == ChargerStatus.MAINTENANCE


async def record_boot(
    session: AsyncSession,
    charger: ChargerRef,
    *,
    vendor: str | None,
    model: str | None,
    serial_number: str | None,
    firmware_version: str | None,
) -> None:
    await record_boots(session, [Boot(charger, vendor, model, serial_number, firmware_version)])


async def record_boots(session: AsyncSession, boots: list[Boot]) -> list[None]:
    """BootNotifications of many chargers, set-based like :func:`record_connections`."""
    rows, connectors = await _load(session, [b.charger for b in boots])
    now = utcnow()
    for boot in boots:
        row = rows[boot.charger.id]
        if boot.vendor:
            row.manufacturer = boot.vendor[:100]
        if boot.model:
            row.model = boot.model[:100]
        if boot.serial_number:
            row.serial_number = boot.serial_number[:100]
        if boot.firmware_version:
            row.firmware_version = boot.firmware_version[:100]
        row.status = _heard(row.status)
        row.last_heartbeat_at = now
    await _announce_all(session, [(b.charger, rows[b.charger.id]) for b in boots], connectors)
    return [None] * len(boots)


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
    report = StatusReport(charger, connector_number, status, error_code, reported_at)
    await record_statuses(session, [report])


async def record_statuses(session: AsyncSession, reports: list[StatusReport]) -> list[None]:
    """StatusNotifications of many chargers, set-based like :func:`record_connections`."""
    rows, connectors = await _load(session, [r.charger for r in reports])
    now = utcnow()
    for report in reports:
        row = rows[report.charger.id]
        status = _STATUS_201.get(report.status, report.status)
        if report.connector_number == 0:
            if row.status != ChargerStatus.MAINTENANCE:  # only completing the work ends it
                row.status = ChargerStatus.FAULTED if status == "Faulted" else ChargerStatus.ONLINE
        else:
            for connector in connectors.get(row.id, []):
                if connector.connector_number == report.connector_number:
                    connector.status = status
                    error = report.error_code
                    connector.error_code = None if error in (None, "NoError") else error[:50]
                    connector.status_at = report.reported_at or now
                    # Every report is kept (a repeated status too: after a reconnect it
                    # ends the connector's offline spell in the history).
                    repository.record_status_change(
                        session, connector, at=min(connector.status_at, now)
                    )
            if row.status in (ChargerStatus.FAULTED, ChargerStatus.OFFLINE) and (
                status != "Faulted"
            ):
                # A charger reporting its connectors is talking to us: it is online.
                row.status = ChargerStatus.ONLINE
        row.last_heartbeat_at = now
    await _announce_all(session, [(r.charger, rows[r.charger.id]) for r in reports], connectors)
    return [None] * len(reports)


def _heard(status: str) -> str:
    """The charger status once it is heard from: Online, unless its operator took it out
    of service for maintenance (only completing the work gives it back)."""
    return status if status == ChargerStatus.MAINTENANCE else ChargerStatus.ONLINE


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
    _, connectors = await _load(session, [charger], rows=False)
    await _announce_all(session, [(charger, row)], connectors)


async def _load(
    session: AsyncSession, chargers: list[ChargerRef], *, rows: bool = True
) -> tuple[dict[int, Charger], dict[int, list[Connector]]]:
    """The chargers' rows (by id) and their connectors (by charger id, in number order)."""
    ids = sorted({charger.id for charger in chargers})
    loaded = {row.id: row for row in await repository.charger_rows(session, ids)} if rows else {}
    connectors: dict[int, list[Connector]] = {}
    for connector in await repository.connectors_of_chargers(session, ids):
        connectors.setdefault(connector.charger_id or 0, []).append(connector)
    return loaded, connectors


async def _announce_all(
    session: AsyncSession,
    changed: list[tuple[ChargerRef, Charger]],
    connectors: dict[int, list[Connector]],
) -> None:
    """One ``charger_status`` event per charger (its status and connectors), one flush;
    the franchise of each charger's station, if any, is read in one query."""
    franchises = await franchise_repository.active_franchises_of_stations(
        session, {charger.station_id for charger, _ in changed}
    )
    await publish_many(
        session,
        [
            (
                events.CHARGER_STATUS,
                events.charger_status(
                    charger_id=charger.charge_point_id,
                    owner_id=str(charger.owner_id),
                    franchise_id=_text(franchises.get(charger.station_id)),
                    status=row.status,
                    connectors=[_connector_doc(c) for c in connectors.get(charger.id, [])],
                ),
            )
            for charger, row in changed
        ],
    )


def _text(key: int | None) -> str | None:
    return None if key is None else str(key)


def _connector_doc(connector: Connector) -> dict[str, Any]:
    return {
        "connectorId": connector.connector_number,
        "type": connector.type,
        "power": connector.power_kw,
        "status": connector.status,
    }
