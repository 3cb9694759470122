"""Estimates and analysis: the mechanic estimates every item, an admin may correct and
approves it, and the customer accepts it item by item (GST is fixed at that moment)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.tax import current_gst_percent
from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, FieldError, ValidationFailed
from evcare.identity.principal import Principal
from evcare.service.bookings import lifecycle, repository
from evcare.service.bookings.models import (
    BookingAnalysis,
    BookingStatus,
    ItemDecision,
    PaymentMode,
    ServiceBooking,
)
from evcare.service.bookings.views import BookingDetail, BookingView, get_booking, view_of

S = BookingStatus


@dataclass(frozen=True)
class ItemEstimate:
    service_id: int
    estimated_cost_minor: int
    estimated_minutes: int
    note: str = ""


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
    booking = await lifecycle.load_as_customer(session, principal, booking_id)
    lifecycle.require(booking, {S.ANALYSIS_APPROVED}, "confirm services")
    items = await repository.items_of(session, [booking.id])
    declined = set(declined_service_ids)
    unknown = declined - {i.service_id for i in items}
    if unknown:
        raise ValidationFailed(
            f"declined_service_ids: service {min(unknown)} is not on this booking",
            fields=[FieldError("declined_service_ids", "not on this booking")],
        )
    if not any(
        i.decision == ItemDecision.ACCEPTED
        if i.found and i.decided_at is not None
        else i.service_id not in declined
        for i in items
    ):
        raise BusinessRuleViolation(
            "At least one service must be accepted; cancel the booking instead"
        )
    now = utcnow()
    for item in items:
        if item.found and item.decided_at is not None:
            continue  # found work the customer already approved or declined line by line
        item.decision = (
            ItemDecision.DECLINED if item.service_id in declined else ItemDecision.ACCEPTED
        )
        if item.found:
            item.decided_at = now
    booking.payment_mode = payment_mode
    booking.gst_basis_points = int(await current_gst_percent(session) * 100)
    names = ", ".join(i.service_name for i in items if i.service_id in declined)
    await lifecycle.record(
        session,
        booking,
        S.SERVICES_CONFIRMED,
        actor=principal.user_id,
        note=f"payment: {payment_mode}" + (f"; declined: {names}" if names else ""),
    )
    return await view_of(session, booking)


async def apply_estimates(
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
    missing = {key for key, item in items.items() if not item.found} - set(given)
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
    booking = await lifecycle.load(session, principal, booking_id)
    lifecycle.require(booking, {S.ANALYSIS_SUBMITTED}, "edit the analysis")
    analysis = await repository.get_analysis(session, booking.id)
    assert analysis is not None  # analysis_submitted always has one
    await apply_estimates(session, booking, estimates, require_all=False)
    if summary is not None:
        analysis.summary = summary
    analysis.edited_by = principal.user_id
    analysis.edited_at = utcnow()
    await lifecycle.note(session, booking, actor=principal.user_id, note="analysis edited by admin")
    return await get_booking(session, principal, booking_id=booking.id)


async def approve_analysis(
    session: AsyncSession, principal: Principal, *, booking_id: int, note: str
) -> BookingDetail:
    booking = await lifecycle.load(session, principal, booking_id)
    lifecycle.require(booking, {S.ANALYSIS_SUBMITTED}, "approve the analysis")
    analysis = await repository.get_analysis(session, booking.id)
    assert analysis is not None
    analysis.approved_by = principal.user_id
    analysis.approved_at = utcnow()
    view = await view_of(session, booking)
    amount = f"{booking.currency} {view.total.to_major():,}"
    await lifecycle.record(
        session,
        booking,
        S.ANALYSIS_APPROVED,
        actor=principal.user_id,
        note=note,
        message=(
            f"Your estimate is ready: {amount} including GST. Confirm the services you want "
            "and how you will pay."
        ),
        data={"amount": str(view.total.to_major()), "currency": booking.currency},
    )
    return await get_booking(session, principal, booking_id=booking.id)


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
    booking = await lifecycle.load_as_mechanic(session, principal, booking_id)
    lifecycle.require(booking, {S.MECHANIC_ASSIGNED, S.ANALYSIS_SUBMITTED}, "submit an analysis")
    await apply_estimates(session, booking, estimates, require_all=True)
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
        await lifecycle.note(session, booking, actor=principal.user_id, note="analysis resubmitted")
    else:
        await lifecycle.record(session, booking, S.ANALYSIS_SUBMITTED, actor=principal.user_id)
    return await get_booking(session, principal, booking_id=booking.id)
