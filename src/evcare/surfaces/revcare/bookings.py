"""RevCare bookings: the customer's lifecycle, the admin's oversight, the mechanic's work.

Fixed paths (``/bookings/customer``, ``/bookings/admin/...``, ``/bookings/mechanic/...``)
are declared before ``/bookings/{booking_id}`` so they are never taken for an id.
"""

from __future__ import annotations

import html
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import Field

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import bookings
from evcare.service.bookings.models import PaymentMode
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
    FoundDecisionsIn,
    FoundWorkIn,
    NoteIn,
    ProgressEdit,
    ProgressIn,
    ProgressOut,
    PublicStatusOut,
    ReceiptOut,
    RescheduleIn,
    StatusFilterValue,
    StatusLinkOut,
    estimates,
    found_lines,
    status_link_out,
)
from evcare.surfaces.revcare.schemas import Message
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/bookings", tags=["bookings"], route_class=TransactionalRoute)

BookingsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_BOOKINGS))]
BookingsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_BOOKINGS))]
BookingsManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_BOOKINGS))]
BookingsWork = Annotated[Principal, Depends(Authenticator(Scope.WORK_BOOKINGS))]

StatusFilter = Annotated[
    StatusFilterValue | None, Query(description="booking status (in_progress or in-progress)")
]
PDF = "application/pdf"


def link_secret(runtime: RuntimeDep) -> bytes:
    """The key status links are signed with: the server's secret key."""
    return runtime.settings.secret_key.get_secret_value().encode()


LinkSecret = Annotated[bytes, Depends(link_secret)]
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
    booking_id: BookingId,
    body: AnalysisEdit,
    principal: BookingsManage,
    session: SessionDep,
    secret: LinkSecret,
) -> BookingDetailOut:
    detail = await bookings.edit_analysis(
        session,
        principal,
        booking_id=booking_id,
        summary=body.summary,
        estimates=estimates(body.items),
    )
    return BookingDetailOut.of_detail(detail, secret)


@router.post("/admin/analysis/{booking_id}/validate", operation_id="revcare_approve_analysis")
async def approve_analysis(
    booking_id: BookingId,
    principal: BookingsManage,
    session: SessionDep,
    secret: LinkSecret,
    body: NoteIn | None = None,
) -> BookingDetailOut:
    detail = await bookings.approve_analysis(
        session, principal, booking_id=booking_id, note=body.note if body else ""
    )
    return BookingDetailOut.of_detail(detail, secret)


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


@router.post("/mechanic/found-work", status_code=201, operation_id="revcare_add_found_work")
async def add_found_work(
    body: FoundWorkIn, principal: BookingsWork, session: SessionDep
) -> BookingDetailOut:
    """Lines for services not on the booking (with priced parts), found at inspection;
    the customer approves or declines each before it is done."""
    detail = await bookings.add_found_work(
        session, principal, booking_id=body.booking_id, lines=found_lines(body.items)
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


# -- the public status link ---------------------------------------------------------------


@router.get(
    "/status/{token}",
    operation_id="revcare_public_booking_status",
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
async def public_booking_status(
    token: Annotated[str, Field(min_length=10, max_length=200)],
    session: SessionDep,
    secret: LinkSecret,
    request: Request,
) -> PublicStatusOut:
    """No sign-in: the live status and timeline of the booking the link was issued for
    (first name and car model only). HTML for a browser (``Accept: text/html``)."""
    status = PublicStatusOut.of(await bookings.public_status(session, secret, token=token))
    if "text/html" in request.headers.get("accept", "").lower():
        return HTMLResponse(_status_page(status))  # type: ignore[return-value]
    return status


def _status_page(status: PublicStatusOut) -> str:
    steps = "".join(
        f"<li>{html.escape(step.status.replace('_', ' '))} "
        f"<time>{step.timestamp.isoformat()}</time></li>"
        for step in status.timeline
    )
    car = html.escape(status.car_model or "your car")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Booking {status.booking_id}</title></head><body>"
        f"<h1>Hello {html.escape(status.first_name)}</h1>"
        f"<p>Booking {status.booking_id} for {car} on {status.service_date.isoformat()} "
        f"is <strong>{html.escape(status.status.replace('_', ' '))}</strong>.</p>"
        f"<ol>{steps}</ol></body></html>"
    )


# -- one booking ------------------------------------------------------------------------


@router.put("/{booking_id}/found-work", operation_id="revcare_decide_found_work")
async def decide_found_work(
    booking_id: BookingId,
    body: FoundDecisionsIn,
    principal: BookingsWrite,
    session: SessionDep,
    secret: LinkSecret,
) -> BookingDetailOut:
    """Approve or decline each found line (the supplementary estimate); totals follow."""
    detail = await bookings.decide_found_work(
        session,
        principal,
        booking_id=booking_id,
        decisions=[
            bookings.Decision(d.service_id, d.decision == "approve") for d in body.decisions
        ],
    )
    return BookingDetailOut.of_detail(detail, secret)


@router.put("/{booking_id}/reschedule", operation_id="revcare_reschedule_booking")
async def reschedule_booking(
    booking_id: BookingId,
    body: RescheduleIn,
    principal: BookingsWrite,
    session: SessionDep,
    runtime: RuntimeDep,
) -> BookingOut:
    """Another free slot before work starts: free before assignment, the cancellation fee
    after (taken from the wallet, or added to your next payment)."""
    view = await bookings.reschedule_booking(
        session,
        principal,
        booking_id=booking_id,
        timeslot_id=body.timeslot_id,
        service_date=body.service_date,
        reason=body.reason,
        fee_percent=runtime.settings.booking_cancellation_fee_percent,
    )
    return BookingOut.of(view)


@router.post("/{booking_id}/status-link", operation_id="revcare_renew_status_link")
async def renew_status_link(
    booking_id: BookingId, principal: BookingsWrite, session: SessionDep, secret: LinkSecret
) -> StatusLinkOut:
    """A fresh status link; the earlier ones stop working."""
    issued = await bookings.renew_link(session, principal, secret, booking_id=booking_id)
    return status_link_out(issued.token, issued.link.expires_at)


@router.delete("/{booking_id}/status-link", operation_id="revcare_revoke_status_link")
async def revoke_status_link(
    booking_id: BookingId, principal: BookingsWrite, session: SessionDep
) -> Message:
    revoked = await bookings.revoke_links(session, principal, booking_id=booking_id)
    return Message(message=f"{revoked} status link(s) revoked")


@router.get(
    "/{booking_id}/receipt",
    operation_id="revcare_booking_receipt",
    responses={200: {"content": {PDF: {"schema": {"type": "string", "format": "binary"}}}}},
)
async def booking_receipt(
    booking_id: BookingId,
    principal: BookingsRead,
    session: SessionDep,
    request: Request,
    format: Annotated[
        Literal["json", "pdf"] | None, Query(description="pdf: the receipt as a PDF file")
    ] = None,
) -> ReceiptOut:
    """A paid booking's invoice in the billing ledger; the PDF with ``?format=pdf``."""
    if format == "pdf" or (format is None and PDF in request.headers.get("accept", "").lower()):
        view, pdf = await bookings.receipt_pdf(session, principal, booking_id=booking_id)
        return Response(  # type: ignore[return-value]
            pdf,
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="{view.invoice.number}.pdf"'},
        )
    view = await bookings.receipt_of(session, principal, booking_id=booking_id)
    return ReceiptOut.of(view, booking_id)


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
    booking_id: BookingId, principal: BookingsRead, session: SessionDep, secret: LinkSecret
) -> BookingDetailOut:
    """Services, price breakdown, timeline, progress and mechanics; the pickup details
    (address, car, customer's name and phone) and the status link."""
    return BookingDetailOut.of_detail(
        await bookings.get_booking(session, principal, booking_id=booking_id), secret
    )
