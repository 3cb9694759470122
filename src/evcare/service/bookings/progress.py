"""Work progress: the mechanic reports per item, an admin corrects and validates each
report; the last final status completes the booking.

Pickup and inspection (``PRE_WORK_STATUSES``) may be reported on any item not declined as
soon as a mechanic is assigned; work itself only on an approved line, once the customer
has confirmed the services. A validation that changes an item's status is written on the
timeline and told to the customer; one that changes nothing adds no entry."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, NotFound
from evcare.identity.principal import Principal
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import (
    BookingItem,
    BookingProgress,
    BookingStatus,
    ItemDecision,
    ServiceBooking,
)
from evcare.service.bookings.views import ProgressView
from evcare.service.models import WorkStatus

S = BookingStatus

CANCELLED_WORK_STATUS = "cancelled"
# Reported before the customer approves anything: they start no work.
PRE_WORK_STATUSES = frozenset({"vehicle-picked-up", "inspection"})
PRE_WORK_STATES = {
    S.MECHANIC_ASSIGNED,
    S.ANALYSIS_SUBMITTED,
    S.ANALYSIS_APPROVED,
    S.SERVICES_CONFIRMED,
    S.IN_PROGRESS,
}
WORK_STATES = {S.SERVICES_CONFIRMED, S.IN_PROGRESS}


def _states_for(status: WorkStatus) -> set[BookingStatus]:
    return PRE_WORK_STATES if status.code in PRE_WORK_STATUSES else {S.IN_PROGRESS}


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
    booking = await lifecycle.load(session, principal, progress.booking_id)
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
    current = await _work_status(session, progress.work_status_id)
    lifecycle.require(booking, _states_for(current), "edit progress")
    if progress.validated_at is not None:
        raise Conflict(f"Progress {progress_id} is already validated")
    status = await _work_status(session, status_id) if status_id is not None else None
    if status is not None:
        lifecycle.require(booking, _states_for(status), f"report {status.code}")
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
    status = await _work_status(session, progress.work_status_id)
    lifecycle.require(booking, _states_for(status), "validate progress")
    if progress.validated_at is not None:
        raise Conflict(f"Progress {progress_id} is already validated")
    progress.validated_by = principal.user_id
    progress.validated_at = utcnow()
    items = await repository.items_of(session, [booking.id])
    item = next(i for i in items if i.id == progress.item_id)
    if item.work_status_id != status.id:
        item.work_status_id = status.id
        if status.code == CANCELLED_WORK_STATUS:
            item.decision = ItemDecision.DECLINED  # not done, so not charged
        text = f"{item.service_name}: {status.name}"
        await lifecycle.note(session, booking, actor=principal.user_id, note=text)
        await lifecycle.tell_customer(
            session,
            booking,
            title=f"{item.service_name}: {status.name}",
            message=f"Booking {booking.id}: {item.service_name} is now {status.name.lower()}."
            + (f" {progress.notes}" if progress.notes else ""),
            data={"service_id": item.service_id, "item_status": status.code.replace("-", "_")},
        )
    else:
        await session.flush()
    if booking.status == S.IN_PROGRESS:
        await complete_if_done(session, booking, actor=principal.user_id)
    return await _progress_view(session, progress, status)


async def complete_if_done(session: AsyncSession, booking: ServiceBooking, *, actor: int) -> None:
    """Complete the booking once every approved line has a final status and no found line
    awaits the customer's decision (cancelled when nothing is left to charge)."""
    items = await repository.items_of(session, [booking.id])
    if any(i.found and i.decision == ItemDecision.PENDING for i in items):
        return
    accepted = [i for i in items if i.decision == ItemDecision.ACCEPTED]
    finals = await repository.work_statuses(
        session, [i.work_status_id for i in accepted if i.work_status_id is not None]
    )
    done = all(i.work_status_id is not None and finals[i.work_status_id].is_final for i in accepted)
    if not done:
        return
    booking.completed_at = utcnow()
    if not accepted:
        booking.cancelled_at = utcnow()
        await lifecycle.record(session, booking, S.CANCELLED, actor=actor, note="no work left")
    else:
        await lifecycle.record(session, booking, S.COMPLETED, actor=actor)


async def record_progress(
    session: AsyncSession,
    principal: Principal,
    *,
    booking_id: int,
    service_id: int,
    status_id: int,
    notes: str,
) -> ProgressView:
    """The assigned mechanic reports on one item: pickup and inspection from assignment
    on, work only on an approved line; the first work report starts work."""
    booking = await lifecycle.load_as_mechanic(session, principal, booking_id)
    status = await _work_status(session, status_id)
    pre_work = status.code in PRE_WORK_STATUSES
    lifecycle.require(booking, PRE_WORK_STATES if pre_work else WORK_STATES, "record progress")
    items = await repository.items_of(session, [booking.id])
    item = next((i for i in items if i.service_id == service_id), None)
    if item is None:
        raise NotFound(f"Service {service_id} is not on booking {booking_id}")
    if item.decision == ItemDecision.DECLINED:
        raise BusinessRuleViolation(f"Service {service_id} was declined by the customer")
    if not pre_work and item.decision != ItemDecision.ACCEPTED:
        raise BusinessRuleViolation(
            f"Service {service_id} awaits the customer's approval: no work on it yet"
        )
    progress = BookingProgress(
        booking_id=booking.id,
        item_id=item.id,
        work_status_id=status.id,
        notes=notes,
        updated_by=principal.user_id,
    )
    session.add(progress)
    await session.flush()
    if booking.status == S.SERVICES_CONFIRMED and not pre_work:
        await lifecycle.record(session, booking, S.IN_PROGRESS, actor=principal.user_id)
    return ProgressView(progress, service_id, status)
