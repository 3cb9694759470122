"""``/admin/refunds``: refund requests, pending first; approve (pays it out) or reject:
the service, request schema and payment gateway of EV-CMS's
``PUT /api/v1/billing/refunds/{id}/process``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.billing import refunds
from evcare.core.errors import ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.billing_refunds import Gateway, ProcessIn, RefundOut, Status
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import RefundId

router = APIRouter(prefix="/admin/refunds", route_class=ConsoleRoute, include_in_schema=False)

RefundsManage = Annotated[
    Principal, Depends(PageAuthenticator(Scope.MANAGE_BILLING, roles={Role.ADMIN}))
]
PAGE_SIZE = 25
NOTICES = {"approved": "Refund approved and paid out.", "rejected": "Refund rejected."}


class RefundFilters(BaseModel):
    status: Status | None = "pending"
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


@router.get("")
async def refunds_page(
    request: Request, principal: RefundsManage, session: SessionDep, notice: str | None = None
) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse(
            RefundFilters,
            {
                "status": query.get("status", "pending") or None,
                "page": text(query.get("page")) or 1,
            },
        )
    except FormInvalid as error:
        errors, filters = error.messages, RefundFilters()
    found = await refunds.list_refunds(
        session, principal, PageParams(page=filters.page, limit=PAGE_SIZE), status=filters.status
    )
    return render(
        request,
        "admin/refunds.html",
        {
            "title": "Refunds",
            "filters": filters,
            "refunds": [RefundOut.of(refund) for refund in found.items],
            "errors": errors,
            "notice": NOTICES.get(notice or ""),
        },
        status_code=422 if errors else 200,
    )


@router.post("/{refund_id}/process")
async def process(
    request: Request,
    refund_id: RefundId,
    principal: RefundsManage,
    session: SessionDep,
    gateway: Gateway,
) -> Response:
    form = await request.form()
    try:
        body = parse(
            ProcessIn,
            {"status": text(form.get("status")), "adminNotes": text(form.get("admin_notes"))},
        )
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    refund = await refunds.process_refund(
        session,
        gateway,
        principal,
        refund_id=refund_id,
        approve=body.status == "approved",
        admin_notes=body.admin_notes,
    )
    return RedirectResponse(f"/admin/refunds?notice={refund.status}", status_code=303)
