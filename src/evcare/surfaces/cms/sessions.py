"""EV-CMS section 6: Sessions (``/api/v1/sessions``), and the charging history and
statistics of a vehicle (in :mod:`evcare.surfaces.cms.vehicle_charging`).

Sessions are made by the chargers (OCPP); this surface reads them and asks chargers to
start or stop. ``POST /:id/stop`` returns ``{session, cdr}`` once the charger stopped
within the wait, else the session still ``active`` and ``cdr: null``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Body, Depends, Query
from pydantic import Field

from evcare.charging.sessions import control
from evcare.charging.sessions.records import SessionView, cdr_document, session_document
from evcare.core.money import major_number
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.ocpp.registry import registry_of
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.ids import ChargerRef, SessionId, UserId, VehicleRef
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/sessions", tags=["sessions"], route_class=TransactionalRoute)

SessionsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_SESSIONS))]
SessionsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_SESSIONS))]
SessionsStart = Annotated[Principal, Depends(Authenticator(Scope.START_SESSIONS))]


class SessionOut(CamelModel):
    id: str
    session_id: str
    user_id: str | None
    charger_id: str
    connector_id: int
    vehicle_id: str | None
    status: Literal["active", "completed", "failed"]
    start_time: datetime
    end_time: datetime | None = None
    meter_start: int
    meter_stop: int | None = None
    energy_consumed: float | None = None
    duration: float | None = None
    cost: float | int | None = None
    payment_status: Literal["pending", "paid", "failed"]
    stop_reason: str | None = None
    ocpp_transaction_id: int | None = None

    @classmethod
    def of(cls, view: SessionView) -> SessionOut:
        return cls.model_validate(session_document(view))


class CdrPricing(CamelModel):
    energy_rate: float | int
    total_energy_cost: float | int
    parking_fee: float | int
    gst: float | int


class CdrOut(CamelModel):
    session_id: str
    user_id: str | None
    user_name: str | None
    charger_id: str
    connector_id: int
    vehicle_info: str | None
    start_time: datetime
    end_time: datetime
    duration: float
    energy_consumed: float
    meter_start: int
    meter_stop: int
    total_cost: float | int
    currency: str
    pricing: CdrPricing

    @classmethod
    def of(cls, view: SessionView) -> CdrOut | None:
        document = cdr_document(view)
        return None if document is None else cls.model_validate(document)


class SessionBody(CamelModel):
    session: SessionOut


class SessionsBody(CamelModel):
    sessions: list[SessionOut]


class HistoryTotals(CamelModel):
    total_sessions: int
    total_energy: float
    total_cost: float | int
    total_duration: float


class HistoryBody(CamelModel):
    sessions: list[SessionOut]
    totals: HistoryTotals


class StoppedBody(CamelModel):
    session: SessionOut
    cdr: CdrOut | None


class CdrBody(CamelModel):
    cdr: CdrOut


class StartIn(StrictCamelModel):
    charger_id: ChargerRef
    connector_id: int = Field(ge=1, le=100)
    user_id: UserId
    vehicle_id: VehicleRef | None = None


class StopIn(StrictCamelModel):
    reason: str | None = Field(default=None, min_length=1, max_length=100)


def sessions_out(views: list[SessionView]) -> list[SessionOut]:
    return [SessionOut.of(view) for view in views]


def _day_start(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.min, tzinfo=UTC)


def _day_end(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time.max, tzinfo=UTC)


@router.get("", operation_id="cms_list_sessions")
@router.get("/", include_in_schema=False)
async def list_sessions(
    principal: SessionsRead,
    session: SessionDep,
    page: Pagination,
    status: Annotated[Literal["active", "completed", "failed"] | None, Query()] = None,
) -> PagedEnvelope[SessionsBody]:
    result = await control.list_sessions(session, principal, page, status=status)
    return PagedEnvelope(
        data=SessionsBody(sessions=sessions_out(result.items)),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.get("/active", operation_id="cms_active_sessions")
async def active_sessions(principal: SessionsRead, session: SessionDep) -> Envelope[SessionsBody]:
    views = await control.active_sessions(session, principal)
    return Envelope(data=SessionsBody(sessions=sessions_out(views)))


@router.get("/history", operation_id="cms_session_history")
async def session_history(
    principal: SessionsRead,
    session: SessionDep,
    page: Pagination,
    start_date: Annotated[IsoDate | None, Query(alias="startDate")] = None,
    end_date: Annotated[IsoDate | None, Query(alias="endDate")] = None,
) -> PagedEnvelope[HistoryBody]:
    result, totals = await control.history(
        session, principal, page, start=_day_start(start_date), end=_day_end(end_date)
    )
    return PagedEnvelope(
        data=HistoryBody(
            sessions=sessions_out(result.items),
            totals=HistoryTotals(
                total_sessions=totals.sessions,
                total_energy=round(totals.energy_wh / 1000, 3),
                total_cost=major_number(totals.cost_minor, "INR"),
                total_duration=round(totals.seconds / 60, 1),
            ),
        ),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.get("/{session_id}", operation_id="cms_get_session")
async def get_session(
    session_id: SessionId, principal: SessionsRead, session: SessionDep
) -> Envelope[SessionBody]:
    view = await control.get_session(session, principal, session_id)
    return Envelope(data=SessionBody(session=SessionOut.of(view)))


@router.post("", status_code=201, operation_id="cms_start_session")
@router.post("/", status_code=201, include_in_schema=False)
async def start_session(
    body: StartIn, principal: SessionsStart, session: SessionDep, runtime: RuntimeDep
) -> Envelope[SessionBody]:
    view = await control.start_session(
        session,
        principal,
        registry_of(runtime),
        secret=runtime.settings.secret_key.get_secret_value(),
        charger_id=body.charger_id,
        connector_id=body.connector_id,
        user_id=body.user_id,
        vehicle_id=body.vehicle_id,
    )
    return Envelope(message="Session started", data=SessionBody(session=SessionOut.of(view)))


@router.post("/{session_id}/stop", operation_id="cms_stop_session")
async def stop_session(
    session_id: SessionId,
    principal: SessionsWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    body: Annotated[StopIn | None, Body()] = None,
) -> Envelope[StoppedBody]:
    view = await control.stop_session(
        session,
        principal,
        registry_of(runtime),
        session_id=session_id,
        reason=body.reason if body else None,
    )
    return Envelope(data=StoppedBody(session=SessionOut.of(view), cdr=CdrOut.of(view)))


@router.get("/{session_id}/cdr", operation_id="cms_session_cdr")
async def session_cdr(
    session_id: SessionId, principal: SessionsRead, session: SessionDep
) -> Envelope[CdrBody]:
    view = await control.get_cdr_session(session, principal, session_id)
    cdr = CdrOut.of(view)
    assert cdr is not None  # a closed session always has one
    return Envelope(data=CdrBody(cdr=cdr))
