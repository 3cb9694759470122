"""What a driver is shown of a station: the read model every station response is built from.

A :class:`StationCard` holds the station's public facts and, per connector, its price,
reported state and the state of the charger behind it. The station endpoints build it
from a loaded :class:`~evcare.charging.stations.models.Station` (:meth:`StationCard.of`); the
nearby search builds it straight from result rows (no ORM objects: loading 50 stations
and their connectors as entities costs more than the search itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from evcare.charging.chargers.models import ChargerStatus
from evcare.charging.stations.models import Connector, ConnectorStatus, Station

# What a driver sees of a connector, from what its charger reported (1.6 vocabulary).
_STATION_VIEW = {
    ConnectorStatus.AVAILABLE: "available",
    ConnectorStatus.FAULTED: "faulted",
    ConnectorStatus.UNAVAILABLE: "unavailable",
}


def charger_blocks(charger_status: str | None, *, archived: bool) -> str | None:
    """The station-view status a charger's own state forces on its connectors, if any
    (``charger_status`` None: the connector is on no charger, so nothing can charge on
    it: unavailable)."""
    if charger_status is None:
        return "unavailable"
    if archived or charger_status in (ChargerStatus.OFFLINE, ChargerStatus.MAINTENANCE):
        return "unavailable"
    if charger_status == ChargerStatus.FAULTED:
        return "faulted"
    return None


@dataclass(frozen=True, slots=True)
class ConnectorCard:
    connector_id: str
    type: str
    power_kw: float
    status: str  # as the charger last reported it
    base_price_minor: int
    parking_fee_minor: int
    reservation_fee_minor: int
    currency: str
    charger_status: str | None  # None: not on a charger
    charger_archived: bool

    @classmethod
    def of(cls, connector: Connector) -> ConnectorCard:
        charger = connector.charger if connector.charger_id is not None else None
        return cls(
            connector_id=connector.connector_id,
            type=connector.type,
            power_kw=connector.power_kw,
            status=connector.status,
            base_price_minor=connector.base_price_minor,
            parking_fee_minor=connector.parking_fee_minor,
            reservation_fee_minor=connector.reservation_fee_minor,
            currency=connector.currency,
            charger_status=None if charger is None else charger.status,
            charger_archived=charger is not None and charger.is_archived,
        )

    def status_at(self, station_status: str) -> str:
        """available | occupied | faulted | unavailable, as a driver at the station sees
        it: no charger behind it, an offline, archived or maintained charger, or a
        station not active, makes it unavailable; anything plugged in or reserved is occupied."""
        if station_status != "active":
            return "unavailable"
        forced = charger_blocks(self.charger_status, archived=self.charger_archived)
        if forced is not None:
            return forced
        return _STATION_VIEW.get(ConnectorStatus(self.status), "occupied")


@dataclass(frozen=True, slots=True)
class StationCard:
    id: int
    name: str
    address: str
    latitude: float
    longitude: float
    city: str
    state: str
    pincode: str
    status: str
    rating: float
    total_reviews: int
    amenities: list[str]
    opening_time: str
    closing_time: str
    images: list[str]
    owner_id: int
    owner_type: str
    franchise_id: int | None
    created_at: datetime
    connectors: list[ConnectorCard]

    @classmethod
    def of(cls, station: Station) -> StationCard:
        """The card of a station loaded with its connectors and their chargers."""
        return cls(
            id=station.id,
            name=station.name,
            address=station.address,
            latitude=station.latitude,
            longitude=station.longitude,
            city=station.city,
            state=station.state,
            pincode=station.pincode,
            status=station.status,
            rating=station.rating,
            total_reviews=station.total_reviews,
            amenities=list(station.amenities or []),
            opening_time=station.opening_time,
            closing_time=station.closing_time,
            images=list(station.images or []),
            owner_id=station.owner_id,
            owner_type=station.owner_type,
            franchise_id=station.franchise_id,
            created_at=station.created_at,
            connectors=[ConnectorCard.of(connector) for connector in station.connectors],
        )

    @property
    def available(self) -> bool:
        """Whether any connector can take a vehicle now."""
        return any(c.status_at(self.status) == "available" for c in self.connectors)
