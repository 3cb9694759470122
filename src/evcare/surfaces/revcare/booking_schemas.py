"""How RevCare shows bookings, their items, progress and payments (snake_case)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from evcare.billing.payment_models import Payment
from evcare.core.ids import format_public_id
from evcare.core.money import Money, major_number
from evcare.identity.models import User
from evcare.service import bookings
from evcare.service.bookings.models import BookingAnalysis, BookingEvent, PickupType
from evcare.surfaces.ids import (
    AddressId,
    BookingId,
    CarId,
    CustomerId,
    MechanicId,
    ServiceId,
    StatusId,
    TimeslotId,
)
from evcare.surfaces.revcare.schemas import RevIn, RevModel
from evcare.surfaces.times import IsoDate

Notes = Annotated[str, Field(max_length=1000)]
MajorAmount = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2)]
Number = float | int


def _pickup(value: Any) -> Any:
    return value.strip().lower().replace("-", "_") if isinstance(value, str) else value


def mechanic_public_id(user_id: int | None) -> str | None:
    return format_public_id("MEC", user_id) if user_id is not None else None


def _major(money: Money) -> Number:
    return major_number(money.amount_minor, money.currency)


# -- requests ---------------------------------------------------------------------------


class ServiceIn(RevIn):
    service_id: ServiceId
    quantity: int = Field(default=1, ge=1, le=100)


class BookingCreate(RevIn):
    customer_id: CustomerId | None = Field(default=None, description="admins only")
    vehicle_id: CarId
    pickup_type: Annotated[PickupType, BeforeValidator(_pickup)]
    timeslot_id: TimeslotId
    service_date: IsoDate | None = Field(default=None, description="default: today (UTC)")
    address_id: AddressId | None = Field(
        default=None, description="doorstep: default address when omitted"
    )
    services: list[ServiceIn] = Field(min_length=1, max_length=20)
    notes: Notes = ""


class ConfirmServices(RevIn):
    payment_mode: Literal["cod", "online"]
    declined_service_ids: list[ServiceId] = Field(default_factory=list, max_length=20)


class CancelIn(RevIn):
    reason: str = Field(default="", max_length=500)


class AssignIn(RevIn):
    booking_id: BookingId
    mechanic_id: MechanicId = Field(description="MEC000034 or the number")
    note: str = Field(default="", max_length=300)


class EstimateIn(RevIn):
    service_id: ServiceId
    estimated_cost: MajorAmount = Field(description="major units, e.g. 1499.50")
    estimated_time_minutes: int = Field(ge=1, le=10_080)
    note: Notes = ""


class AnalysisIn(RevIn):
    booking_id: BookingId
    summary: str = Field(default="", max_length=2000)
    items: list[EstimateIn] = Field(min_length=1, max_length=20)


class AnalysisEdit(RevIn):
    summary: str | None = Field(default=None, max_length=2000)
    items: list[EstimateIn] = Field(default_factory=list, max_length=20)


class NoteIn(RevIn):
    note: str = Field(default="", max_length=300)


class ProgressIn(RevIn):
    booking_id: BookingId
    service_id: ServiceId
    status_id: StatusId
    notes: Notes = ""


class ProgressEdit(RevIn):
    status_id: StatusId | None = None
    notes: Notes | None = None


def estimates(items: list[EstimateIn], currency: str = "INR") -> list[bookings.ItemEstimate]:
    return [
        bookings.ItemEstimate(
            service_id=item.service_id,
            estimated_cost_minor=Money.from_major(item.estimated_cost, currency).amount_minor,
            estimated_minutes=item.estimated_time_minutes,
            note=item.note,
        )
        for item in items
    ]


# -- responses --------------------------------------------------------------------------


class ServiceLineOut(RevModel):
    service_id: int
    name: str
    quantity: int
    unit_price: Number
    estimated_cost: Number | None
    estimated_time_minutes: int | None
    analysis_note: str
    decision: str
    status: str | None
    amount: Number
    gst_amount: Number

    @classmethod
    def of(cls, line: bookings.Line) -> ServiceLineOut:
        item, currency = line.item, line.amount.currency
        return cls(
            service_id=item.service_id,
            name=item.service_name,
            quantity=item.quantity,
            unit_price=major_number(item.unit_price_minor, currency),
            estimated_cost=(
                major_number(item.estimated_cost_minor, currency)
                if item.estimated_cost_minor is not None
                else None
            ),
            estimated_time_minutes=item.estimated_minutes,
            analysis_note=item.analysis_note,
            decision=item.decision,
            status=line.work_status.code if line.work_status else None,
            amount=_major(line.amount),
            gst_amount=_major(line.gst),
        )


class BookingOut(RevModel):
    id: int
    customer_id: str
    vehicle_id: int | None
    pickup_type: str
    timeslot_id: int
    service_date: date
    address_id: int | None
    notes: str
    status: str
    mechanic_id: str | None
    payment_mode: str | None
    payment_status: str
    currency: str
    services: list[ServiceLineOut]
    subtotal: Number
    gst_percent: Number
    gst_amount: Number
    total: Number
    cancellation_fee: Number
    cancellation_fee_gst: Number
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: bookings.BookingView) -> BookingOut:
        booking = view.booking
        percent = view.gst_percent
        return cls(
            id=booking.id,
            customer_id=format_public_id("CST", booking.customer_id),
            vehicle_id=booking.vehicle_id,
            pickup_type=booking.pickup_type,
            timeslot_id=booking.timeslot_id,
            service_date=booking.service_date,
            address_id=booking.address_id,
            notes=booking.notes,
            status=booking.status,
            mechanic_id=mechanic_public_id(booking.mechanic_id),
            payment_mode=booking.payment_mode,
            payment_status=view.payment_status,
            currency=booking.currency,
            services=[ServiceLineOut.of(line) for line in view.lines],
            subtotal=_major(view.subtotal),
            gst_percent=int(percent) if percent == percent.to_integral_value() else float(percent),
            gst_amount=_major(view.gst),
            total=_major(view.total),
            cancellation_fee=major_number(booking.cancellation_fee_minor, booking.currency),
            cancellation_fee_gst=major_number(booking.cancellation_fee_gst_minor, booking.currency),
            created_at=booking.created_at,
            updated_at=booking.updated_at,
        )


class TimelineOut(RevModel):
    from_status: str | None
    status: str
    actor_id: int | None
    note: str
    timestamp: datetime

    @classmethod
    def of(cls, event: BookingEvent) -> TimelineOut:
        return cls(
            from_status=event.from_status,
            status=event.to_status,
            actor_id=event.actor_id,
            note=event.note,
            timestamp=event.created_at,
        )


class ProgressOut(RevModel):
    id: int
    booking_id: int
    service_id: int
    status: str
    status_id: int
    notes: str
    updated_by: str | None
    timestamp: datetime
    validated: bool
    validated_at: datetime | None

    @classmethod
    def of(cls, view: bookings.ProgressView) -> ProgressOut:
        progress = view.progress
        return cls(
            id=progress.id,
            booking_id=progress.booking_id,
            service_id=view.service_id,
            status=view.work_status.code,
            status_id=view.work_status.id,
            notes=progress.notes,
            updated_by=mechanic_public_id(progress.updated_by),
            timestamp=progress.created_at,
            validated=progress.validated_at is not None,
            validated_at=progress.validated_at,
        )


class AnalysisOut(RevModel):
    summary: str
    mechanic_id: str | None
    submitted_at: datetime
    edited_at: datetime | None
    approved: bool
    approved_at: datetime | None

    @classmethod
    def of(cls, analysis: BookingAnalysis) -> AnalysisOut:
        return cls(
            summary=analysis.summary,
            mechanic_id=mechanic_public_id(analysis.mechanic_id),
            submitted_at=analysis.submitted_at,
            edited_at=analysis.edited_at,
            approved=analysis.approved_at is not None,
            approved_at=analysis.approved_at,
        )


class MechanicOut(RevModel):
    id: str
    first_name: str
    last_name: str
    phone: str | None

    @classmethod
    def of(cls, user: User) -> MechanicOut:
        return cls(
            id=format_public_id("MEC", user.id),
            first_name=user.first_name,
            last_name=user.last_name,
            phone=user.phone,
        )


class BookingDetailOut(BookingOut):
    timeline: list[TimelineOut]
    progress: list[ProgressOut]
    analysis: AnalysisOut | None
    mechanics: list[MechanicOut]

    @classmethod
    def of_detail(cls, detail: bookings.BookingDetail) -> BookingDetailOut:
        return cls(
            **BookingOut.of(detail.view).model_dump(),
            timeline=[TimelineOut.of(event) for event in detail.timeline],
            progress=[ProgressOut.of(p) for p in detail.progress],
            analysis=AnalysisOut.of(detail.analysis) if detail.analysis else None,
            mechanics=[MechanicOut.of(user) for user in detail.mechanics],
        )


class DashboardOut(RevModel):
    total: int
    page: int
    limit: int
    by_status: dict[str, int]
    bookings: list[BookingOut]


class PaymentOut(RevModel):
    id: int
    booking_id: int
    provider: str
    method: str
    status: str
    amount: Number
    currency: str
    provider_order_id: str | None
    provider_payment_id: str | None
    created_at: datetime
    captured_at: datetime | None

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            booking_id=payment.reference_id,
            provider=payment.provider,
            method=payment.method,
            status=payment.status,
            amount=major_number(payment.amount_minor, payment.currency),
            currency=payment.currency,
            provider_order_id=payment.provider_order_id,
            provider_payment_id=payment.provider_payment_id,
            created_at=payment.created_at,
            captured_at=payment.captured_at,
        )


class PaymentResult(RevModel):
    message: str
    payment: PaymentOut
    booking: BookingOut
