"""Station rules: who may manage which station, its connectors, the nearby search.

Operators (brands, franchises) manage only the stations they operate and the chargers on
them (``repository.operated_stations``); someone else's is a 404. Admins manage
everything. Drivers read active, verified stations only: an operator's new station waits
for an admin's verification (``verify_station``); one an admin creates is verified at
once. A brand (or an admin) hands a station to one of the brand's franchises
(``franchiseId``, ``ownerType: "franchise"``) and takes it back; a franchise's staff
create stations for their franchise only.
Chargers' own rules are in :mod:`evcare.charging.chargers.service`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.franchises import service as franchises
from evcare.charging.stations import repository
from evcare.charging.stations.cards import StationCard
from evcare.charging.stations.models import Connector, ConnectorStatus, Station
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from evcare.core.ids import key_or_not_found
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as users
from evcare.identity.models import Role
from evcare.identity.principal import Principal, require_admin

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
    # Hand the station to this franchise of its brand; ``to_brand`` takes it back.
    franchise_id: int | None = None
    to_brand: bool = False


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


def stations_with_figures_for(principal: Principal) -> Select[int] | None:
    """The ids of the stations whose figures (revenue, invoices) ``principal`` may read:
    an operator's own, ``None`` (every station) for admins, none for anyone else."""
    return repository.readable_station_ids(principal)


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


@dataclass(frozen=True)
class Ownership:
    owner_id: int
    owner_type: str
    franchise_id: int | None = None


async def _ownership_of_new_station(
    session: AsyncSession, principal: Principal, owner_id: int | None, franchise_id: int | None
) -> Ownership:
    """A franchise's staff create for their franchise (the brand owns the station); other
    operators own what they create; an admin may create for a brand or franchise user. A
    brand's station may go to one of its franchises at once."""
    if principal.role == Role.FRANCHISE:
        franchise = await franchises.active_franchise_of_staff(session, principal.user_id)
        if franchise is not None:
            if franchise_id not in (None, franchise.id):
                raise Forbidden("Franchise staff create stations for their own franchise only")
            return Ownership(franchise.brand_id, Role.FRANCHISE, franchise.id)
    owner, owner_type = await _owner_for_new_station(session, principal, owner_id)
    if franchise_id is None:
        return Ownership(owner, owner_type)
    return Ownership(owner, Role.FRANCHISE, franchise_id)  # checked as it is handed over


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


def new_connector(draft: ConnectorDraft, *, connector_id: str) -> Connector:
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


def require_unique(values: list[Any], *, what: str, field_name: str) -> None:
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
    franchise_id: int | None = None,
) -> Station:
    """Create a station owned by the calling operator (or, for an admin, ``owner_id``),
    handed to ``franchise_id`` when given."""
    ownership = await _ownership_of_new_station(session, principal, owner_id, franchise_id)
    drafts = connectors or []
    require_unique(
        [d.connector_id for d in drafts], what="connectorId", field_name="connectors.connectorId"
    )
    station = Station(
        owner_id=ownership.owner_id,
        owner_type=ownership.owner_type,
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
        is_verified=principal.is_admin,
        verified_at=utcnow() if principal.is_admin else None,
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
        built.append(new_connector(draft, connector_id=connector_id))
    station.connectors = built
    session.add(station)
    await session.flush()
    if ownership.franchise_id is not None:
        await franchises.hand_station(session, station, ownership.franchise_id)
    return await get_station(session, principal, str(station.id))


async def managed_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> Station:
    """A station the caller may change: one they operate (operators) or any (admins)."""
    station = await get_station(session, principal, str(station_id))
    if not repository.operates(principal):
        raise NotFound(f"Station {station_id} not found")
    return station


async def _change_franchise(
    session: AsyncSession, principal: Principal, station: Station, changes: StationChanges
) -> None:
    wanted = changes.franchise_id
    if wanted is None and not changes.to_brand:
        return
    if principal.role == Role.FRANCHISE:
        raise Forbidden("Only the station's brand hands it to a franchise or takes it back")
    await franchises.hand_station(session, station, wanted)


async def update_station(
    session: AsyncSession, principal: Principal, station_id: str | int, *, changes: StationChanges
) -> Station:
    """Change a station's details or status (its owner or an admin)."""
    station = await managed_station(session, principal, station_id)
    await _change_franchise(session, principal, station, changes)
    for change in fields(changes):
        value = getattr(changes, change.name)
        if value is not None and change.name not in ("franchise_id", "to_brand"):
            setattr(station, change.name, value)
    station.updated_at = utcnow()
    await session.flush()
    return await get_station(session, principal, station.id)


async def delete_station(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> None:
    """Soft-delete a station (admins): it and its chargers disappear from every listing
    and search but can be restored."""
    station = await managed_station(session, principal, station_id)
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
    return await _reread(session, station)


async def _reread(session: AsyncSession, station: Station) -> Station:
    """The station as stored after a flush (its franchise is a column property, expired
    by the flush: reading it lazily would need a database round trip outside await)."""
    reread = await repository.get_station_any_state(session, station.id)
    assert reread is not None
    return reread


async def station_availability(
    session: AsyncSession, principal: Principal, station_id: str | int
) -> StationCard:
    """The station as a driver sees it now (``.available``: can any connector take a
    vehicle)."""
    return StationCard.of(await get_station(session, principal, station_id))


# -- administration ------------------------------------------------------------------------


async def list_every_station(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    status: str | None = None,
    verified: bool | None = None,
    deleted: bool | None = None,
    search: str | None = None,
) -> Page[Station]:
    """Every station, deleted ones too unless filtered (admins)."""
    require_admin(principal)
    return await repository.list_every_station(
        session, params, status=status, verified=verified, deleted=deleted, search=search
    )


async def verify_station(
    session: AsyncSession,
    principal: Principal,
    station_id: str | int,
    *,
    verified: bool,
    notes: str | None,
) -> Station:
    """Verify a station (drivers see it) or withdraw the verification (they no longer do)."""
    require_admin(principal)
    station = await managed_station(session, principal, station_id)
    now = utcnow()
    station.is_verified = verified
    station.verification_notes = notes
    station.verified_at = now if verified else None
    station.updated_at = now
    await session.flush()
    return await _reread(session, station)
