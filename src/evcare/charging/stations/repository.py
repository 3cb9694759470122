"""Every query on stations and connectors, with who-may-see-what in one place.

Visibility (``readable``): admins see every live station; brands and franchises only the
stations they operate (any status); everyone else (drivers) only active stations an admin
has verified. Soft-deleted stations are invisible unless asked for, and so are the
chargers on them.

Who operates a station (``operated_stations``), the one rule every station, charger,
session and pricing route obeys: a brand the stations it owns (those it handed to its
franchises included); a franchise's staff the stations handed to their franchise while the
franchise is active (and any it owns itself), nothing else of the brand. An operator who
can see a station operates it (``operates``); a driver operates nothing.
Whose figures an operator may read (analytics, dashboards) is
:func:`readable_station_ids`, from the same rule.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from evcare.charging.chargers.models import Charger
from evcare.charging.franchises.models import (
    Franchise,
    FranchiseStaff,
    FranchiseStation,
    FranchiseStatus,
)
from evcare.charging.stations.cards import ConnectorCard, StationCard
from evcare.charging.stations.models import (
    Connector,
    Station,
    StationStatus,
    lat_band_of,
)
from evcare.core.ids import parse_key
from evcare.core.pagination import Page, PageParams
from evcare.identity.models import Role
from evcare.identity.principal import Principal

RowT = TypeVar("RowT")

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180

OPERATOR_ROLES = frozenset({Role.BRAND, Role.FRANCHISE})


# -- visibility ----------------------------------------------------------------------------


def is_operator(principal: Principal) -> bool:
    return principal.role in OPERATOR_ROLES


def operates(principal: Principal) -> bool:
    """Whether a station (or charger) the caller can see is one they operate: admins and
    operators see only what they operate (:func:`readable_stations`), drivers operate
    nothing."""
    return principal.is_admin or is_operator(principal)


def readable_stations(principal: Principal) -> ColumnElement[bool]:
    """Which live stations ``principal`` may see."""
    return _readable(_visibility(principal), principal.user_id)


def operated_stations(principal: Principal) -> ColumnElement[bool] | None:
    """Which stations, deleted ones included, ``principal`` operates (``None``: all of
    them, for admins; a driver operates none)."""
    visibility = _visibility(principal)
    if visibility == "all":
        return None
    if visibility == "active":
        return false()
    return _operated(visibility, principal.user_id)


def _visibility(principal: Principal) -> str:
    if principal.is_admin:
        return "all"
    if principal.role == Role.FRANCHISE:
        return "franchise"
    return "own" if is_operator(principal) else "active"


def _operated(visibility: str, user_id: int | BindParameter[int]) -> ColumnElement[bool]:
    owned = Station.owner_id == user_id
    if visibility == "own":
        return owned
    handed_to_my_franchise = (
        select(FranchiseStation.station_id)
        .join(FranchiseStaff, FranchiseStaff.franchise_id == FranchiseStation.franchise_id)
        .join(Franchise, Franchise.id == FranchiseStation.franchise_id)
        .where(FranchiseStaff.user_id == user_id, Franchise.status == FranchiseStatus.ACTIVE)
    )
    return or_(owned, Station.id.in_(handed_to_my_franchise))


def _readable(visibility: str, user_id: int | BindParameter[int]) -> ColumnElement[bool]:
    """Live stations; then all of them (admins), the operated ones (operators) or active
    ones."""
    live = Station.deleted_at.is_(None)
    if visibility == "all":
        return live
    if visibility == "active":
        return and_(live, Station.status == StationStatus.ACTIVE, Station.is_verified.is_(True))
    return and_(live, _operated(visibility, user_id))


def readable_station_ids(principal: Principal) -> Select[int] | None:
    """The stations whose figures ``principal`` may read (analytics, dashboards), deleted
    ones included (what happened at a station stays in its figures): ``None`` for admins
    (every station), the stations an operator operates (a franchise's staff: their
    franchise's), and no station for anyone else."""
    operated = operated_stations(principal)
    if operated is None:
        return None
    return select(Station.id).where(operated)


def _station_with_connectors() -> Select[Station]:
    # populate_existing: a station changed earlier in this unit of work is re-read whole.
    return (
        select(Station)
        .options(selectinload(Station.connectors).selectinload(Connector.charger))
        .execution_options(populate_existing=True)
    )


async def page_of(
    session: AsyncSession, query: Select[RowT], *, total: int, params: PageParams
) -> Page[RowT]:
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return Page(items=list(rows.all()), total=total, params=params)


# -- stations ------------------------------------------------------------------------------


async def get_station(
    session: AsyncSession, station_id: int, *, visible_to: Principal
) -> Station | None:
    query = (
        _station_with_connectors()
        .where(Station.id == station_id)
        .where(readable_stations(visible_to))
    )
    return (await session.scalars(query)).one_or_none()


async def get_station_any_state(session: AsyncSession, station_id: int) -> Station | None:
    """A station whatever its state, deleted included (for restore)."""
    query = _station_with_connectors().where(Station.id == station_id)
    return (await session.scalars(query)).one_or_none()


async def list_stations(
    session: AsyncSession,
    params: PageParams,
    *,
    visible_to: Principal,
    search: str | None = None,
    status: str | None = None,
    connector_type: str | None = None,
) -> Page[Station]:
    condition = readable_stations(visible_to)
    if status:
        condition = and_(condition, Station.status == status)
    if search:
        condition = and_(condition, _matching(search))
    if connector_type:
        condition = and_(
            condition,
            exists().where(Connector.station_id == Station.id, Connector.type == connector_type),
        )
    total = await session.scalar(select(func.count(Station.id)).where(condition)) or 0
    query = _station_with_connectors().where(condition).order_by(Station.id)
    return await page_of(session, query, total=total, params=params)


def _matching(search: str) -> ColumnElement[bool]:
    pattern = f"%{search.lower()}%"
    return or_(
        func.lower(Station.name).like(pattern),
        func.lower(Station.address).like(pattern),
        func.lower(Station.city).like(pattern),
        Station.pincode.like(pattern),
    )


async def list_every_station(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None = None,
    verified: bool | None = None,
    deleted: bool | None = None,
    search: str | None = None,
) -> Page[Station]:
    """Every station, soft-deleted ones too (the admins' list); ``deleted`` True: only
    deleted ones, False: only live ones."""
    conditions: list[ColumnElement[bool]] = []
    if status:
        conditions.append(Station.status == status)
    if verified is not None:
        conditions.append(Station.is_verified.is_(verified))
    if deleted is not None:
        conditions.append(
            Station.deleted_at.is_not(None) if deleted else Station.deleted_at.is_(None)
        )
    if search:
        conditions.append(_matching(search))
    total = await session.scalar(select(func.count(Station.id)).where(*conditions)) or 0
    query = _station_with_connectors().where(*conditions).order_by(Station.id)
    return await page_of(session, query, total=total, params=params)


@dataclass(frozen=True)
class BoundingBox:
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float

    @classmethod
    def around(cls, latitude: float, longitude: float, radius_m: float) -> BoundingBox:
        """The smallest lat/lng box that holds every point within ``radius_m``."""
        dlat = radius_m / METRES_PER_DEGREE
        cos_lat = math.cos(math.radians(latitude))
        # Near a pole every longitude is close: take the whole circle.
        dlng = 180.0 if cos_lat < 1e-6 else min(180.0, dlat / cos_lat)
        return cls(
            min_lat=max(-90.0, latitude - dlat),
            max_lat=min(90.0, latitude + dlat),
            min_lng=longitude - dlng,
            max_lng=longitude + dlng,
        )

    @property
    def wraps(self) -> bool:
        """Whether the box crosses the ±180° meridian."""
        return self.min_lng < -180.0 or self.max_lng > 180.0

    def parameters(self) -> dict[str, Any]:
        """The values of the nearby statement's box test: the latitude bands it touches
        (the geo index's leading column, one seek each), the latitude range, and the
        longitude range (across ±180°: the two pieces on either side)."""
        if self.min_lng < -180.0:
            lng_lo, lng_hi = self.min_lng + 360.0, self.max_lng
        elif self.max_lng > 180.0:
            lng_lo, lng_hi = self.min_lng, self.max_lng - 360.0
        else:
            lng_lo, lng_hi = self.min_lng, self.max_lng
        return {
            "bands": list(range(lat_band_of(self.min_lat), lat_band_of(self.max_lat) + 1)),
            "lat_lo": self.min_lat,
            "lat_hi": self.max_lat,
            "lng_lo": lng_lo,
            "lng_hi": lng_hi,
        }


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


# The SQL ranks candidates by a flat-earth (equirectangular) distance, which needs only
# arithmetic and so runs the same on SQLite and PostgreSQL; within 50 km it differs from
# the great-circle distance by well under 1 %. We fetch a few more than asked and rank
# the survivors by the exact haversine distance, so the answer is exact.
_RANK_SLACK = 1.01
_EXTRA_CANDIDATES = 16


# Searches start at half the radius and then cover all of it: where stations are dense
# the nearest ``limit`` are found in the smaller circle, so the index range scanned stays
# small; elsewhere one more statement covers the whole radius. (A quarter and fourfold
# was measured too: the dense case gains less than the extra statements cost elsewhere,
# p95 11.5 against 8.7 ms on the benchmark's data.)
_FIRST_RING_SHARE = 1 / 2
_RING_GROWTH = 2


async def nearby_stations(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    limit: int,
    visible_to: Principal,
) -> list[tuple[StationCard, float]]:
    """The nearest readable stations within ``radius_m`` and their distance in metres,
    nearest first, as cards (connectors and their chargers' states included)."""
    ring = radius_m * _FIRST_RING_SHARE
    while True:
        ring = min(ring, radius_m)
        found = await _stations_within(
            session,
            latitude=latitude,
            longitude=longitude,
            radius_m=ring,
            limit=limit,
            visible_to=visible_to,
        )
        # Everything within ``ring`` is nearer than anything outside it: done when full.
        if len(found) >= limit or ring >= radius_m:
            return found
        ring *= _RING_GROWTH


def _float(name: str) -> BindParameter[float]:
    return bindparam(name, type_=Float())


@functools.cache
def _nearest_statement(visibility: str, wraps: bool) -> Select[int, float, float]:
    """Up to ``cap`` readable stations nearest to (``lat0``, ``lng0``) within the box,
    ranked by flat-earth distance (at most ``flat_max``), from the geo index alone.

    Built once per shape and executed with parameters: building and keying a statement
    of this size costs more than SQLite takes to run it."""
    longitude = Station.longitude
    unwrapped: ColumnElement[float] = longitude.expression
    in_box: ColumnElement[bool] = longitude.between(_float("lng_lo"), _float("lng_hi"))
    if wraps:
        # Across ±180° the box is two pieces, and a station's longitude is shifted by
        # 360° where that makes the difference to lng0 the short way round.
        in_box = or_(longitude >= _float("lng_lo"), longitude <= _float("lng_hi"))
        unwrapped = case(
            (longitude < _float("lng0") - 180.0, longitude + 360.0),
            (longitude > _float("lng0") + 180.0, longitude - 360.0),
            else_=longitude,
        )
    dy = (Station.latitude - _float("lat0")) * _float("metres_per_lat")
    dx = (unwrapped - _float("lng0")) * _float("metres_per_lng")
    flat_sq = dx * dx + dy * dy
    return (
        select(Station.id, Station.latitude, Station.longitude)
        .where(
            Station.lat_band.in_(bindparam("bands", expanding=True, type_=Integer())),
            Station.latitude.between(_float("lat_lo"), _float("lat_hi")),
            in_box,
        )
        .where(_readable(visibility, bindparam("owner_id", type_=Integer())))
        .where(flat_sq <= _float("flat_max"))
        .order_by(flat_sq)
        .limit(bindparam("cap", type_=Integer()))
    )


def _nearest_parameters(
    latitude: float, longitude: float, radius_m: float, limit: int, visible_to: Principal
) -> tuple[Select[int, float, float], dict[str, Any]]:
    box = BoundingBox.around(latitude, longitude, radius_m)
    parameters = {
        **box.parameters(),
        "lat0": latitude,
        "lng0": longitude,
        "metres_per_lat": METRES_PER_DEGREE,
        "metres_per_lng": METRES_PER_DEGREE * math.cos(math.radians(latitude)),
        "flat_max": (radius_m * _RANK_SLACK) ** 2,
        "owner_id": visible_to.user_id,
        "cap": limit + _EXTRA_CANDIDATES,
    }
    return _nearest_statement(_visibility(visible_to), box.wraps), parameters


def _by_distance(
    latitude: float, longitude: float, radius_m: float, points: Sequence[tuple[int, float, float]]
) -> list[tuple[int, float]]:
    """(id, metres) of the points within ``radius_m`` by exact distance, nearest first."""
    ranked = sorted(
        ((key, haversine_m(latitude, longitude, lat, lng)) for key, lat, lng in points),
        key=lambda item: (item[1], item[0]),
    )
    return [(key, metres) for key, metres in ranked if metres <= radius_m]


# The columns a station card is made of, then its connectors' and their chargers'.
_CARD_STATION = (
    Station.id,
    Station.name,
    Station.address,
    Station.latitude,
    Station.longitude,
    Station.city,
    Station.state,
    Station.pincode,
    Station.status,
    Station.rating,
    Station.total_reviews,
    type_coerce(Station.amenities, String),  # JSON text, decoded once per station
    Station.opening_time,
    Station.closing_time,
    type_coerce(Station.images, String),
    Station.owner_id,
    Station.owner_type,
    Station.franchise_id,
    Station.created_at,
)
_CARD_CONNECTOR = (
    Connector.id,
    Connector.connector_id,
    Connector.type,
    Connector.power_kw,
    Connector.status,
    Connector.base_price_minor,
    Connector.parking_fee_minor,
    Connector.reservation_fee_minor,
    Connector.currency,
    Charger.status,
    Charger.archived_at,
)
_N_STATION = len(_CARD_STATION)
_JSON_FIELDS = (11, 14)  # amenities, images


def _station_card(values: Sequence[Any]) -> StationCard:
    """A card (no connectors yet) from the ``_CARD_STATION`` part of a row."""
    fields: list[Any] = list(values)
    for index in _JSON_FIELDS:
        value = fields[index]
        # SQLite hands back the JSON text; asyncpg's json codec has already decoded it.
        fields[index] = json.loads(value) if isinstance(value, str) else (value or [])
    fields.append([])  # connectors
    return StationCard(*fields)


@functools.cache
def _cards_statement(nearest: Select[int, float, float]) -> Select[*tuple[Any, ...]]:
    """The card columns of the stations ``nearest`` finds, connector by connector."""
    candidates = nearest.cte()
    return (
        select(*_CARD_STATION, *_CARD_CONNECTOR)
        .select_from(candidates)
        .join(Station, Station.id == candidates.c.id)
        .outerjoin(Connector, Connector.station_id == Station.id)
        .outerjoin(Charger, Charger.id == Connector.charger_id)
        .order_by(Station.id, Connector.id)
    )


def _connector_card(values: Sequence[Any]) -> ConnectorCard:
    """A card from the ``_CARD_CONNECTOR`` part of a row."""
    (_, connector_id, kind, power_kw, status, price, parking, reservation, currency) = values[:9]
    charger_status, charger_archived_at = values[9:]
    return ConnectorCard(
        connector_id=connector_id,
        type=kind,
        power_kw=power_kw,
        status=status,
        base_price_minor=price,
        parking_fee_minor=parking,
        reservation_fee_minor=reservation,
        currency=currency,
        charger_status=charger_status,
        charger_archived=charger_archived_at is not None,
    )


async def _stations_within(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    limit: int,
    visible_to: Principal,
) -> list[tuple[StationCard, float]]:
    """One statement: the nearest candidates joined to their stations, connectors and
    chargers; ranked exactly here."""
    candidates, parameters = _nearest_parameters(latitude, longitude, radius_m, limit, visible_to)
    query = _cards_statement(candidates)
    rows = (await session.execute(query, parameters)).all()
    cards: dict[int, StationCard] = {}
    for row in rows:
        card = cards.get(row[0])
        if card is None:
            card = cards[row[0]] = _station_card(row[:_N_STATION])
        if row[_N_STATION] is not None:
            card.connectors.append(_connector_card(row[_N_STATION:]))
    points = [(key, card.latitude, card.longitude) for key, card in cards.items()]
    nearest = _by_distance(latitude, longitude, radius_m, points)[:limit]
    return [(cards[key], metres) for key, metres in nearest]


async def nearest_station_ids(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    radius_m: float,
    limit: int,
    visible_to: Principal,
) -> list[tuple[int, float]]:
    """(station id, metres) of up to ``limit`` nearest readable stations within
    ``radius_m``, from the geo index alone."""
    query, parameters = _nearest_parameters(latitude, longitude, radius_m, limit, visible_to)
    rows = (await session.execute(query, parameters)).all()
    points = [(row[0], row[1], row[2]) for row in rows]
    return _by_distance(latitude, longitude, radius_m, points)[:limit]


async def next_station_connector_ids(
    session: AsyncSession, station_id: int, count: int
) -> list[str]:
    """``count`` unused station connector ids ("3", "4", ...) after the highest numeric one."""
    existing = await session.scalars(
        select(Connector.connector_id).where(Connector.station_id == station_id)
    )
    numbers = [key for value in existing if (key := parse_key(value)) is not None]
    start = max(numbers, default=0) + 1
    return [str(start + i) for i in range(count)]
