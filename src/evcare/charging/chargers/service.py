"""Charger rules: who may manage which charger, registration, OCPP credentials.

Operators (brands, franchises) manage only the chargers on their own stations; someone
else's is a 404. Admins manage everything.

What a charger's own OCPP messages change (status, heartbeats, power) is written by
:mod:`evcare.charging.chargers.ocpp_state`; this module is what people do through the APIs.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.chargers import repository
from evcare.charging.chargers.models import Charger, ChargerStatus
from evcare.charging.stations.cards import charger_blocks
from evcare.charging.stations.models import Connector, ConnectorStatus
from evcare.charging.stations.repository import next_station_connector_ids, operates
from evcare.charging.stations.service import (
    MAX_CONNECTORS,
    ConnectorDraft,
    get_station,
    managed_station,
    new_connector,
    require_unique,
)
from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from evcare.core.ids import key_or_not_found, parse_key
from evcare.core.pagination import Page, PageParams
from evcare.core.security import hash_generated_secret
from evcare.identity.principal import Principal

CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9._-]{1,48}$")


@dataclass(frozen=True)
class RegisteredCharger:
    """A new charger and its OCPP password: the only time the password is ever known."""

    charger: Charger
    ocpp_password: str


@dataclass(frozen=True)
class ChargerStats:
    total: int
    online: int
    offline: int
    faulted: int
    utilization: float  # percent of connectors in use


# -- rendering rules (domain statuses seen from each side) ---------------------------------

_CHARGER_VIEW = {
    ConnectorStatus.AVAILABLE: "Available",
    ConnectorStatus.FAULTED: "Faulted",
    ConnectorStatus.UNAVAILABLE: "Unavailable",
    ConnectorStatus.RESERVED: "Unavailable",
}


def charger_connector_status(connector: Connector, charger: Charger) -> str:
    """Available | Charging | Faulted | Unavailable, as the charger view shows it."""
    forced = charger_blocks(charger.status, archived=charger.is_archived)
    if forced is not None:
        return forced.capitalize()
    return _CHARGER_VIEW.get(ConnectorStatus(connector.status), "Charging")


async def get_charger(session: AsyncSession, principal: Principal, charger_id: str) -> Charger:
    """A charger by its key (``12``) or its charge point id (``EVC-DEMO-001``), or 404.
    Archived chargers are visible to their operator and admins only."""
    text = str(charger_id)
    key = parse_key(text)
    charger = None
    if key is not None:
        charger = await repository.get_charger(session, key, visible_to=principal)
    if charger is None and CHARGE_POINT_ID.match(text):
        charger = await repository.get_charger(session, charge_point_id=text, visible_to=principal)
    if charger is None:
        raise NotFound(f"Charger {charger_id} not found")
    return charger


async def get_managed_charger(
    session: AsyncSession, principal: Principal, charger_id: str
) -> Charger:
    """A charger the caller may operate (command, update, archive): the station's
    operators or an admin; anyone else gets 404."""
    charger = await get_charger(session, principal, charger_id)
    if not operates(principal):
        raise NotFound(f"Charger {charger_id} not found")
    return charger


async def list_chargers(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    station_id: str | int | None = None,
    status: str | None = None,
    manufacturer: str | None = None,
) -> Page[Charger]:
    """Chargers the caller may see (archived ones left out), filtered."""
    station_key = None if station_id is None else parse_key(station_id)
    if station_id is not None and station_key is None:
        return Page(items=[], total=0, params=params)
    return await repository.list_chargers(
        session,
        params,
        visible_to=principal,
        station_id=station_key,
        status=status,
        manufacturer=manufacturer,
    )


async def charger_stats(
    session: AsyncSession, principal: Principal, *, station_id: str | int | None = None
) -> ChargerStats:
    """Counts of the caller's chargers by status, and the share of connectors in use."""
    if station_id is not None:
        await get_station(session, principal, station_id)
    counts = await repository.charger_counts(
        session,
        visible_to=principal,
        station_id=None if station_id is None else key_or_not_found(station_id, what="Station"),
    )
    utilization = (
        round(100 * counts.connectors_in_use / counts.connectors, 2) if counts.connectors else 0.0
    )
    return ChargerStats(
        total=counts.total,
        online=counts.online,
        offline=counts.offline,
        faulted=counts.faulted,
        utilization=utilization,
    )


def new_ocpp_password() -> str:
    """A random basic-auth password (32 characters, within OCPP's 16..40)."""
    return secrets.token_urlsafe(24)


async def register_charger(
    session: AsyncSession,
    principal: Principal,
    *,
    charge_point_id: str,
    name: str,
    station_id: str | int,
    manufacturer: str,
    model: str,
    serial_number: str | None = None,
    firmware_version: str | None = None,
    connectors: list[ConnectorDraft] | None = None,
    ocpp_password: str | None = None,
) -> RegisteredCharger:
    """Register a charger at one of the caller's stations. Its OCPP password is generated
    (or given, for demo data), stored hashed (:func:`hash_generated_secret`), and
    returned this once only.
    Charge point ids are unique, case-insensitively."""
    if not CHARGE_POINT_ID.match(charge_point_id):
        raise ValidationFailed(
            "Invalid chargerId",
            fields=[FieldError("chargerId", "1-48 characters of A-Z a-z 0-9 . _ -")],
        )
    station = await managed_station(session, principal, station_id)
    if await repository.charge_point_id_taken(session, charge_point_id):
        raise Conflict(
            f"Charger {charge_point_id} already exists",
            fields=[FieldError("chargerId", "already registered")],
        )
    drafts = connectors or []
    if len(drafts) > MAX_CONNECTORS:
        raise ValidationFailed(
            "Too many connectors", fields=[FieldError("connectors", f"at most {MAX_CONNECTORS}")]
        )
    numbers = [d.number or index + 1 for index, d in enumerate(drafts)]
    require_unique(numbers, what="connectorId", field_name="connectors.connectorId")
    station_ids = await next_station_connector_ids(session, station.id, len(drafts))
    password = ocpp_password or new_ocpp_password()
    charger = Charger(
        charge_point_id=charge_point_id,
        name=name,
        station_id=station.id,
        manufacturer=manufacturer,
        model=model,
        serial_number=serial_number,
        firmware_version=firmware_version,
        status=ChargerStatus.OFFLINE,
        password_hash=hash_generated_secret(password),
    )
    session.add(charger)
    await session.flush()
    for draft, number, connector_id in zip(drafts, numbers, station_ids, strict=True):
        connector = new_connector(draft, connector_id=connector_id)
        connector.connector_number = number
        connector.station_id = station.id
        connector.charger_id = charger.id
        session.add(connector)
    await session.flush()
    loaded = await get_charger(session, principal, str(charger.id))
    return RegisteredCharger(charger=loaded, ocpp_password=password)


async def rotate_charger_password(
    session: AsyncSession, principal: Principal, charger_id: str
) -> RegisteredCharger:
    """Give a charger a new OCPP password (the old one stops working at once); returned
    this once only."""
    charger = await get_managed_charger(session, principal, charger_id)
    password = new_ocpp_password()
    charger.password_hash = hash_generated_secret(password)
    await session.flush()
    return RegisteredCharger(charger=charger, ocpp_password=password)


async def update_charger(
    session: AsyncSession,
    principal: Principal,
    charger_id: str,
    *,
    name: str | None = None,
    status: str | None = None,
    manufacturer: str | None = None,
    model: str | None = None,
) -> Charger:
    """Rename a charger, fix its make, or set its status (e.g. Maintenance)."""
    charger = await get_managed_charger(session, principal, charger_id)
    if name is not None:
        charger.name = name
    if status is not None:
        charger.status = status
    if manufacturer is not None:
        charger.manufacturer = manufacturer
    if model is not None:
        charger.model = model
    charger.updated_at = utcnow()
    await session.flush()
    return charger


async def archive_charger(session: AsyncSession, principal: Principal, charger_id: str) -> None:
    """Take a charger out of service and out of listings; it refuses OCPP connections
    until restored. Archiving twice changes nothing."""
    charger = await get_managed_charger(session, principal, charger_id)
    if charger.archived_at is None:
        charger.archived_at = utcnow()
    await session.flush()


async def restore_charger(session: AsyncSession, principal: Principal, charger_id: str) -> None:
    """Bring an archived charger back (admins)."""
    charger = await get_managed_charger(session, principal, charger_id)
    charger.archived_at = None
    await session.flush()
