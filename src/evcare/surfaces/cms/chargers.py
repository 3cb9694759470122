"""EV-CMS section 4: Chargers (``/api/v1/chargers``).

Registering a charger answers with its OCPP endpoint and basic-auth password once; the
password is stored only as a hash. ``POST /:id/command`` lives with the OCPP commands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from evcare.charging.chargers import service as charging
from evcare.charging.chargers.models import Charger
from evcare.charging.maintenance import service as maintenance
from evcare.charging.sessions import control
from evcare.charging.stations.models import Connector
from evcare.charging.stations.service import MAX_CONNECTORS, ConnectorDraft
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.maintenance import MaintenanceRecordOut
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.cms.stations import ConnectorTypeName, PricingIn, connector_draft, number
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import ChargePointId, ChargerRef, StationId

router = APIRouter(prefix="/chargers", tags=["chargers"], route_class=TransactionalRoute)

ChargersRead = Annotated[Principal, Depends(Authenticator(Scope.READ_CHARGERS))]
ChargersWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_CHARGERS))]
ChargersRestore = Annotated[Principal, Depends(Authenticator(Scope.RESTORE_CHARGERS))]

# (charger id, connector number) -> the public id of the session running there.
CurrentSessions = dict[tuple[int, int], str]

ChargerStatusName = Literal["Online", "Offline", "Faulted", "Maintenance"]


# -- response shapes -------------------------------------------------------------------------


class ChargerConnectorOut(CamelModel):
    connector_id: int
    type: str
    power: float | int
    status: Literal["Available", "Charging", "Faulted", "Unavailable"]
    current_session: str | None = None

    @classmethod
    def of(
        cls, connector: Connector, charger: Charger, current: CurrentSessions
    ) -> ChargerConnectorOut:
        number_ = connector.connector_number or 0
        return cls(
            connector_id=number_,
            type=connector.type,
            power=number(connector.power_kw),
            status=charging.charger_connector_status(connector, charger),
            current_session=current.get((charger.id, number_)),
        )


class ChargerOut(CamelModel):
    id: str
    charger_id: str
    charger_name: str
    station_id: str
    manufacturer: str
    model: str
    firmware_version: str | None
    status: ChargerStatusName
    last_heartbeat: datetime | None
    connectors: list[ChargerConnectorOut]
    location: str
    is_archived: bool

    @classmethod
    def of(cls, charger: Charger, current: CurrentSessions | None = None) -> ChargerOut:
        """``current``: the sessions running on its connectors (``currentSession``)."""
        current = current or {}
        station = charger.station
        place = ", ".join(part for part in (station.name, station.address, station.city) if part)
        return cls(
            id=str(charger.id),
            charger_id=charger.charge_point_id,
            charger_name=charger.name,
            station_id=str(charger.station_id),
            manufacturer=charger.manufacturer,
            model=charger.model,
            firmware_version=charger.firmware_version,
            status=charger.status,
            last_heartbeat=charger.last_heartbeat_at,
            connectors=[ChargerConnectorOut.of(c, charger, current) for c in charger.connectors],
            location=place,
            is_archived=charger.is_archived,
        )


class ChargerBody(CamelModel):
    charger: ChargerOut


class ChargersBody(CamelModel):
    chargers: list[ChargerOut]


class OcppCredentialsBody(CamelModel):
    """Shown once, at registration or password rotation; never again."""

    charger: ChargerOut
    ocpp_url: str
    ocpp_username: str
    ocpp_password: str
    ocpp_protocols: list[str] = ["ocpp1.6", "ocpp2.0.1"]


class StatsBody(CamelModel):
    total_chargers: int
    online: int
    offline: int
    faulted: int
    utilization: float | int  # percent of connectors in use


class LiveStatusBody(CamelModel):
    status: ChargerStatusName
    current_power: float | int  # kW
    temperature: float | None  # degrees Celsius
    last_heartbeat: datetime | None


class HistoryBody(CamelModel):
    history: list[MaintenanceRecordOut]


def ocpp_url(request: Request, charge_point_id: str) -> str:
    """``ws(s)://<host this request reached>/ocpp/<chargePointId>``."""
    scheme = "wss" if request.url.scheme in ("https", "wss") else "ws"
    return f"{scheme}://{request.url.netloc}/ocpp/{charge_point_id}"


def credentials_body(
    request: Request, registered: charging.RegisteredCharger
) -> OcppCredentialsBody:
    charger = registered.charger
    return OcppCredentialsBody(
        charger=ChargerOut.of(charger),
        ocpp_url=ocpp_url(request, charger.charge_point_id),
        ocpp_username=charger.charge_point_id,
        ocpp_password=registered.ocpp_password,
    )


# -- request shapes --------------------------------------------------------------------------


class ChargerConnectorIn(StrictCamelModel):
    connector_id: int | None = Field(default=None, ge=1, le=MAX_CONNECTORS)
    type: ConnectorTypeName
    power: float = Field(gt=0, le=1000, description="kW")
    pricing: PricingIn = Field(default_factory=PricingIn)

    def draft(self) -> ConnectorDraft:
        return connector_draft(
            type=self.type, power=self.power, pricing=self.pricing, number=self.connector_id
        )


class ChargerIn(StrictCamelModel):
    charger_id: ChargePointId
    name: str = Field(min_length=1, max_length=200)
    station_id: StationId
    manufacturer: str = Field(min_length=1, max_length=100)
    model: str = Field(min_length=1, max_length=100)
    serial_number: str | None = Field(default=None, min_length=1, max_length=100)
    firmware_version: str | None = Field(default=None, min_length=1, max_length=100)
    connectors: list[ChargerConnectorIn] = Field(default_factory=list, max_length=MAX_CONNECTORS)


class ChargerUpdateIn(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: ChargerStatusName | None = None
    manufacturer: str | None = Field(default=None, min_length=1, max_length=100)
    model: str | None = Field(default=None, min_length=1, max_length=100)


# -- routes ----------------------------------------------------------------------------------


@router.get("", operation_id="cms_list_chargers")
@router.get("/", include_in_schema=False)
async def list_chargers(
    principal: ChargersRead,
    session: SessionDep,
    pagination: Pagination,
    station: StationId | None = None,
    status: ChargerStatusName | None = None,
    manufacturer: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> PagedEnvelope[ChargersBody]:
    page = await charging.list_chargers(
        session,
        principal,
        params=pagination,
        station_id=station,
        status=status,
        manufacturer=manufacturer,
    )
    current = await control.current_sessions(session, principal, [c.id for c in page.items])
    return PagedEnvelope(
        data=ChargersBody(chargers=[ChargerOut.of(c, current) for c in page.items]),
        pagination=PaginationOut.of(page),  # type: ignore[arg-type]
    )


@router.get("/stats", operation_id="cms_charger_stats")
async def charger_stats(
    principal: ChargersRead,
    session: SessionDep,
    station: StationId | None = None,
) -> Envelope[StatsBody]:
    stats = await charging.charger_stats(session, principal, station_id=station)
    return Envelope(
        data=StatsBody(
            total_chargers=stats.total,
            online=stats.online,
            offline=stats.offline,
            faulted=stats.faulted,
            utilization=number(stats.utilization),
        )
    )


@router.get("/{charger_id}", operation_id="cms_get_charger")
async def get_charger(
    charger_id: ChargerRef, principal: ChargersRead, session: SessionDep
) -> Envelope[ChargerBody]:
    charger = await charging.get_charger(session, principal, charger_id)
    current = await control.current_sessions(session, principal, [charger.id])
    return Envelope(data=ChargerBody(charger=ChargerOut.of(charger, current)))


@router.get("/{charger_id}/status", operation_id="cms_charger_live_status")
async def charger_live_status(
    charger_id: ChargerRef, principal: ChargersRead, session: SessionDep
) -> Envelope[LiveStatusBody]:
    charger = await charging.get_charger(session, principal, charger_id)
    return Envelope(
        data=LiveStatusBody(
            status=charger.status,
            current_power=number(charger.current_power_w / 1000),
            temperature=charger.temperature_c,
            last_heartbeat=charger.last_heartbeat_at,
        )
    )


@router.get("/{charger_id}/maintenance-history", operation_id="cms_charger_maintenance_history")
async def maintenance_history(
    charger_id: ChargerRef, principal: ChargersRead, session: SessionDep
) -> Envelope[HistoryBody]:
    """The charger's maintenance records, newest scheduled first (at most 200)."""
    records = await maintenance.history(session, principal, charger_id)
    return Envelope(data=HistoryBody(history=[MaintenanceRecordOut.of(r) for r in records]))


@router.post("", status_code=201, operation_id="cms_register_charger")
@router.post("/", status_code=201, include_in_schema=False)
async def register_charger(
    body: ChargerIn,
    principal: ChargersWrite,
    session: SessionDep,
    request: Request,
) -> Envelope[OcppCredentialsBody]:
    registered = await charging.register_charger(
        session,
        principal,
        charge_point_id=body.charger_id,
        name=body.name,
        station_id=body.station_id,
        manufacturer=body.manufacturer,
        model=body.model,
        serial_number=body.serial_number,
        firmware_version=body.firmware_version,
        connectors=[c.draft() for c in body.connectors],
    )
    return Envelope(
        message="Charger registered; store the OCPP password now, it is not shown again",
        data=credentials_body(request, registered),
    )


@router.post("/{charger_id}/rotate-password", operation_id="cms_rotate_charger_password")
async def rotate_charger_password(
    charger_id: ChargerRef,
    principal: ChargersWrite,
    session: SessionDep,
    request: Request,
) -> Envelope[OcppCredentialsBody]:
    registered = await charging.rotate_charger_password(session, principal, charger_id)
    return Envelope(
        message="New OCPP password issued; the old one no longer works",
        data=credentials_body(request, registered),
    )


@router.put("/{charger_id}", operation_id="cms_update_charger")
async def update_charger(
    charger_id: ChargerRef, body: ChargerUpdateIn, principal: ChargersWrite, session: SessionDep
) -> Envelope[ChargerBody]:
    charger = await charging.update_charger(
        session,
        principal,
        charger_id,
        name=body.name,
        status=body.status,
        manufacturer=body.manufacturer,
        model=body.model,
    )
    current = await control.current_sessions(session, principal, [charger.id])
    return Envelope(
        message="Charger updated", data=ChargerBody(charger=ChargerOut.of(charger, current))
    )


@router.patch("/{charger_id}/archive", operation_id="cms_archive_charger")
async def archive_charger(
    charger_id: ChargerRef, principal: ChargersWrite, session: SessionDep
) -> Envelope[Done]:
    await charging.archive_charger(session, principal, charger_id)
    return Envelope(message="Charger archived", data=Done())


@router.patch("/{charger_id}/restore", operation_id="cms_restore_charger")
async def restore_charger(
    charger_id: ChargerRef, principal: ChargersRestore, session: SessionDep
) -> Envelope[Done]:
    await charging.restore_charger(session, principal, charger_id)
    return Envelope(message="Charger restored", data=Done())
