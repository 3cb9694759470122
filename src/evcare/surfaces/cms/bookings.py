"""EV-CMS section 5: Bookings (``/api/v1/bookings``), a driver's connector reservations.

``POST /`` debits the reservation fee from the wallet (``Idempotency-Key`` accepted);
``PUT /:id/start`` starts the charger's session on the booked connector;
``PUT /:id/complete`` closes it with the session's figures and an optional rating;
``PUT /:id/cancel`` refunds the fee inside the cancellation window. Rules:
:mod:`evcare.charging.bookings.service`, docs/bookings.md.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.charging.bookings import service
from evcare.charging.bookings.documents import BookingView, booking_document
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep
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
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import ChargingBookingId, ConnectorRef, StationId, VehicleRef
from evcare.surfaces.times import UtcDateTime

router = APIRouter(prefix="/bookings", tags=["bookings"], route_class=IdempotentRoute)

_read = Authenticator(Scope.READ_BOOKINGS)
_write = Authenticator(Scope.WRITE_BOOKINGS)
BookingsRead = Annotated[Principal, Depends(_read)]
BookingsWrite = Annotated[Principal, Depends(_write)]

Status = Literal["pending", "confirmed", "active", "completed", "cancelled"]


class CostOut(CamelModel):
    energy_cost: float | int
    reservation_fee: float | int
    parking_fee: float | int
    platform_fee: float | int
    discount: float | int
    subtotal: float | int
    gst: float | int
    total: float | int


class RatingOut(CamelModel):
    score: int
    review: str
    images: list[str]
    rated_at: datetime


class LogOut(CamelModel):
    event: str
    timestamp: datetime


class BookingOut(CamelModel):
    """The seed's Booking object (plus ``sessionId``, the linked charging session)."""

    id: str
    booking_number: str
    user_id: str
    station_id: str
    connector_id: str
    vehicle_id: str | None
    status: Status
    scheduled_time: datetime
    start_time: datetime | None = None
    end_time: datetime | None = None
    estimated_duration: int
    duration: float | None = None
    energy_consumed: float | None = None
    initial_so_c: int | None = Field(default=None, alias="initialSoC")
    final_so_c: int | None = Field(default=None, alias="finalSoC")
    cost: CostOut
    rating: RatingOut | None = None
    cancellation_reason: str | None = None
    session_id: str | None = None
    logs: list[LogOut]

    @classmethod
    def of(cls, view: BookingView) -> BookingOut:
        return cls.model_validate(booking_document(view))


class BookingBody(CamelModel):
    booking: BookingOut


class BookingsBody(CamelModel):
    bookings: list[BookingOut]


class CreateIn(StrictCamelModel):
    station_id: StationId
    connector_id: ConnectorRef
    vehicle_id: VehicleRef
    scheduled_time: UtcDateTime
    estimated_duration: int = Field(strict=True, ge=5, le=1440, description="minutes")


class RatingIn(StrictCamelModel):
    score: int = Field(strict=True, ge=1, le=5)
    review: str | None = Field(default=None, max_length=2000)
    images: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(
        default_factory=list, max_length=10
    )


class CompleteIn(StrictCamelModel):
    energy_consumed: Decimal | None = Field(
        default=None, ge=0, le=10_000, decimal_places=3, description="kWh"
    )
    final_so_c: int | None = Field(default=None, strict=True, ge=0, le=100, alias="finalSoC")
    rating: RatingIn | None = None


class CancelIn(StrictCamelModel):
    reason: str = Field(min_length=1, max_length=500)


def _one(view: BookingView) -> BookingBody:
    return BookingBody(booking=BookingOut.of(view))


@router.get("", operation_id="cms_list_bookings")
@router.get("/", include_in_schema=False)
async def list_bookings(
    principal: BookingsRead,
    session: SessionDep,
    page: Pagination,
    status: Annotated[Status | None, Query()] = None,
) -> PagedEnvelope[BookingsBody]:
    """The caller's bookings, latest scheduled first."""
    result = await service.list_bookings(session, principal, page, status=status)
    return PagedEnvelope(
        data=BookingsBody(bookings=[BookingOut.of(view) for view in result.items]),
        pagination=PaginationOut.of(cast(Page[object], result)),
    )


@router.get("/{booking_id}", operation_id="cms_get_booking")
async def get_booking(
    booking_id: ChargingBookingId, principal: BookingsRead, session: SessionDep
) -> Envelope[BookingBody]:
    return Envelope(data=_one(await service.get_booking(session, principal, booking_id)))


@router.post(
    "",
    status_code=201,
    operation_id="cms_create_booking",
    dependencies=[idempotent(_write)],
)
@router.post("/", status_code=201, include_in_schema=False, dependencies=[idempotent(_write)])
async def create_booking(
    body: CreateIn, principal: BookingsWrite, session: SessionDep
) -> Envelope[BookingBody]:
    """Book a connector; the reservation fee is debited from the wallet (confirmed)."""
    view = await service.create_booking(
        session,
        principal,
        station_id=body.station_id,
        connector_ref=body.connector_id,
        vehicle_id=body.vehicle_id,
        scheduled_at=body.scheduled_time,
        estimated_minutes=body.estimated_duration,
    )
    return Envelope(message="Booking confirmed", data=_one(view))


@router.put("/{booking_id}/start", operation_id="cms_start_booking")
async def start_booking(
    booking_id: ChargingBookingId,
    principal: BookingsWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Envelope[BookingBody]:
    """Start charging on the booked connector (the charger's session is linked)."""
    view = await service.start_booking(
        session,
        principal,
        registry_of(runtime),
        secret=runtime.settings.secret_key.get_secret_value(),
        booking_id=booking_id,
    )
    return Envelope(message="Booking started", data=_one(view))


@router.put("/{booking_id}/complete", operation_id="cms_complete_booking")
async def complete_booking(
    booking_id: ChargingBookingId, body: CompleteIn, principal: BookingsWrite, session: SessionDep
) -> Envelope[BookingBody]:
    rating = body.rating
    view = await service.complete_booking(
        session,
        principal,
        booking_id=booking_id,
        energy_wh=None if body.energy_consumed is None else int(body.energy_consumed * 1000),
        final_soc=body.final_so_c,
        rating=None
        if rating is None
        else service.Rating(score=rating.score, review=rating.review, images=rating.images),
    )
    return Envelope(message="Booking completed", data=_one(view))


@router.put("/{booking_id}/cancel", operation_id="cms_cancel_booking")
async def cancel_booking(
    booking_id: ChargingBookingId,
    body: CancelIn,
    principal: BookingsWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> Envelope[BookingBody]:
    """Cancel; inside the cancellation window the reservation fee is refunded."""
    view = await service.cancel_booking(
        session, principal, registry_of(runtime), booking_id=booking_id, reason=body.reason
    )
    return Envelope(message="Booking cancelled", data=_one(view))
