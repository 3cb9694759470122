"""What a booking looks like to its readers: lines with their GST, totals, the latest
payment, the timeline and progress; and the reads (one booking, a customer's, a mechanic's,
the admin dashboard)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing import payments as billing
from evcare.billing.payment_models import Payment
from evcare.billing.tax import current_gst_percent
from evcare.core.errors import FieldError, NotFound, ValidationFailed
from evcare.core.ids import format_public_id
from evcare.core.money import Money
from evcare.core.pagination import Page, PageParams
from evcare.identity import repository as identity_repository
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import scheduling
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import (
    BookingAnalysis,
    BookingEvent,
    BookingFee,
    BookingItem,
    BookingLink,
    BookingPart,
    BookingProgress,
    BookingStatus,
    ItemDecision,
    ServiceBooking,
)
from evcare.service.models import Address, Timeslot, WorkStatus
from evcare.vehicles.models import Vehicle

BOOKING_REFERENCE = "service_booking"


@dataclass(frozen=True)
class Line:
    item: BookingItem
    work_status: WorkStatus | None
    amount: Money  # before GST; zero when declined (or found and not yet approved)
    gst: Money
    parts: list[BookingPart] = field(default_factory=list)
    quoted: Money | None = None  # a found line's price before GST, approved or not


@dataclass(frozen=True)
class BookingView:
    booking: ServiceBooking
    lines: list[Line]
    gst_percent: Decimal
    subtotal: Money
    gst: Money
    payment: Payment | None
    # Fees (earlier cancellations, reschedules) added to this booking's payment, gross.
    fees: list[BookingFee] = field(default_factory=list)
    # The slot on the service date, in the workshop's time zone.
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @property
    def fees_total(self) -> Money:
        return Money(sum(fee.amount_minor for fee in self.fees), self.subtotal.currency)

    @property
    def total(self) -> Money:
        return self.subtotal + self.gst + self.fees_total

    @property
    def awaiting_approval(self) -> list[Line]:
        """Found lines the customer has not decided yet (a supplementary estimate)."""
        return [
            line
            for line in self.lines
            if line.item.found and line.item.decision == ItemDecision.PENDING
        ]

    @property
    def payment_status(self) -> str:
        return self.payment.status if self.payment is not None else "unpaid"


@dataclass(frozen=True)
class Pickup:
    """What the assigned mechanic needs to do the job (shown to its readers only)."""

    address: Address | None
    vehicle: Vehicle | None
    customer: User | None


@dataclass(frozen=True)
class BookingDetail:
    view: BookingView
    timeline: list[BookingEvent]
    progress: list[ProgressView]
    analysis: BookingAnalysis | None
    mechanics: list[User]
    actors: dict[int, User] = field(default_factory=dict)  # the timeline's actors
    pickup: Pickup | None = None
    status_link: BookingLink | None = None


@dataclass(frozen=True)
class ProgressView:
    progress: BookingProgress
    service_id: int
    work_status: WorkStatus


@dataclass(frozen=True)
class Dashboard:
    by_status: dict[str, int]
    page: Page[BookingView]


@dataclass
class _Totals:
    subtotal: int = 0
    gst: int = 0
    lines: list[Line] = field(default_factory=list)


def quoted_amount(item: BookingItem, parts: Sequence[BookingPart] = ()) -> int:
    """The line's price before GST whatever its decision: the estimate (or the catalogue
    price times quantity) plus its parts."""
    labour = (
        item.estimated_cost_minor
        if item.estimated_cost_minor is not None
        else item.unit_price_minor * item.quantity
    )
    return labour + sum(part.unit_price_minor * part.quantity for part in parts)


def line_amount(item: BookingItem, parts: Sequence[BookingPart] = ()) -> int:
    """What the line charges: nothing when declined, nor while a found line awaits the
    customer's approval."""
    if item.decision == ItemDecision.DECLINED:
        return 0
    if item.found and item.decision == ItemDecision.PENDING:
        return 0
    return quoted_amount(item, parts)


async def views_of(session: AsyncSession, bookings: Sequence[ServiceBooking]) -> list[BookingView]:
    ids = [b.id for b in bookings]
    items = await repository.items_of(session, ids)
    statuses = await repository.work_statuses(
        session, [i.work_status_id for i in items if i.work_status_id is not None]
    )
    payments = await billing.latest_payments(session, BOOKING_REFERENCE, ids)
    parts = await repository.parts_of(session, [i.id for i in items if i.found])
    fees = await repository.fees_carried_to(session, ids)
    slots = await repository.timeslots_by_id(session, {b.timeslot_id for b in bookings})
    zone = await scheduling.workshop_zone(session) if bookings else None
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
            own = parts.get(item.id, [])
            amount = Money(line_amount(item, own), booking.currency)
            gst = amount.percent(percent)
            totals.subtotal += amount.amount_minor
            totals.gst += gst.amount_minor
            status = statuses.get(item.work_status_id) if item.work_status_id else None
            quoted = Money(quoted_amount(item, own), booking.currency) if item.found else None
            totals.lines.append(Line(item, status, amount, gst, own, quoted))
        views.append(
            BookingView(
                booking=booking,
                lines=totals.lines,
                gst_percent=percent.quantize(Decimal("0.01")),
                subtotal=Money(totals.subtotal, booking.currency),
                gst=Money(totals.gst, booking.currency),
                payment=payments.get(booking.id),
                fees=fees.get(booking.id, []),
                **_window(slots.get(booking.timeslot_id), booking, zone),
            )
        )
    return views


def _window(
    slot: Timeslot | None, booking: ServiceBooking, zone: ZoneInfo | None
) -> dict[str, datetime]:
    if slot is None or zone is None:
        return {}
    starts_at, ends_at = scheduling.slot_window(slot, booking.service_date, zone)
    return {"starts_at": starts_at, "ends_at": ends_at}


async def view_of(session: AsyncSession, booking: ServiceBooking) -> BookingView:
    (view,) = await views_of(session, [booking])
    return view


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
    return Page(items=await views_of(session, page.items), total=page.total, params=params)


async def list_vehicle_bookings(
    session: AsyncSession, params: PageParams, *, vehicle_id: int
) -> Page[BookingView]:
    """A vehicle's service bookings, newest first (the caller decided it may see the
    vehicle: a fleet's service history)."""
    page = await repository.list_bookings(session, params, vehicle_id=vehicle_id)
    return Page(items=await views_of(session, page.items), total=page.total, params=params)


async def get_booking(
    session: AsyncSession, principal: Principal, *, booking_id: int
) -> BookingDetail:
    """Services, timeline, progress and mechanics of a booking the caller may read."""
    booking = await lifecycle.load(session, principal, booking_id, lock=False)
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
    timeline = await repository.timeline_of(session, booking.id)
    actors = await identity_repository.users_by_ids(
        session, {e.actor_id for e in timeline if e.actor_id is not None}
    )
    return BookingDetail(
        view=await view_of(session, booking),
        timeline=timeline,
        progress=[ProgressView(p, items[p.item_id], statuses[p.work_status_id]) for p in progress],
        analysis=await repository.get_analysis(session, booking.id),
        mechanics=mechanics,
        actors=actors,
        pickup=await _pickup(session, booking),
        status_link=(
            await repository.live_link(session, booking.id)
            if booking.customer_id == principal.user_id or principal.has(Scope.MANAGE_BOOKINGS)
            else None
        ),
    )


async def _pickup(session: AsyncSession, booking: ServiceBooking) -> Pickup:
    """Read by whoever may read the booking: its customer, admins, and the mechanic only
    while the job is theirs (``repository.readable``)."""
    address = await session.get(Address, booking.address_id) if booking.address_id else None
    vehicle = await session.get(Vehicle, booking.vehicle_id) if booking.vehicle_id else None
    customer = await identity_repository.get_user(session, booking.customer_id)
    return Pickup(address=address, vehicle=vehicle, customer=customer)


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
    views = await views_of(session, page.items)
    return Dashboard(
        by_status={s.value: counts.get(s.value, 0) for s in BookingStatus},
        page=Page(items=views, total=page.total, params=params),
    )


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
    return Page(items=await views_of(session, page.items), total=page.total, params=params)
