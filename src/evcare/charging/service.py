"""Station and charger rules: who may manage what, registration, OCPP credentials.

Operators (brands, franchises) manage only their own stations and the chargers on them;
someone else's is a 404. Admins manage everything. Drivers read active stations only.

What a charger's own OCPP messages change (status, heartbeats, power) is written by
:mod:`evcare.charging.chargers.ocpp_state`; this module is what people do through the APIs.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging import repository
from evcare.charging.models import (
    Charger,
    ChargerStatus,
    Connector,
    ConnectorStatus,
    Station,
)
from evcare.charging.stations.cards import StationCard, charger_blocks
from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from evcare.core.ids import key_or_not_found, parse_key
from evcare.core.pagination import Page, PageParams
from evcare.core.security import hash_generated_secret
from evcare.identity import repository as users
from evcare.identity.models import Role
from evcare.identity.principal import Principal

CHARGE_POINT_ID = re.compile(r"^[A-Za-z0-9._-]{1,48}$")
MAX_CONNECTORS = 24

NEARBY_DEFAULT_RADIUS_M = 5_000
NEARBY_MAX_RADIUS_M = 50_000
NEARBY_MAX_LIMIT = 50


@dataclass(frozen=True)
class ConnectorDraft:
    type: str
    power_kw: float
    base_price_minor: int = 0
    parking_fee_minor: int = 0
    reservation_fee_minor: int = 0
    currency: str = "INR"
    number: int | None = None  # OCPP connector number on a charger
    connector_id: str | None = None  # station view id ("1", "2", ...)


@dataclass(frozen=True)
class NearbyStation:
    station: StationCard
    distance_m: float


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


@dataclass
class StationChanges:
    """Fields to change on a station; ``None`` leaves a field as it is."""

    name: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    pincode: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    status: str | None = None
    amenities: list[str] | None = None
    opening_time: str | None = None
    closing_time: str | None = None
    images: list[str] | None = None


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


# -- stations ------------------------------------------------------------------------------


async def get_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> Station:
    """One station the caller may see (connectors loaded), or 404."""
    station = await repository.get_station(
        session, key_or_not_found(station_id, what="Station"), visible_to=principal
    )
    if station is None:
        raise NotFound(f"Station {station_id} not found")
    return station


async def list_stations(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    search: str | None = None,
    status: str | None = None,
    connector_type: str | None = None,
) -> Page[Station]:
    """Stations the caller may see, filtered by text, status and connector type."""
    return await repository.list_stations(
        session,
        params,
        visible_to=principal,
        search=search,
        status=status,
        connector_type=connector_type,
    )


async def find_nearby_stations(
    session: AsyncSession,
    principal: Principal,
    *,
    latitude: float,
    longitude: float,
    radius_m: float = NEARBY_DEFAULT_RADIUS_M,
    limit: int = NEARBY_MAX_LIMIT,
) -> list[NearbyStation]:
    """The caller's readable stations within ``radius_m`` (at most 50 km), nearest first,
    at most ``limit`` (at most 50), each with its great-circle distance in metres."""
    found = await repository.nearby_stations(
        session,
        latitude=latitude,
        longitude=longitude,
        radius_m=min(radius_m, NEARBY_MAX_RADIUS_M),
        limit=min(limit, NEARBY_MAX_LIMIT),
        visible_to=principal,
    )
    return [NearbyStation(station=station, distance_m=metres) for station, metres in found]


async def _owner_for_new_station(
    session: AsyncSession, principal: Principal, owner_id: int | None
) -> tuple[int, str]:
    """Operators own what they create; an admin may create for a brand or franchise."""
    if not principal.is_admin or owner_id is None or owner_id == principal.user_id:
        return principal.user_id, principal.role
    owner = await users.get_user(session, owner_id)
    if owner is None or owner.role not in (Role.BRAND, Role.FRANCHISE):
        raise ValidationFailed(
            "ownerId must name a brand or franchise user",
            fields=[FieldError("ownerId", "not a brand or franchise user")],
        )
    return owner.id, owner.role


def _new_connector(draft: ConnectorDraft, *, connector_id: str) -> Connector:
    return Connector(
        connector_id=connector_id,
        connector_number=draft.number,
        type=draft.type,
        power_kw=draft.power_kw,
        status=ConnectorStatus.AVAILABLE,
        base_price_minor=draft.base_price_minor,
        parking_fee_minor=draft.parking_fee_minor,
        reservation_fee_minor=draft.reservation_fee_minor,
        currency=draft.currency,
    )


def _unique(values: list[Any], *, what: str, field_name: str) -> None:
    present = [value for value in values if value is not None]
    if len(present) != len(set(present)):
        raise ValidationFailed(
            f"Duplicate {what}", fields=[FieldError(field_name, f"each {what} must be unique")]
        )


async def create_station(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    address: str,
    latitude: float,
    longitude: float,
    city: str = "",
    state: str = "",
    pincode: str = "",
    status: str = "active",
    amenities: list[str] | None = None,
    opening_time: str = "00:00",
    closing_time: str = "23:59",
    images: list[str] | None = None,
    connectors: list[ConnectorDraft] | None = None,
    owner_id: int | None = None,
) -> Station:
    """Create a station owned by the calling operator (or, for an admin, ``owner_id``)."""
    owner, owner_type = await _owner_for_new_station(session, principal, owner_id)
    drafts = connectors or []
    _unique(
        [d.connector_id for d in drafts], what="connectorId", field_name="connectors.connectorId"
    )
    station = Station(
        owner_id=owner,
        owner_type=owner_type,
        name=name,
        address=address,
        city=city,
        state=state,
        pincode=pincode,
        latitude=latitude,
        longitude=longitude,
        status=status,
        amenities=list(amenities or []),
        opening_time=opening_time,
        closing_time=closing_time,
        images=list(images or []),
    )
    taken = {d.connector_id for d in drafts if d.connector_id}
    counter = 0
    built: list[Connector] = []
    for draft in drafts:
        connector_id = draft.connector_id
        while connector_id is None:
            counter += 1
            if str(counter) not in taken:
                connector_id = str(counter)
        built.append(_new_connector(draft, connector_id=connector_id))
    station.connectors = built
    session.add(station)
    await session.flush()
    return await get_station(session, principal, str(station.id))


async def _managed_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> Station:
    """A station the caller may change: their own (operators) or any (admins)."""
    station = await get_station(session, principal, str(station_id))
    if not (principal.is_admin or station.owner_id == principal.user_id):
        raise NotFound(f"Station {station_id} not found")
    return station


async def update_station(
    session: AsyncSession, principal: Principal, station_id: str | int, *, changes: StationChanges
) -> Station:
    """Change a station's details or status (its owner or an admin)."""
    station = await _managed_station(session, principal, station_id)
    for change in fields(changes):
        value = getattr(changes, change.name)
        if value is not None:
            setattr(station, change.name, value)
    station.updated_at = utcnow()
    await session.flush()
    return station


async def delete_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> None:
    """Soft-delete a station (admins): it and its chargers disappear from every listing
    and search but can be restored."""
    station = await _managed_station(session, principal, station_id)
    station.deleted_at = utcnow()
    await session.flush()


async def restore_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> Station:
    """Bring back a soft-deleted station (admins)."""
    station = await repository.get_station_any_state(
        session, key_or_not_found(station_id, what="Station")
    )
    if station is None or not principal.is_admin:
        raise NotFound(f"Station {station_id} not found")
    station.deleted_at = None
    await session.flush()
    return station


async def station_availability(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> StationCard:
    """The station as a driver sees it now (``.available``: can any connector take a
    vehicle)."""
    return StationCard.of(await get_station(session, principal, station_id))


# -- chargers ------------------------------------------------------------------------------


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
    """A charger the caller may operate (command, update, archive): the station's owner
    or an admin; anyone else gets 404."""
    charger = await get_charger(session, principal, charger_id)
    if not (principal.is_admin or charger.station.owner_id == principal.user_id):
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
    station = await _managed_station(session, principal, station_id)
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
    _unique(numbers, what="connectorId", field_name="connectors.connectorId")
    station_ids = await repository.next_station_connector_ids(session, station.id, len(drafts))
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
        connector = _new_connector(draft, connector_id=connector_id)
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


async def maintenance_history(
    session: AsyncSession, principal: Principal, charger_id: str
) -> list[dict[str, Any]]:
    """Maintenance records of a charger the caller may see. The maintenance context has
    no records yet, so the history of every charger is empty."""
    await get_charger(session, principal, charger_id)
    return []
