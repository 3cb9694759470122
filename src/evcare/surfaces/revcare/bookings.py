"""RevCare bookings: the customer's lifecycle, the admin's oversight, the mechanic's work.

Fixed paths (``/bookings/customer``, ``/bookings/admin/...``, ``/bookings/mechanic/...``)
are declared before ``/bookings/{booking_id}`` so they are never taken for an id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import bookings
from evcare.service.bookings.models import BookingStatus, PaymentMode
from evcare.surfaces.deps import Authenticator, RuntimeDep
from evcare.surfaces.ids import BookingId, CustomerId, MechanicId, ProgressId
from evcare.surfaces.revcare.booking_schemas import (
    AnalysisEdit,
    AnalysisIn,
    AssignIn,
    BookingCreate,
    BookingDetailOut,
    BookingOut,
    CancelIn,
    ConfirmServices,
    DashboardOut,
    NoteIn,
    ProgressEdit,
    ProgressIn,
    ProgressOut,
    estimates,
)
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/bookings", tags=["bookings"], route_class=TransactionalRoute)

BookingsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_BOOKINGS))]
BookingsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_BOOKINGS))]
BookingsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_BOOKINGS))]
BookingsWork = Annotated[Principal, Depends(Authenticator(Scope.WORK_BOOKINGS))]

StatusFilter = Annotated[BookingStatus | None, Query(description="booking status")]
CustomerFilter = Annotated[CustomerId | None, Query(description="CST000210")]


@router.post("/", status_code=201, operation_id="revcare_create_booking")
async def create_booking(
    body: BookingCreate, principal: BookingsWrite, session: SessionDep
) -> BookingOut:
    """Pick services, vehicle, timeslot, doorstep or drop-off; a full slot is a 409."""
    view = await bookings.create_booking(
        session,
        principal,
        customer_id=body.customer_id,
        vehicle_id=body.vehicle_id,
        pickup_type=body.pickup_type,
        timeslot_id=body.timeslot_id,
        service_date=body.service_date,
        address_id=body.address_id,
        services=[bookings.ServiceRequest(s.service_id, s.quantity) for s in body.services],
        notes=body.notes,
    )
    return BookingOut.of(view)


@router.get("/customer", operation_id="revcare_list_customer_bookings")
async def list_customer_bookings(
    principal: BookingsRead,
    session: SessionDep,
    page: Pagination,
    status: StatusFilter = None,
    customer_id: CustomerFilter = None,
) -> list[BookingOut]:
    """The caller's bookings, newest first (admins may pass ``customer_id``)."""
    result = await bookings.list_customer_bookings(
        session, principal, page, customer_id=customer_id, status=status
    )
    return [BookingOut.of(view) for view in result.items]


# -- admin ------------------------------------------------------------------------------


@router.get("/admin/dashboard", operation_id="revcare_booking_dashboard")
async def dashboard(
    principal: BookingsManage,
    session: SessionDep,
    page: Pagination,
    status: StatusFilter = None,
    customer_id: CustomerFilter = None,
    mechanic_id: Annotated[MechanicId | None, Query(description="MEC000034")] = None,
    from_date: Annotated[IsoDate | None, Query(description="service date from")] = None,
    to_date: Annotated[IsoDate | None, Query(description="service date to")] = None,
) -> DashboardOut:
    """Bookings counted per status (under the same filters) and the matching page."""
    result = await bookings.dashboard(
        session,
        principal,
        page,
        status=status,
        customer_id=customer_id,
        mechanic_id=mechanic_id,
        date_from=from_date,
        date_to=to_date,
    )
    return DashboardOut(
        total=result.page.total,
        page=page.page,
        limit=page.limit,
        by_status=result.by_status,
        bookings=[BookingOut.of(view) for view in result.page.items],
    )


@router.post("/admin/assign", operation_id="revcare_assign_mechanic")
async def assign_mechanic(
    body: AssignIn, principal: BookingsManage, session: SessionDep
) -> BookingOut:
    view = await bookings.assign_mechanic(
        session,
        principal,
        booking_id=body.booking_id,
        mechanic_id=body.mechanic_id,
        note=body.note,
    )
    return BookingOut.of(view)


@router.put("/admin/progress/{progress_id}", operation_id="revcare_edit_progress")
async def edit_progress(
    progress_id: ProgressId, body: ProgressEdit, principal: BookingsManage, session: SessionDep
) -> ProgressOut:
    view = await bookings.edit_progress(
        session, principal, progress_id=progress_id, status_id=body.status_id, notes=body.notes
    )
    return ProgressOut.of(view)


@router.post("/admin/progress/{progress_id}/validate", operation_id="revcare_validate_progress")
async def validate_progress(
    progress_id: ProgressId, principal: BookingsManage, session: SessionDep
) -> ProgressOut:
    """The report becomes the item's status; all items final completes the booking."""
    return ProgressOut.of(
        await bookings.validate_progress(session, principal, progress_id=progress_id)
    )


@router.put("/admin/analysis/{booking_id}", operation_id="revcare_edit_analysis")
async def edit_analysis(
    booking_id: BookingId, body: AnalysisEdit, principal: BookingsManage, session: SessionDep
) -> BookingDetailOut:
    detail = await bookings.edit_analysis(
        session,
        principal,
        booking_id=booking_id,
        summary=body.summary,
        estimates=estimates(body.items),
    )
    return BookingDetailOut.of_detail(detail)


@router.post("/admin/analysis/{booking_id}/validate", operation_id="revcare_approve_analysis")
async def approve_analysis(
    booking_id: BookingId,
    principal: BookingsManage,
    session: SessionDep,
    body: NoteIn | None = None,
) -> BookingDetailOut:
    detail = await bookings.approve_analysis(
        session, principal, booking_id=booking_id, note=body.note if body else ""
    )
    return BookingDetailOut.of_detail(detail)


# -- mechanic ---------------------------------------------------------------------------


@router.get("/mechanic/assignments", operation_id="revcare_mechanic_assignments")
async def mechanic_assignments(
    principal: BookingsWork, session: SessionDep, page: Pagination, status: StatusFilter = None
) -> list[BookingOut]:
    """The calling mechanic's own jobs only."""
    result = await bookings.mechanic_assignments(session, principal, page, status=status)
    return [BookingOut.of(view) for view in result.items]


@router.post("/mechanic/analysis", status_code=201, operation_id="revcare_submit_analysis")
async def submit_analysis(
    body: AnalysisIn, principal: BookingsWork, session: SessionDep
) -> BookingDetailOut:
    """Estimated cost and time for every service on an assigned booking."""
    detail = await bookings.submit_analysis(
        session,
        principal,
        booking_id=body.booking_id,
        summary=body.summary,
        estimates=estimates(body.items),
    )
    return BookingDetailOut.of_detail(detail)


@router.post("/mechanic/progress", status_code=201, operation_id="revcare_record_progress")
async def record_progress(
    body: ProgressIn, principal: BookingsWork, session: SessionDep
) -> ProgressOut:
    view = await bookings.record_progress(
        session,
        principal,
        booking_id=body.booking_id,
        service_id=body.service_id,
        status_id=body.status_id,
        notes=body.notes,
    )
    return ProgressOut.of(view)


# -- one booking ------------------------------------------------------------------------


@router.put("/{booking_id}/confirm-services", operation_id="revcare_confirm_services")
async def confirm_services(
    booking_id: BookingId, body: ConfirmServices, principal: BookingsWrite, session: SessionDep
) -> BookingOut:
    """Accept the approved estimate (declining items you do not want) and pick payment."""
    view = await bookings.confirm_services(
        session,
        principal,
        booking_id=booking_id,
        declined_service_ids=body.declined_service_ids,
        payment_mode=PaymentMode(body.payment_mode),
    )
    return BookingOut.of(view)


@router.put("/{booking_id}/cancel", operation_id="revcare_cancel_booking")
async def cancel_booking(
    booking_id: BookingId,
    principal: BookingsWrite,
    session: SessionDep,
    runtime: RuntimeDep,
    body: CancelIn | None = None,
) -> BookingOut:
    """Free before a mechanic is assigned, a fee after, refused once work started."""
    view = await bookings.cancel_booking(
        session,
        principal,
        booking_id=booking_id,
        reason=body.reason if body else "",
        fee_percent=runtime.settings.booking_cancellation_fee_percent,
    )
    return BookingOut.of(view)


@router.get("/{booking_id}", operation_id="revcare_get_booking")
async def get_booking(
    booking_id: BookingId, principal: BookingsRead, session: SessionDep
) -> BookingDetailOut:
    """Services, price breakdown, timeline, progress and mechanics."""
    return BookingDetailOut.of_detail(
        await bookings.get_booking(session, principal, booking_id=booking_id)
    )
