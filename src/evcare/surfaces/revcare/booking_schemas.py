"""How RevCare shows bookings, their items, progress and payments (snake_case)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from evcare.billing.invoices import InvoiceView
from evcare.billing.payment_models import Payment
from evcare.core.ids import format_public_id
from evcare.core.money import Money, major_number
from evcare.identity.models import Role, User
from evcare.service import bookings
from evcare.service.bookings.models import (
    BookingAnalysis,
    BookingEvent,
    BookingFee,
    BookingPart,
    BookingStatus,
    PickupType,
)
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


def spelled(code: str) -> str:
    """One spelling per status on the wire: snake_case, as the booking's states
    (``in_progress``); the work-status master's slugs (``in-progress``) are shown so too."""
    return code.replace("-", "_")


def _status_in(value: Any) -> Any:
    """Old clients may send either spelling (``in-progress`` or ``in_progress``)."""
    return value.strip().lower().replace("-", "_") if isinstance(value, str) else value


StatusFilterValue = Annotated[BookingStatus, BeforeValidator(_status_in)]

ROLE_PREFIX = {Role.ADMIN: "ADM", Role.MECHANIC: "MEC", Role.USER: "CST"}


def person_public_id(user: User) -> str:
    return format_public_id(ROLE_PREFIX.get(Role(user.role), "USR"), user.id)


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


class PartIn(RevIn):
    name: str = Field(min_length=1, max_length=150)
    quantity: int = Field(default=1, ge=1, le=100)
    unit_price: MajorAmount = Field(description="major units, e.g. 350.00")


class FoundLineIn(RevIn):
    service_id: ServiceId = Field(description="a catalogue service not on the booking")
    estimated_cost: MajorAmount = Field(description="labour, major units")
    estimated_time_minutes: int = Field(ge=1, le=10_080)
    note: Notes = ""
    parts: list[PartIn] = Field(default_factory=list, max_length=20)


class FoundWorkIn(RevIn):
    booking_id: BookingId
    items: list[FoundLineIn] = Field(min_length=1, max_length=20)


class FoundDecisionIn(RevIn):
    service_id: ServiceId
    decision: Literal["approve", "decline"]


class FoundDecisionsIn(RevIn):
    decisions: list[FoundDecisionIn] = Field(min_length=1, max_length=20)


class RescheduleIn(RevIn):
    timeslot_id: TimeslotId
    service_date: IsoDate | None = Field(
        default=None, description="in the workshop's time zone; default: the booking's date"
    )
    reason: str = Field(default="", max_length=300)


def found_lines(items: list[FoundLineIn], currency: str = "INR") -> list[bookings.FoundLine]:
    return [
        bookings.FoundLine(
            service_id=item.service_id,
            estimated_cost_minor=Money.from_major(item.estimated_cost, currency).amount_minor,
            estimated_minutes=item.estimated_time_minutes,
            note=item.note,
            parts=[
                bookings.PartDraft(
                    name=part.name,
                    quantity=part.quantity,
                    unit_price_minor=Money.from_major(part.unit_price, currency).amount_minor,
                )
                for part in item.parts
            ],
        )
        for item in items
    ]


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


class PartOut(RevModel):
    name: str
    quantity: int
    unit_price: Number

    @classmethod
    def of(cls, part: BookingPart, currency: str) -> PartOut:
        return cls(
            name=part.name,
            quantity=part.quantity,
            unit_price=major_number(part.unit_price_minor, currency),
        )


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
    found: bool = Field(default=False, description="found at inspection, not booked")
    parts: list[PartOut] = Field(default_factory=list)
    quoted_amount: Number | None = Field(
        default=None, description="a found line's price before GST, approved or not"
    )

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
            status=spelled(line.work_status.code) if line.work_status else None,
            amount=_major(line.amount),
            gst_amount=_major(line.gst),
            found=item.found,
            parts=[PartOut.of(part, currency) for part in line.parts],
            quoted_amount=_major(line.quoted) if line.quoted is not None else None,
        )


class FeeOut(RevModel):
    kind: str
    booking_id: int = Field(description="the booking that was cancelled or rescheduled")
    amount: Number
    gst_amount: Number
    status: str

    @classmethod
    def of(cls, fee: BookingFee) -> FeeOut:
        return cls(
            kind=fee.kind,
            booking_id=fee.booking_id,
            amount=major_number(fee.amount_minor, fee.currency),
            gst_amount=major_number(fee.gst_minor, fee.currency),
            status=fee.status,
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
    slot_starts_at: datetime | None = Field(
        default=None, description="in the workshop's time zone, with its offset"
    )
    slot_ends_at: datetime | None = None
    fees: list[FeeOut] = Field(
        default_factory=list, description="earlier fees added to this booking's payment"
    )
    fees_total: Number = 0
    awaiting_approval: list[int] = Field(
        default_factory=list, description="found lines (service ids) awaiting your decision"
    )

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
            slot_starts_at=view.starts_at,
            slot_ends_at=view.ends_at,
            fees=[FeeOut.of(fee) for fee in view.fees],
            fees_total=_major(view.fees_total),
            awaiting_approval=[line.item.service_id for line in view.awaiting_approval],
        )


class TimelineOut(RevModel):
    from_status: str | None
    status: str
    actor_id: int | None
    note: str
    timestamp: datetime
    actor: str | None = Field(default=None, description="public id: MEC000034, ADM000012, ...")
    actor_role: str | None = Field(default=None, description="admin | mechanic | customer")

    @classmethod
    def of(cls, event: BookingEvent, actors: dict[int, User] | None = None) -> TimelineOut:
        user = (actors or {}).get(event.actor_id) if event.actor_id is not None else None
        return cls(
            from_status=event.from_status,
            status=event.to_status,
            actor_id=event.actor_id,
            note=event.note,
            timestamp=event.created_at,
            actor=person_public_id(user) if user else None,
            actor_role=(
                ("customer" if user.role == Role.USER else str(user.role)) if user else None
            ),
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
            status=spelled(view.work_status.code),
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


class PickupAddressOut(RevModel):
    label: str
    line1: str
    line2: str
    landmark: str
    city: str
    state: str
    pincode: str


class PickupCarOut(RevModel):
    id: int
    registration_number: str | None
    make: str
    model: str


class PickupCustomerOut(RevModel):
    id: str
    first_name: str
    last_name: str
    phone: str | None


class PickupOut(RevModel):
    """What the assigned mechanic needs to do the job: where, which car, whom to call."""

    pickup_type: str
    address: PickupAddressOut | None
    car: PickupCarOut | None
    customer: PickupCustomerOut | None

    @classmethod
    def of(cls, pickup: bookings.Pickup, pickup_type: str) -> PickupOut:
        car, customer = pickup.vehicle, pickup.customer
        return cls(
            pickup_type=pickup_type,
            address=PickupAddressOut.model_validate(pickup.address) if pickup.address else None,
            car=(
                PickupCarOut(
                    id=car.id,
                    registration_number=car.registration_number,
                    make=car.make,
                    model=car.model,
                )
                if car
                else None
            ),
            customer=(
                PickupCustomerOut(
                    id=format_public_id("CST", customer.id),
                    first_name=customer.first_name,
                    last_name=customer.last_name,
                    phone=customer.phone,
                )
                if customer
                else None
            ),
        )


class StatusLinkOut(RevModel):
    path: str = Field(description="GET it without signing in: live status and timeline")
    token: str
    expires_at: datetime


def status_link_out(token: str, expires_at: datetime) -> StatusLinkOut:
    return StatusLinkOut(path=f"/bookings/status/{token}", token=token, expires_at=expires_at)


class BookingDetailOut(BookingOut):
    timeline: list[TimelineOut]
    progress: list[ProgressOut]
    analysis: AnalysisOut | None
    mechanics: list[MechanicOut]
    pickup: PickupOut | None = Field(
        default=None, description="for the assigned mechanic, admins and the customer"
    )
    status_link: StatusLinkOut | None = Field(
        default=None, description="the customer's and admins' only"
    )

    @classmethod
    def of_detail(
        cls, detail: bookings.BookingDetail, secret: bytes | None = None
    ) -> BookingDetailOut:
        link = detail.status_link
        return cls(
            **BookingOut.of(detail.view).model_dump(),
            timeline=[TimelineOut.of(event, detail.actors) for event in detail.timeline],
            progress=[ProgressOut.of(p) for p in detail.progress],
            analysis=AnalysisOut.of(detail.analysis) if detail.analysis else None,
            mechanics=[MechanicOut.of(user) for user in detail.mechanics],
            pickup=(
                PickupOut.of(detail.pickup, detail.view.booking.pickup_type)
                if detail.pickup
                else None
            ),
            status_link=(
                status_link_out(bookings.token_of(link, secret), link.expires_at)
                if link is not None and secret is not None
                else None
            ),
        )


class PublicTimelineOut(RevModel):
    status: str
    timestamp: datetime


class PublicStatusOut(RevModel):
    """The status link's page: first name and car model only, no other personal data."""

    booking_id: int
    first_name: str
    car_model: str | None
    status: str
    service_date: date
    timeline: list[PublicTimelineOut]
    link_expires_at: datetime

    @classmethod
    def of(cls, found: bookings.PublicStatus) -> PublicStatusOut:
        return cls(
            booking_id=found.booking.id,
            first_name=found.first_name,
            car_model=found.car_model,
            status=found.booking.status,
            service_date=found.booking.service_date,
            timeline=[
                PublicTimelineOut(status=e.to_status, timestamp=e.created_at)
                for e in found.timeline
            ],
            link_expires_at=found.expires_at,
        )


class ReceiptItemOut(RevModel):
    description: str
    component: str
    amount: Number


class ReceiptOut(RevModel):
    """A paid booking's invoice in the billing ledger (``?format=pdf`` for the PDF)."""

    invoice_id: int
    invoice_number: str
    booking_id: int
    status: str
    currency: str
    items: list[ReceiptItemOut]
    subtotal: Number
    gst_percent: Number
    gst_amount: Number
    total: Number
    paid_at: datetime | None

    @classmethod
    def of(cls, view: InvoiceView, booking_id: int) -> ReceiptOut:
        invoice, currency = view.invoice, view.invoice.currency
        return cls(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            booking_id=booking_id,
            status=view.status,
            currency=currency,
            items=[
                ReceiptItemOut(
                    description=item.description,
                    component=item.component,
                    amount=major_number(item.amount_minor, currency),
                )
                for item in view.items
            ],
            subtotal=major_number(invoice.subtotal_minor, currency),
            gst_percent=major_number(invoice.tax_bp, "INR"),
            gst_amount=major_number(invoice.tax_minor, currency),
            total=major_number(invoice.total_minor, currency),
            paid_at=invoice.paid_at,
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
