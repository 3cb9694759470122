"""EV-CMS section 3: Stations (``/api/v1/stations``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field, field_validator

from evcare.charging.stations import service as charging
from evcare.charging.stations.cards import ConnectorCard, StationCard
from evcare.charging.stations.models import ConnectorType, Station, StationStatus
from evcare.core.money import Money, major_number
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import FranchiseId, StationId, UserId

router = APIRouter(prefix="/stations", tags=["stations"], route_class=TransactionalRoute)

StationsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_STATIONS))]
StationsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_STATIONS))]
StationsDelete = Annotated[Principal, Depends(Authenticator(Scope.DELETE_STATIONS))]

StationStatusName = Literal["active", "inactive", "maintenance"]
ConnectorTypeName = Literal["Type2", "CCS", "CHAdeMO", "GB-T", "Type1"]
ClockTime = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["08:00"])]
Price = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=2)]


def number(value: float) -> float | int:
    """``22`` rather than ``22.0`` for whole numbers, as the documents show."""
    return int(value) if float(value).is_integer() else value


# -- response shapes -------------------------------------------------------------------------


class GeoPoint(CamelModel):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float]  # [longitude, latitude]


class PricingOut(CamelModel):
    base_price: float | int  # per kWh
    parking_fee: float | int  # per hour
    reservation_fee: float | int


class StationConnectorOut(CamelModel):
    connector_id: str
    type: str
    power: float | int
    status: Literal["available", "occupied", "faulted", "unavailable"]
    pricing: PricingOut

    @classmethod
    def of(cls, connector: ConnectorCard, station: StationCard) -> StationConnectorOut:
        currency = connector.currency
        return cls(
            connector_id=connector.connector_id,
            type=connector.type,
            power=number(connector.power_kw),
            status=connector.status_at(station.status),
            pricing=PricingOut(
                base_price=major_number(connector.base_price_minor, currency),
                parking_fee=major_number(connector.parking_fee_minor, currency),
                reservation_fee=major_number(connector.reservation_fee_minor, currency),
            ),
        )


class OperatingHours(CamelModel):
    open: str
    close: str


class StationOut(CamelModel):
    id: str
    name: str
    address: str
    location: GeoPoint
    city: str
    state: str
    pincode: str
    status: str
    rating: float | int
    total_reviews: int
    amenities: list[str]
    operating_hours: OperatingHours
    images: list[str]
    connectors: list[StationConnectorOut]
    owner_id: str
    owner_type: str
    franchise_id: str | None = Field(
        description="The franchise the brand handed the station to (ownerType franchise)"
    )
    created_at: datetime

    @classmethod
    def fields_of(cls, station: StationCard) -> dict[str, object]:
        return {
            "id": str(station.id),
            "name": station.name,
            "address": station.address,
            "location": GeoPoint(coordinates=(station.longitude, station.latitude)),
            "city": station.city,
            "state": station.state,
            "pincode": station.pincode,
            "status": station.status,
            "rating": number(station.rating),
            "total_reviews": station.total_reviews,
            "amenities": station.amenities,
            "operating_hours": OperatingHours(
                open=station.opening_time, close=station.closing_time
            ),
            "images": station.images,
            "connectors": [StationConnectorOut.of(c, station) for c in station.connectors],
            "owner_id": str(station.owner_id),
            "owner_type": station.owner_type,
            "franchise_id": None if station.franchise_id is None else str(station.franchise_id),
            "created_at": station.created_at,
        }

    @classmethod
    def of(cls, station: Station) -> StationOut:
        return cls.model_validate(cls.fields_of(StationCard.of(station)))


class NearbyStationOut(StationOut):
    distance: float  # metres from the searched point

    @classmethod
    def near(cls, found: charging.NearbyStation) -> NearbyStationOut:
        return cls.model_validate(
            {**cls.fields_of(found.station), "distance": round(found.distance_m, 1)}
        )


class StationBody(CamelModel):
    station: StationOut


class StationsBody(CamelModel):
    stations: list[StationOut]


class NearbyBody(CamelModel):
    stations: list[NearbyStationOut]
    count: int


class AvailabilityBody(CamelModel):
    available: bool
    connectors: list[StationConnectorOut]


# -- request shapes --------------------------------------------------------------------------


class PointIn(StrictCamelModel):
    type: Literal["Point"]
    coordinates: list[float] = Field(min_length=2, max_length=2, description="[lng, lat]")

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: list[float]) -> list[float]:
        longitude, latitude = value
        if not -180 <= longitude <= 180:
            raise ValueError("longitude must be between -180 and 180")
        if not -90 <= latitude <= 90:
            raise ValueError("latitude must be between -90 and 90")
        return value

    @property
    def longitude(self) -> float:
        return self.coordinates[0]

    @property
    def latitude(self) -> float:
        return self.coordinates[1]


class PricingIn(StrictCamelModel):
    base_price: Price = Decimal(0)
    parking_fee: Price = Decimal(0)
    reservation_fee: Price = Decimal(0)


class StationConnectorIn(StrictCamelModel):
    connector_id: str | None = Field(
        default=None, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9._-]+$"
    )
    type: ConnectorTypeName
    power: float = Field(gt=0, le=1000, description="kW")
    pricing: PricingIn = Field(default_factory=PricingIn)

    def draft(self) -> charging.ConnectorDraft:
        return connector_draft(
            type=self.type, power=self.power, pricing=self.pricing, connector_id=self.connector_id
        )


def connector_draft(
    *,
    type: str,
    power: float,
    pricing: PricingIn,
    number: int | None = None,
    connector_id: str | None = None,
) -> charging.ConnectorDraft:
    """A connector to create, prices turned from major units into INR minor units."""
    return charging.ConnectorDraft(
        type=ConnectorType(type),
        power_kw=power,
        base_price_minor=Money.from_major(pricing.base_price).amount_minor,
        parking_fee_minor=Money.from_major(pricing.parking_fee).amount_minor,
        reservation_fee_minor=Money.from_major(pricing.reservation_fee).amount_minor,
        number=number,
        connector_id=connector_id,
    )


class HoursIn(StrictCamelModel):
    open: ClockTime
    close: ClockTime


Amenity = Annotated[str, Field(min_length=1, max_length=50)]
ImageUrl = Annotated[str, Field(min_length=1, max_length=500, pattern=r"^(https?://|/)\S+$")]


class StationIn(StrictCamelModel):
    name: str = Field(min_length=1, max_length=200)
    address: str = Field(min_length=1, max_length=500)
    location: PointIn
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=100)
    pincode: str = Field(default="", max_length=12, pattern=r"^[A-Za-z0-9 -]*$")
    status: StationStatusName = "active"
    amenities: list[Amenity] = Field(default_factory=list, max_length=30)
    operating_hours: HoursIn | None = None
    images: list[ImageUrl] = Field(default_factory=list, max_length=20)
    connectors: list[StationConnectorIn] = Field(default_factory=list, max_length=48)
    owner_id: UserId | None = Field(default=None, description="admins only")
    franchise_id: FranchiseId | None = Field(
        default=None, description="hand the station to this franchise of its brand"
    )


class StationUpdateIn(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    location: PointIn | None = None
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=100)
    pincode: str | None = Field(default=None, max_length=12, pattern=r"^[A-Za-z0-9 -]*$")
    status: StationStatusName | None = None
    amenities: list[Amenity] | None = Field(default=None, max_length=30)
    operating_hours: HoursIn | None = None
    images: list[ImageUrl] | None = Field(default=None, max_length=20)
    franchise_id: FranchiseId | None = Field(
        default=None,
        description="hand the station to this franchise of its brand; null takes it back",
    )

    def changes(self) -> charging.StationChanges:
        return charging.StationChanges(
            name=self.name,
            address=self.address,
            city=self.city,
            state=self.state,
            pincode=self.pincode,
            latitude=self.location.latitude if self.location else None,
            longitude=self.location.longitude if self.location else None,
            status=self.status,
            amenities=self.amenities,
            opening_time=self.operating_hours.open if self.operating_hours else None,
            closing_time=self.operating_hours.close if self.operating_hours else None,
            images=self.images,
            franchise_id=self.franchise_id,
            to_brand="franchise_id" in self.model_fields_set and self.franchise_id is None,
        )


# -- routes ----------------------------------------------------------------------------------


@router.get("", operation_id="cms_list_stations")
@router.get("/", include_in_schema=False)
async def list_stations(
    principal: StationsRead,
    session: SessionDep,
    pagination: Pagination,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    status: StationStatusName | None = None,
    type: ConnectorTypeName | None = None,
) -> PagedEnvelope[StationsBody]:
    page = await charging.list_stations(
        session, principal, params=pagination, search=search, status=status, connector_type=type
    )
    return PagedEnvelope(
        data=StationsBody(stations=[StationOut.of(s) for s in page.items]),
        pagination=PaginationOut.of(page),  # type: ignore[arg-type]
    )


@router.get("/nearby", operation_id="cms_nearby_stations")
async def nearby_stations(
    principal: StationsRead,
    session: SessionDep,
    latitude: Annotated[float, Query(ge=-90, le=90)],
    longitude: Annotated[float, Query(ge=-180, le=180)],
    radius: Annotated[
        float, Query(gt=0, le=charging.NEARBY_MAX_RADIUS_M, description="metres")
    ] = charging.NEARBY_DEFAULT_RADIUS_M,
    limit: Annotated[int, Query(ge=1, le=charging.NEARBY_MAX_LIMIT)] = 20,
) -> Envelope[NearbyBody]:
    # To 1e-7 degrees (about a centimetre): a subnormal float such as 1e-308 would
    # underflow PostgreSQL's float arithmetic (a 500); schemathesis found it.
    found = await charging.find_nearby_stations(
        session,
        principal,
        latitude=round(latitude, 7),
        longitude=round(longitude, 7),
        radius_m=radius,
        limit=limit,
    )
    stations = [NearbyStationOut.near(item) for item in found]
    return Envelope(data=NearbyBody(stations=stations, count=len(stations)))


@router.get("/{station_id}", operation_id="cms_get_station")
async def get_station(
    station_id: StationId, principal: StationsRead, session: SessionDep
) -> Envelope[StationBody]:
    station = await charging.get_station(session, principal, station_id)
    return Envelope(data=StationBody(station=StationOut.of(station)))


@router.get("/{station_id}/availability", operation_id="cms_station_availability")
async def station_availability(
    station_id: StationId, principal: StationsRead, session: SessionDep
) -> Envelope[AvailabilityBody]:
    station = await charging.station_availability(session, principal, station_id)
    connectors = [StationConnectorOut.of(c, station) for c in station.connectors]
    return Envelope(data=AvailabilityBody(available=station.available, connectors=connectors))


@router.post("", status_code=201, operation_id="cms_create_station")
@router.post("/", status_code=201, include_in_schema=False)
async def create_station(
    body: StationIn, principal: StationsWrite, session: SessionDep
) -> Envelope[StationBody]:
    hours = body.operating_hours
    station = await charging.create_station(
        session,
        principal,
        name=body.name,
        address=body.address,
        latitude=body.location.latitude,
        longitude=body.location.longitude,
        city=body.city,
        state=body.state,
        pincode=body.pincode,
        status=StationStatus(body.status),
        amenities=body.amenities,
        opening_time=hours.open if hours else "00:00",
        closing_time=hours.close if hours else "23:59",
        images=body.images,
        connectors=[c.draft() for c in body.connectors],
        owner_id=body.owner_id,
        franchise_id=body.franchise_id,
    )
    return Envelope(message="Station created", data=StationBody(station=StationOut.of(station)))


@router.put("/{station_id}", operation_id="cms_update_station")
async def update_station(
    station_id: StationId, body: StationUpdateIn, principal: StationsWrite, session: SessionDep
) -> Envelope[StationBody]:
    station = await charging.update_station(session, principal, station_id, changes=body.changes())
    return Envelope(message="Station updated", data=StationBody(station=StationOut.of(station)))


@router.delete("/{station_id}", operation_id="cms_delete_station")
async def delete_station(
    station_id: StationId, principal: StationsDelete, session: SessionDep
) -> Envelope[Done]:
    await charging.delete_station(session, principal, station_id)
    return Envelope(message="Station deleted", data=Done())
