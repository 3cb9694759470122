"""Work progress: the mechanic reports per accepted item, an admin corrects and validates
each report; the last final status completes the booking."""

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
    lifecycle.require(booking, {S.IN_PROGRESS}, "edit progress")
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
    lifecycle.require(booking, {S.IN_PROGRESS}, "validate progress")
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
    await lifecycle.note(
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
            await lifecycle.record(
                session, booking, S.CANCELLED, actor=principal.user_id, note="no work left"
            )
        else:
            await lifecycle.record(session, booking, S.COMPLETED, actor=principal.user_id)
    return await _progress_view(session, progress, status)


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
    booking = await lifecycle.load_as_mechanic(session, principal, booking_id)
    lifecycle.require(booking, {S.SERVICES_CONFIRMED, S.IN_PROGRESS}, "record progress")
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
        await lifecycle.record(session, booking, S.IN_PROGRESS, actor=principal.user_id)
    return ProgressView(progress, service_id, status)
