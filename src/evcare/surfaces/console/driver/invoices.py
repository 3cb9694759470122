"""``/app/invoices``: the driver's own invoices, each as its PDF
(``/app/invoices/<id>.pdf``), from the same service and renderer as
``GET /api/v1/billing/invoices/:id?format=pdf``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from evcare.billing import invoices
from evcare.billing.invoice_pdf import render_pdf
from evcare.core.money import major_number
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.operations import settings as system_settings
from evcare.surfaces.console.auth import DriverPage
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import InvoiceId

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)

INVOICES_PER_PAGE = 20


@router.get("/invoices")
async def invoices_page(
    request: Request,
    principal: DriverPage,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    found, _ = await invoices.list_invoices(
        session, principal, PageParams(page, INVOICES_PER_PAGE), status=None
    )
    rows = [
        {
            "id": view.invoice.id,
            "number": view.invoice.number,
            "status": view.status,
            "total": major_number(view.invoice.total_minor, view.invoice.currency),
            "currency": view.invoice.currency,
            "created": view.invoice.created_at,
            "due": view.invoice.due_date,
        }
        for view in found.items
    ]
    return render(request, "driver/invoices.html", {"title": "Invoices", "rows": rows})


@router.get("/invoices/{invoice_id}.pdf")
async def invoice_pdf(
    invoice_id: InvoiceId, principal: DriverPage, session: SessionDep
) -> Response:
    view = await invoices.get_invoice(session, principal, invoice_id)
    settings = await system_settings.current(session)
    return Response(
        render_pdf(view, seller=settings.site_name),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{view.invoice.number}.pdf"'},
    )
