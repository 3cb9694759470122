"""Service bookings: a state machine from booking to payment, every step checked and
written on the booking's timeline, and every status change announced to the customer.

    created -> mechanic_assigned -> analysis_submitted -> analysis_approved
      -> services_confirmed -> in_progress -> completed -> paid
    (cancelled from any state before in_progress)

A step asked of a booking in the wrong state is a 409 that names the state it is in.
Money: items carry the catalogue price at booking and then the mechanic's estimate; GST
(``billing.tax``) is applied to each accepted line and fixed when the customer confirms.
Cancellation: free while no mechanic is assigned, then ``booking_cancellation_fee_percent``
of the net amount plus GST on that fee, refused once work has started.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments as billing
from evcare.billing.payment_models import Payment
from evcare.billing.razorpay import PaymentGateway, SandboxGateway
from evcare.billing.tax import current_gst_percent
from evcare.core.clock import utcnow
from evcare.core.errors import (
    BusinessRuleViolation,
    Conflict,
    FieldError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from evcare.core.events import publish
from evcare.core.ids import format_public_id
from evcare.core.money import Money
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as identity_repository
from evcare.identity.models import Role, User, UserStatus
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import booking_facts
from evcare.service import booking_repository as repository
from evcare.service import repository as catalogue_repository
from evcare.service.booking_models import (
    BookingAnalysis,
    BookingEvent,
    BookingItem,
    BookingProgress,
    BookingStatus,
    ItemDecision,
    PaymentMode,
    PickupType,
    ServiceBooking,
)
from evcare.service.models import MechanicProfile, WorkStatus
from evcare.vehicles import service as vehicles

BOOKING_REFERENCE = "service_booking"
STATUS_TOPIC = "service.booking_status_changed"
MAX_DAYS_AHEAD = 90
CANCELLED_WORK_STATUS = "cancelled"

S = BookingStatus
CANCELLABLE = {
    S.CREATED,
    S.MECHANIC_ASSIGNED,
    S.ANALYSIS_SUBMITTED,
    S.ANALYSIS_APPROVED,
    S.SERVICES_CONFIRMED,
}
MESSAGES = {
    S.CREATED: ("Booking received", "We have your booking and will assign a mechanic soon."),
    S.MECHANIC_ASSIGNED: ("Mechanic assigned", "A mechanic has been assigned to your booking."),
    S.ANALYSIS_SUBMITTED: ("Inspection done", "The mechanic has inspected your vehicle."),
    S.ANALYSIS_APPROVED: (
        "Estimate ready",
        "Your estimate is ready: confirm the services you want and how you will pay.",
    ),
    S.SERVICES_CONFIRMED: ("Services confirmed", "Thank you: the work is scheduled."),
    S.IN_PROGRESS: ("Work started", "Work on your vehicle has started."),
    S.COMPLETED: ("Work completed", "Your vehicle is ready; payment is now due."),
    S.PAID: ("Payment received", "Thank you, your payment has been received."),
    S.CANCELLED: ("Booking cancelled", "Your booking has been cancelled."),
}


# -- views ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    item: BookingItem
    work_status: WorkStatus | None
    amount: Money  # before GST; zero when declined
    gst: Money


@dataclass(frozen=True)
class BookingView:
    booking: ServiceBooking
    lines: list[Line]
    gst_percent: Decimal
    subtotal: Money
    gst: Money
    payment: Payment | None

    @property
    def total(self) -> Money:
        return self.subtotal + self.gst

    @property
    def payment_status(self) -> str:
        return self.payment.status if self.payment is not None else "unpaid"


@dataclass(frozen=True)
class BookingDetail:
    view: BookingView
    timeline: list[BookingEvent]
    progress: list[ProgressView]
    analysis: BookingAnalysis | None
    mechanics: list[User]


@dataclass(frozen=True)
class ProgressView:
    progress: BookingProgress
    service_id: int
    work_status: WorkStatus


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[str, int]
    page: Page[BookingView]


@dataclass(frozen=True)
class ItemEstimate:
    service_id: int
    estimated_cost_minor: int
    estimated_minutes: int
    note: str = ""


@dataclass(frozen=True)
class ServiceRequest:
    service_id: int
    quantity: int = 1


@dataclass
class _Totals:
    subtotal: int = 0
    gst: int = 0
    lines: list[Line] = field(default_factory=list)


def line_amount(item: BookingItem) -> int:
    if item.decision == ItemDecision.DECLINED:
        return 0
    if item.estimated_cost_minor is not None:
        return item.estimated_cost_minor
    return item.unit_price_minor * item.quantity


async def _views(session: AsyncSession, bookings: Sequence[ServiceBooking]) -> list[BookingView]:
    ids = [b.id for b in bookings]
    items = await repository.items_of(session, ids)
    statuses = await repository.work_statuses(
        session, [i.work_status_id for i in items if i.work_status_id is not None]
    )
    payments = await billing.latest_payments(session, BOOKING_REFERENCE, ids)
    current: Decimal | None = None
    views = []
    for booking in bookings:
        if booking.gst_basis_points is not None:
            percent = Decimal(booking.gst_basis_points) / 100
        else:
            current = current if current is not None else await current_gst_percent(session)
            percent = current
        totals = _Totals()
        for item in (i for i in items if i.booking_id == booking.id):
            amount = Money(line_amount(item), booking.currency)
            gst = amount.percent(percent)
            totals.subtotal += amount.amount_minor
            totals.gst += gst.amount_minor
            status = statuses.get(item.work_status_id) if item.work_status_id else None
            totals.lines.append(Line(item, status, amount, gst))
        views.append(
            BookingView(
                booking=booking,
                lines=totals.lines,
                gst_percent=percent.quantize(Decimal("0.01")),
                subtotal=Money(totals.subtotal, booking.currency),
                gst=Money(totals.gst, booking.currency),
                payment=payments.get(booking.id),
            )
        )
    return views


async def view_of(session: AsyncSession, booking: ServiceBooking) -> BookingView:
    (view,) = await _views(session, [booking])
    return view


# -- transitions ------------------------------------------------------------------------


def _refuse(booking: ServiceBooking, action: str) -> Conflict:
    return Conflict(
        f"Booking {booking.id} is {booking.status}: cannot {action}",
        current_status=booking.status,
    )


def _require(booking: ServiceBooking, allowed: set[BookingStatus], action: str) -> None:
    if booking.status not in allowed:
        raise _refuse(booking, action)


async def _record(
    session: AsyncSession,
    booking: ServiceBooking,
    to: BookingStatus,
    *,
    actor: int | None,
    note: str = "",
    first: bool = False,
) -> None:
    """Move ``booking`` to ``to``: timeline row, and the customer is told (after commit)."""
    previous = None if first else booking.status
    booking.status = to
    booking.updated_at = utcnow()
    await session.flush()
    session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=previous,
            to_status=to,
            actor_id=actor,
            note=note[:500],
        )
    )
    title, message = MESSAGES[to]
    await publish(
        session,
        STATUS_TOPIC,
        {
            "user_id": booking.customer_id,
            "category": "booking",
            "title": title,
            "message": message,
            "data": {"booking_id": booking.id, "status": str(to), "previous_status": previous},
        },
    )


async def _note(session: AsyncSession, booking: ServiceBooking, *, actor: int, note: str) -> None:
    """A timeline entry within the current status (an edit, a validated progress report)."""
    session.add(
        BookingEvent(
            booking_id=booking.id,
            from_status=booking.status,
            to_status=booking.status,
            actor_id=actor,
            note=note[:500],
        )
    )
    booking.updated_at = utcnow()
    await session.flush()


async def _load(
    session: AsyncSession, principal: Principal, booking_id: int, *, lock: bool = True
) -> ServiceBooking:
    booking = await repository.get_booking(session, booking_id, principal=principal, lock=lock)
    if booking is None:
        raise NotFound(f"Booking {booking_id} not found")
    return booking


async def _load_as_customer(
    session: AsyncSession, principal: Principal, booking_id: int
) -> ServiceBooking:
    """The caller's own booking (admins may act for the customer)."""
    booking = await _load(session, principal, booking_id)
    if booking.customer_id != principal.user_id and not principal.has(Scope.MANAGE_BOOKINGS):
        raise NotFound(f"Booking {booking_id} not found")
    return booking


async def _load_as_mechanic(
    session: AsyncSession, principal: Principal, booking_id: int
) -> ServiceBooking:
    """A booking assigned to the calling mechanic; anyone else's is a 404."""
    booking = await repository.get_booking(session, booking_id, principal=None, lock=True)
    if booking is None or booking.mechanic_id != principal.user_id:
        raise NotFound(f"Booking {booking_id} not found")
    return booking


# -- customer ---------------------------------------------------------------------------


async def create_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    customer_id: int | None,
    vehicle_id: int,
    pickup_type: PickupType,
    timeslot_id: int,
    service_date: date | None,
    address_id: int | None,
    services: Sequence[ServiceRequest],
    notes: str,
) -> BookingView:
    """Book services for a vehicle in a timeslot; a full slot is a 409."""
    customer = customer_id if customer_id is not None else principal.user_id
    if customer != principal.user_id:
        if not principal.has(Scope.MANAGE_BOOKINGS):
            raise Forbidden("customer_id must be your own (only admins book for others)")
        user = await identity_repository.get_user(session, customer)
        if user is None or user.role != Role.USER:
            raise NotFound(f"Customer {format_public_id('CST', customer)} not found")
    vehicle = await vehicles.get_vehicle(session, vehicle_id)
    if vehicle.owner_id != customer:
        raise NotFound(f"Vehicle {vehicle_id} not found")

    today = utcnow().date()
    day = service_date or today
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationFailed(
            f"service_date must be between today and {MAX_DAYS_AHEAD} days ahead",
            fields=[FieldError("service_date", f"today to {MAX_DAYS_AHEAD} days ahead")],
        )
    ids = [request.service_id for request in services]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "services: each service_id may appear once (use quantity)",
            fields=[FieldError("services", "duplicate service_id")],
        )
    found = {s.id: s for s in await catalogue_repository.get_services(session, ids)}
    for service_id in ids:
        if service_id not in found or not found[service_id].is_active:
            raise NotFound(f"Service {service_id} not found")
    currencies = {s.currency for s in found.values()}
    if len(currencies) != 1:
        raise BusinessRuleViolation("All services of a booking must be priced in one currency")

    address = None
    if pickup_type == PickupType.DOORSTEP or address_id is not None:
        address = await repository.customer_address(
            session, customer_id=customer, address_id=address_id
        )
        if address is None:
            if address_id is not None:
                raise NotFound(f"Address {address_id} not found")
            raise BusinessRuleViolation("Doorstep pickup needs an address: add one first")
        if pickup_type == PickupType.DOORSTEP:
            covered = await catalogue_repository.serviceable_pincodes(session, [address.pincode])
            if address.pincode not in covered:
                raise BusinessRuleViolation(
                    f"Doorstep pickup is not available at pincode {address.pincode}; "
                    "choose drop_off"
                )

    slot = await repository.lock_timeslot(session, timeslot_id)
    if slot is None or not slot.is_active:
        raise NotFound(f"Timeslot {timeslot_id} not found")
    taken = (
        await repository.bookings_per_timeslot(
            session, service_date=day, timeslot_ids=[timeslot_id]
        )
    )[timeslot_id]
    if taken >= slot.capacity:
        raise Conflict(
            f"Timeslot {timeslot_id} on {day.isoformat()} is full "
            f"({taken} of {slot.capacity} places taken): choose another slot or date"
        )

    booking = ServiceBooking(
        customer_id=customer,
        vehicle_id=vehicle.id,
        timeslot_id=timeslot_id,
        service_date=day,
        pickup_type=pickup_type,
        address_id=address.id if address else None,
        notes=notes,
        currency=currencies.pop(),
        status=S.CREATED,
    )
    session.add(booking)
    await session.flush()
    for request in services:
        service = found[request.service_id]
        session.add(
            BookingItem(
                booking_id=booking.id,
                service_id=service.id,
                service_name=service.name,
                quantity=request.quantity,
                unit_price_minor=service.price_minor,
            )
        )
    await _record(
        session, booking, S.CREATED, actor=principal.user_id, note=notes[:200], first=True
    )
    return await view_of(session, booking)


async def list_customer_bookings(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    customer_id: int | None,
    status: BookingStatus | None,
) -> Page[BookingView]:
    """The caller's bookings, newest first; admins may name a customer."""
    customer = customer_id if customer_id is not None else principal.user_id
    if customer != principal.user_id and not principal.has(Scope.MANAGE_BOOKINGS):
        raise NotFound(f"Customer {format_public_id('CST', customer)} not found")
    page = await repository.list_bookings(session, params, customer_id=customer, status=status)
    return Page(items=await _views(session, page.items), total=page.total, params=params)


async def get_booking(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> BookingDetail:
    """Services, timeline, progress and mechanics of a booking the caller may read."""
    booking = await _load(session, principal, booking_id, lock=False)
    progress = await repository.progress_of(session, booking.id)
    items = {i.id: i.service_id for i in await repository.items_of(session, [booking.id])}
    statuses = await repository.work_statuses(session, [p.work_status_id for p in progress])
    mechanic_ids = {booking.mechanic_id} | {p.updated_by for p in progress}
    mechanics = [
        user
        for key in sorted(k for k in mechanic_ids if k is not None)
        if (user := await identity_repository.get_user(session, key)) is not None
        and user.role == Role.MECHANIC
    ]
    return BookingDetail(
        view=await view_of(session, booking),
        timeline=await repository.timeline_of(session, booking.id),
        progress=[ProgressView(p, items[p.item_id], statuses[p.work_status_id]) for p in progress],
        analysis=await repository.get_analysis(session, booking.id),
        mechanics=mechanics,
    )


async def confirm_services(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    declined_service_ids: Sequence[int],
    payment_mode: PaymentMode,
) -> BookingView:
    """The customer accepts the approved estimate, item by item, and picks how to pay.

    Declined items are not done and not charged; at least one item must stay.
    """
    booking = await _load_as_customer(session, principal, booking_id)
    _require(booking, {S.ANALYSIS_APPROVED}, "confirm services")
    items = await repository.items_of(session, [booking.id])
    declined = set(declined_service_ids)
    unknown = declined - {i.service_id for i in items}
    if unknown:
        raise ValidationFailed(
            f"declined_service_ids: service {min(unknown)} is not on this booking",
            fields=[FieldError("declined_service_ids", "not on this booking")],
        )
    if declined >= {i.service_id for i in items}:
        raise BusinessRuleViolation(
            "At least one service must be accepted; cancel the booking instead"
        )
    for item in items:
        item.decision = (
            ItemDecision.DECLINED if item.service_id in declined else ItemDecision.ACCEPTED
        )
    booking.payment_mode = payment_mode
    booking.gst_basis_points = int(await current_gst_percent(session) * 100)
    names = ", ".join(i.service_name for i in items if i.service_id in declined)
    await _record(
        session,
        booking,
        S.SERVICES_CONFIRMED,
        actor=principal.user_id,
        note=f"payment: {payment_mode}" + (f"; declined: {names}" if names else ""),
    )
    return await view_of(session, booking)


async def cancel_booking(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    reason: str,
    fee_percent: int,
) -> BookingView:
    """Free before a mechanic is assigned; after that ``fee_percent`` of the net amount plus
    GST on the fee; refused once work has started."""
    booking = await _load_as_customer(session, principal, booking_id)
    if booking.status not in CANCELLABLE:
        raise _refuse(booking, "cancel (work has started or the booking is closed)")
    if booking.status != S.CREATED:
        # The fee is a charge like any other: a percentage of the net amount, plus its GST.
        view = await view_of(session, booking)
        fee = view.subtotal.percent(fee_percent)
        gst = fee.percent(view.gst_percent)
        booking.cancellation_fee_minor = (fee + gst).amount_minor
        booking.cancellation_fee_gst_minor = gst.amount_minor
    booking.cancelled_at = utcnow()
    await billing.cancel_open(session, reference=billing.Reference(BOOKING_REFERENCE, booking.id))
    await _record(session, booking, S.CANCELLED, actor=principal.user_id, note=reason)
    return await view_of(session, booking)


# -- admin ------------------------------------------------------------------------------


async def assign_mechanic(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    mechanic_id: int,
    note: str,
) -> BookingView:
    """Assign (or, before the analysis, reassign) an active, available mechanic."""
    booking = await _load(session, principal, booking_id)
    _require(booking, {S.CREATED, S.MECHANIC_ASSIGNED}, "assign a mechanic")
    mechanic = await identity_repository.get_user(session, mechanic_id)
    if mechanic is None or mechanic.role != Role.MECHANIC:
        raise NotFound(f"Mechanic {format_public_id('MEC', mechanic_id)} not found")
    if mechanic.status != UserStatus.ACTIVE:
        raise BusinessRuleViolation(
            f"Mechanic {format_public_id('MEC', mechanic_id)} is not active"
        )
    profile = await session.get(MechanicProfile, mechanic_id)
    if profile is not None and not profile.is_available:
        raise BusinessRuleViolation(
            f"Mechanic {format_public_id('MEC', mechanic_id)} is not available"
        )
    booking.mechanic_id = mechanic_id
    text = f"mechanic {format_public_id('MEC', mechanic_id)}" + (f": {note}" if note else "")
    await _record(session, booking, S.MECHANIC_ASSIGNED, actor=principal.user_id, note=text)
    await publish(
        session,
        STATUS_TOPIC,
        {
            "user_id": mechanic_id,
            "category": "assignment",
            "title": "New job assigned",
            "message": f"Booking {booking.id} on {booking.service_date.isoformat()} is yours.",
            "data": {"booking_id": booking.id, "status": str(S.MECHANIC_ASSIGNED)},
        },
    )
    return await view_of(session, booking)


async def _apply_estimates(
    session: AsyncSession,
    booking: ServiceBooking,
    estimates: Sequence[ItemEstimate],
    *,
    require_all: bool,
) -> None:
    items = {i.service_id: i for i in await repository.items_of(session, [booking.id])}
    given = [e.service_id for e in estimates]
    if len(set(given)) != len(given):
        raise ValidationFailed(
            "items: each service_id may appear once",
            fields=[FieldError("items", "duplicate service_id")],
        )
    for estimate in estimates:
        if estimate.service_id not in items:
            raise ValidationFailed(
                f"items: service {estimate.service_id} is not on booking {booking.id}",
                fields=[FieldError("items", "service not on this booking")],
            )
    missing = set(items) - set(given)
    if require_all and missing:
        raise ValidationFailed(
            f"items: every service needs an estimate; missing {sorted(missing)}",
            fields=[FieldError("items", "estimate every service on the booking")],
        )
    for estimate in estimates:
        item = items[estimate.service_id]
        item.estimated_cost_minor = estimate.estimated_cost_minor
        item.estimated_minutes = estimate.estimated_minutes
        item.analysis_note = estimate.note
    await session.flush()


async def edit_analysis(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    summary: str | None,
    estimates: Sequence[ItemEstimate],
) -> BookingDetail:
    """An admin corrects the submitted analysis before approving it."""
    booking = await _load(session, principal, booking_id)
    _require(booking, {S.ANALYSIS_SUBMITTED}, "edit the analysis")
    analysis = await repository.get_analysis(session, booking.id)
    assert analysis is not None  # analysis_submitted always has one
    await _apply_estimates(session, booking, estimates, require_all=False)
    if summary is not None:
        analysis.summary = summary
    analysis.edited_by = principal.user_id
    analysis.edited_at = utcnow()
    await _note(session, booking, actor=principal.user_id, note="analysis edited by admin")
    return await get_booking(session, principal, booking_id=booking.id)


async def approve_analysis(
    session: AsyncSession, principal: Principal, *, booking_id: int, note: str
) -> BookingDetail:
    booking = await _load(session, principal, booking_id)
    _require(booking, {S.ANALYSIS_SUBMITTED}, "approve the analysis")
    analysis = await repository.get_analysis(session, booking.id)
    assert analysis is not None
    analysis.approved_by = principal.user_id
    analysis.approved_at = utcnow()
    await _record(session, booking, S.ANALYSIS_APPROVED, actor=principal.user_id, note=note)
    return await get_booking(session, principal, booking_id=booking.id)


async def _progress_view(
    session: AsyncSession, progress: BookingProgress, status: WorkStatus | None = None
) -> ProgressView:
    item = await session.get(BookingItem, progress.item_id)
    assert item is not None
    if status is None:
        status = (await repository.work_statuses(session, [progress.work_status_id]))[
            progress.work_status_id
        ]
    return ProgressView(progress, item.service_id, status)


async def _work_status(session: AsyncSession, status_id: int) -> WorkStatus:
    status = (await repository.work_statuses(session, [status_id])).get(status_id)
    if status is None:
        raise NotFound(f"Status {status_id} not found")
    return status


async def _load_progress(
    session: AsyncSession, principal: Principal, progress_id: int
) -> tuple[BookingProgress, ServiceBooking]:
    progress = await repository.get_progress(session, progress_id, lock=True)
    if progress is None:
        raise NotFound(f"Progress {progress_id} not found")
    booking = await _load(session, principal, progress.booking_id)
    return progress, booking


async def edit_progress(
    session: AsyncSession,
    principal: Principal,
    *,
    progress_id: int,
    status_id: int | None,
    notes: str | None,
) -> ProgressView:
    """An admin corrects a report before validating it."""
    progress, booking = await _load_progress(session, principal, progress_id)
    _require(booking, {S.IN_PROGRESS}, "edit progress")
    if progress.validated_at is not None:
        raise Conflict(f"Progress {progress_id} is already validated")
    status = await _work_status(session, status_id) if status_id is not None else None
    if status is not None:
        progress.work_status_id = status.id
    if notes is not None:
        progress.notes = notes
    progress.edited_by = principal.user_id
    progress.edited_at = utcnow()
    await session.flush()
    return await _progress_view(session, progress, status)


async def validate_progress(
    session: AsyncSession, principal: Principal, *, progress_id: int
) -> ProgressView:
    """The report becomes the item's status; when every accepted item has reached a final
    status the booking is completed."""
    progress, booking = await _load_progress(session, principal, progress_id)
    _require(booking, {S.IN_PROGRESS}, "validate progress")
    if progress.validated_at is not None:
        raise Conflict(f"Progress {progress_id} is already validated")
    status = await _work_status(session, progress.work_status_id)
    progress.validated_by = principal.user_id
    progress.validated_at = utcnow()
    items = await repository.items_of(session, [booking.id])
    item = next(i for i in items if i.id == progress.item_id)
    item.work_status_id = status.id
    if status.code == CANCELLED_WORK_STATUS:
        item.decision = ItemDecision.DECLINED  # not done, so not charged
    await _note(
        session, booking, actor=principal.user_id, note=f"{item.service_name}: {status.name}"
    )
    accepted = [i for i in items if i.decision == ItemDecision.ACCEPTED]
    finals = await repository.work_statuses(
        session, [i.work_status_id for i in accepted if i.work_status_id is not None]
    )
    done = all(i.work_status_id is not None and finals[i.work_status_id].is_final for i in accepted)
    if done:
        booking.completed_at = utcnow()
        if not accepted:
            booking.cancelled_at = utcnow()
            await _record(
                session, booking, S.CANCELLED, actor=principal.user_id, note="no work left"
            )
        else:
            await _record(session, booking, S.COMPLETED, actor=principal.user_id)
    return await _progress_view(session, progress, status)


async def dashboard(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: BookingStatus | None,
    customer_id: int | None,
    mechanic_id: int | None,
    date_from: date | None,
    date_to: date | None,
) -> Dashboard:
    """Counts per status (under the same filters) and the matching bookings."""
    if date_from and date_to and date_from > date_to:
        raise ValidationFailed(
            "from_date must not be after to_date", fields=[FieldError("from_date", "after to_date")]
        )
    counts = await repository.count_by_status(
        session,
        customer_id=customer_id,
        mechanic_id=mechanic_id,
        date_from=date_from,
        date_to=date_to,
    )
    page = await repository.list_bookings(
        session,
        params,
        status=status,
        customer_id=customer_id,
        mechanic_id=mechanic_id,
        date_from=date_from,
        date_to=date_to,
    )
    views = await _views(session, page.items)
    return Dashboard(
        by_status={s.value: counts.get(s.value, 0) for s in BookingStatus},
        page=Page(items=views, total=page.total, params=params),
    )


# -- mechanic ---------------------------------------------------------------------------


async def mechanic_assignments(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    status: BookingStatus | None,
) -> Page[BookingView]:
    """The calling mechanic's own jobs, newest first."""
    page = await repository.list_bookings(
        session, params, mechanic_id=principal.user_id, status=status
    )
    return Page(items=await _views(session, page.items), total=page.total, params=params)


async def submit_analysis(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    summary: str,
    estimates: Sequence[ItemEstimate],
) -> BookingDetail:
    """The assigned mechanic estimates cost and time for every service on the booking
    (resubmitting replaces the estimate until an admin approves it)."""
    booking = await _load_as_mechanic(session, principal, booking_id)
    _require(booking, {S.MECHANIC_ASSIGNED, S.ANALYSIS_SUBMITTED}, "submit an analysis")
    await _apply_estimates(session, booking, estimates, require_all=True)
    analysis = await repository.get_analysis(session, booking.id)
    if analysis is None:
        analysis = BookingAnalysis(booking_id=booking.id)
        session.add(analysis)
    analysis.mechanic_id = principal.user_id
    analysis.summary = summary
    analysis.submitted_at = utcnow()
    analysis.edited_by = analysis.edited_at = None
    await session.flush()
    if booking.status == S.ANALYSIS_SUBMITTED:
        await _note(session, booking, actor=principal.user_id, note="analysis resubmitted")
    else:
        await _record(session, booking, S.ANALYSIS_SUBMITTED, actor=principal.user_id)
    return await get_booking(session, principal, booking_id=booking.id)


async def record_progress(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    service_id: int,
    status_id: int,
    notes: str,
) -> ProgressView:
    """The assigned mechanic reports on one accepted item; the first report starts work."""
    booking = await _load_as_mechanic(session, principal, booking_id)
    _require(booking, {S.SERVICES_CONFIRMED, S.IN_PROGRESS}, "record progress")
    items = await repository.items_of(session, [booking.id])
    item = next((i for i in items if i.service_id == service_id), None)
    if item is None:
        raise NotFound(f"Service {service_id} is not on booking {booking_id}")
    if item.decision != ItemDecision.ACCEPTED:
        raise BusinessRuleViolation(f"Service {service_id} was declined by the customer")
    status = await _work_status(session, status_id)
    progress = BookingProgress(
        booking_id=booking.id,
        item_id=item.id,
        work_status_id=status.id,
        notes=notes,
        updated_by=principal.user_id,
    )
    session.add(progress)
    await session.flush()
    if booking.status == S.SERVICES_CONFIRMED:
        await _record(session, booking, S.IN_PROGRESS, actor=principal.user_id)
    return ProgressView(progress, service_id, status)


# -- payments ---------------------------------------------------------------------------

PAYABLE_COD = {S.SERVICES_CONFIRMED, S.IN_PROGRESS, S.COMPLETED}


def _reference(booking: ServiceBooking) -> billing.Reference:
    return billing.Reference(BOOKING_REFERENCE, booking.id)


async def reserve_cash_on_delivery(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """The customer will pay cash when the work is delivered."""
    booking = await _load_as_customer(session, principal, booking_id)
    _require(booking, PAYABLE_COD, "reserve cash on delivery")
    view = await view_of(session, booking)
    payment = await billing.reserve_cash(
        session,
        reference=_reference(booking),
        payer_id=booking.customer_id,
        amount_minor=view.total.amount_minor,
        currency=booking.currency,
    )
    if booking.payment_mode != PaymentMode.COD:
        booking.payment_mode = PaymentMode.COD
        await _note(session, booking, actor=principal.user_id, note="payment: cod")
    return payment, await view_of(session, booking)


async def _mark_paid(
    session: AsyncSession, booking: ServiceBooking, *, actor: int | None, note: str
) -> None:
    if booking.status == S.PAID:
        return
    _require(booking, {S.COMPLETED}, "take payment")
    booking.paid_at = utcnow()
    await _record(session, booking, S.PAID, actor=actor, note=note)


async def confirm_cash_collected(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """An admin or the assigned mechanic confirms the cash was collected (idempotent)."""
    booking = await repository.get_booking(session, booking_id, principal=None, lock=True)
    if booking is None or not (
        principal.has(Scope.MANAGE_BOOKINGS) or booking.mechanic_id == principal.user_id
    ):
        raise NotFound(f"Booking {booking_id} not found")
    _require(booking, {S.COMPLETED, S.PAID}, "confirm cash collection")
    view = await view_of(session, booking)
    capture = await billing.collect_cash(
        session,
        reference=_reference(booking),
        collected_by=principal.user_id,
        amount_minor=view.total.amount_minor,
    )
    if capture.newly_captured:
        await _mark_paid(session, booking, actor=principal.user_id, note="cash collected")
    return capture.payment, await view_of(session, booking)


async def open_online_payment(
    session: AsyncSession, principal: Principal, gateway: PaymentGateway, *, booking_id: int
) -> tuple[Payment, BookingView]:
    """A Razorpay order for the booking total, once the work is completed."""
    booking = await _load_as_customer(session, principal, booking_id)
    _require(booking, {S.COMPLETED}, "pay online (payment is due once the work is completed)")
    view = await view_of(session, booking)
    payment = await billing.open_online_order(
        session,
        gateway,
        reference=_reference(booking),
        payer_id=booking.customer_id,
        amount_minor=view.total.amount_minor,
        currency=booking.currency,
        receipt=f"booking-{booking.id}",
    )
    if booking.payment_mode != PaymentMode.ONLINE:
        booking.payment_mode = PaymentMode.ONLINE
        await session.flush()
    return payment, await view_of(session, booking)


async def _booking_of_order(
    session: AsyncSession, principal: Principal, order_id: str
) -> ServiceBooking | None:
    """The caller's booking an order pays for, locked (before its payment is, as always)."""
    reference = await billing.order_reference(session, order_id)
    if reference is None or reference.type != BOOKING_REFERENCE:
        return None
    booking = await repository.get_booking(session, reference.id, principal=principal, lock=True)
    if booking is None or (
        booking.customer_id != principal.user_id and not principal.has(Scope.MANAGE_BOOKINGS)
    ):
        return None
    return booking


async def verify_online_payment(
    session: AsyncSession,
    principal: Principal,
    gateway: PaymentGateway,
    *,
    order_id: str,
    payment_id: str,
    signature: str,
    booking_id: int | None = None,
) -> tuple[Payment, BookingView]:
    """Checkout's signature over our stored order id; a valid one marks the booking paid.

    When the caller names the booking, the order must be that booking's (checked before
    anything is verified or recorded)."""
    booking = await _booking_of_order(session, principal, order_id)
    if booking is None:
        raise NotFound(f"Order {order_id} not found")
    if booking_id is not None and booking_id != booking.id:
        raise NotFound(f"Order {order_id} is not for booking {booking_id}")
    capture = await billing.verify_checkout(
        session, gateway, order_id=order_id, payment_id=payment_id, signature=signature
    )
    if capture.newly_captured:
        await _mark_paid(session, booking, actor=principal.user_id, note=f"online {payment_id}")
    return capture.payment, await view_of(session, booking)


async def receive_payment_webhook(
    session: AsyncSession,
    gateway: PaymentGateway,
    *,
    body: bytes,
    signature: str | None,
    event_id: str | None,
) -> billing.WebhookOutcome:
    """Razorpay's server-to-server notice; a captured payment marks its booking paid."""
    locked: list[ServiceBooking] = []

    async def lock_booking(reference: billing.Reference) -> None:
        if reference.type == BOOKING_REFERENCE:
            booking = await repository.get_booking(session, reference.id, principal=None, lock=True)
            if booking is not None:
                locked.append(booking)

    outcome = await billing.receive_webhook(
        session,
        gateway,
        body=body,
        signature=signature,
        event_id=event_id,
        lock_reference=lock_booking,
    )
    capture = outcome.capture
    if capture is not None and capture.newly_captured and locked:
        await _mark_paid(session, locked[0], actor=None, note="online (webhook)")
    return outcome


async def sandbox_checkout(
    session: AsyncSession, principal: Principal, gateway: PaymentGateway, *, order_id: str
) -> tuple[str, str]:
    """What Razorpay Checkout would return to the browser, from the local sandbox only."""
    if not isinstance(gateway, SandboxGateway):
        raise NotFound("The sandbox checkout exists only while no Razorpay keys are configured")
    booking = await _booking_of_order(session, principal, order_id)
    if booking is None:
        raise NotFound(f"Order {order_id} not found")
    return gateway.checkout(order_id)


# -- facts for the catalogue --------------------------------------------------------------


class _Facts:
    async def customer_completed_service(
        self, session: AsyncSession, *, user_id: int, service_id: int
    ) -> bool:
        return await repository.customer_completed_service(
            session, user_id=user_id, service_id=service_id
        )

    async def bookings_per_timeslot(
        self, session: AsyncSession, *, service_date: date, timeslot_ids: Sequence[int]
    ) -> dict[int, int]:
        return await repository.bookings_per_timeslot(
            session, service_date=service_date, timeslot_ids=timeslot_ids
        )


booking_facts.provide(_Facts())
