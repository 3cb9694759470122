"""Work found during inspection: the assigned mechanic adds lines for services not on the
booking (with the parts they need, each priced); the customer approves or declines each
line before it is done (a supplementary estimate). Totals, GST and payment count a found
line only once it is approved; a booking is not completed while one awaits a decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from evcare.core.money import Money
from evcare.identity.principal import Principal
from evcare.service import repository as catalogue_repository
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import (
    BookingItem,
    BookingPart,
    BookingStatus,
    ItemDecision,
)
from evcare.service.bookings.progress import complete_if_done
from evcare.service.bookings.views import BookingDetail, get_booking, view_of

S = BookingStatus

# From assignment until the work is completed.
FOUND_WORK_STATES = {
    S.MECHANIC_ASSIGNED,
    S.ANALYSIS_SUBMITTED,
    S.ANALYSIS_APPROVED,
    S.SERVICES_CONFIRMED,
    S.IN_PROGRESS,
}
MAX_LINES = 20


@dataclass(frozen=True)
class PartDraft:
    name: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class FoundLine:
    service_id: int
    estimated_cost_minor: int  # labour, before GST
    estimated_minutes: int
    note: str = ""
    parts: Sequence[PartDraft] = field(default_factory=tuple)


@dataclass(frozen=True)
class Decision:
    service_id: int
    approve: bool


async def add_found_work(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    lines: Sequence[FoundLine],
) -> BookingDetail:
    """The assigned mechanic adds found lines; the customer is asked to approve them."""
    booking = await lifecycle.load_as_mechanic(session, principal, booking_id)
    lifecycle.require(booking, FOUND_WORK_STATES, "add found work")
    items = await repository.items_of(session, [booking.id])
    ids = [line.service_id for line in lines]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "items: each service_id may appear once",
            fields=[FieldError("items", "duplicate service_id")],
        )
    on_booking = {i.service_id for i in items}
    already = sorted(set(ids) & on_booking)
    if already:
        raise Conflict(
            f"Service {already[0]} is already on booking {booking.id}: estimate it in the "
            "analysis instead"
        )
    if len(items) + len(lines) > MAX_LINES:
        raise ValidationFailed(
            f"items: a booking holds at most {MAX_LINES} lines",
            fields=[FieldError("items", f"at most {MAX_LINES} lines per booking")],
        )
    services = {s.id: s for s in await catalogue_repository.get_services(session, ids)}
    for service_id in ids:
        service = services.get(service_id)
        if service is None or not service.is_active:
            raise NotFound(f"Service {service_id} not found")
        if service.currency != booking.currency:
            raise ValidationFailed(
                f"items: service {service_id} is priced in {service.currency}",
                fields=[FieldError("items", f"the booking is in {booking.currency}")],
            )
    for line in lines:
        service = services[line.service_id]
        item = BookingItem(
            booking_id=booking.id,
            service_id=service.id,
            service_name=service.name,
            quantity=1,
            unit_price_minor=service.price_minor,
            estimated_cost_minor=line.estimated_cost_minor,
            estimated_minutes=line.estimated_minutes,
            analysis_note=line.note,
            decision=ItemDecision.PENDING,
            found=True,
        )
        session.add(item)
        await session.flush()
        for part in line.parts:
            session.add(
                BookingPart(
                    item_id=item.id,
                    name=part.name,
                    quantity=part.quantity,
                    unit_price_minor=part.unit_price_minor,
                )
            )
    await session.flush()
    names = ", ".join(services[i].name for i in ids)
    await lifecycle.note(session, booking, actor=principal.user_id, note=f"found work: {names}")
    view = await view_of(session, booking)
    pending = view.awaiting_approval
    # GST on each line on its own, as on every amount the workshop charges.
    gross = Money(0, booking.currency)
    for waiting in pending:
        if waiting.quoted is not None:
            gross = gross + waiting.quoted + waiting.quoted.percent(view.gst_percent)
    await lifecycle.tell_customer(
        session,
        booking,
        title="Supplementary estimate awaiting approval",
        message=(
            f"The mechanic found more work on booking {booking.id} ({names}): "
            f"{booking.currency} {gross.to_major():,} including GST. Approve or decline each "
            "line."
        ),
        data={
            "awaiting_approval": [waiting.item.service_id for waiting in pending],
            "amount": str(gross.to_major()),
            "currency": booking.currency,
        },
    )
    return await get_booking(session, principal, booking_id=booking.id)


async def decide_found_work(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    decisions: Sequence[Decision],
) -> BookingDetail:
    """The customer (or an admin for them) approves or declines found lines, each once."""
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    lifecycle.require(booking, FOUND_WORK_STATES, "decide on found work")
    items = {i.service_id: i for i in await repository.items_of(session, [booking.id])}
    ids = [d.service_id for d in decisions]
    if len(set(ids)) != len(ids):
        raise ValidationFailed(
            "decisions: each service_id may appear once",
            fields=[FieldError("decisions", "duplicate service_id")],
        )
    for decision in decisions:
        item = items.get(decision.service_id)
        if item is None or not item.found:
            raise NotFound(f"No found work for service {decision.service_id} on this booking")
        if item.decision != ItemDecision.PENDING:
            raise Conflict(
                f"Found work for service {decision.service_id} was already {item.decision}"
            )
    now = utcnow()
    for decision in decisions:
        item = items[decision.service_id]
        item.decision = ItemDecision.ACCEPTED if decision.approve else ItemDecision.DECLINED
        item.decided_at = now
    await session.flush()
    summary = "; ".join(
        f"{items[d.service_id].service_name} {'approved' if d.approve else 'declined'}"
        for d in decisions
    )
    await lifecycle.note(session, booking, actor=principal.user_id, note=f"found work: {summary}")
    if booking.status == S.IN_PROGRESS:
        await complete_if_done(session, booking, actor=principal.user_id)
    return await get_booking(session, principal, booking_id=booking.id)
