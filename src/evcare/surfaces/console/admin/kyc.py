"""``/admin/kyc``: the KYC review queue, oldest first; approve or reject with notes: the
service and request schema of EV-CMS's ``PUT /api/v1/kyc/users/{userId}/verify``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.kyc import service
from evcare.kyc.models import KycStatus
from evcare.surfaces.cms.kyc import KycOut, Status, VerifyIn
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import origin_of
from evcare.surfaces.ids import UserId

router = APIRouter(prefix="/admin/kyc", route_class=ConsoleRoute, include_in_schema=False)

KycManage = Annotated[Principal, Depends(PageAuthenticator(Scope.MANAGE_KYC, roles={Role.ADMIN}))]
PAGE_SIZE = 25
NOTICES = {"approved": "KYC approved.", "rejected": "KYC rejected."}


class KycFilters(BaseModel):
    status: Status | None = "pending"
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


@router.get("")
async def kyc_page(
    request: Request, principal: KycManage, session: SessionDep, notice: str | None = None
) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse(
            KycFilters,
            {
                "status": query.get("status", "pending") or None,
                "page": text(query.get("page")) or 1,
            },
        )
    except FormInvalid as error:
        errors, filters = error.messages, KycFilters()
    found = await service.list_submissions(
        session, PageParams(page=filters.page, limit=PAGE_SIZE), status=filters.status
    )
    runtime: Runtime = request.app.state.runtime
    origin = origin_of(request, runtime)
    return render(
        request,
        "admin/kyc.html",
        {
            "title": "KYC review",
            "filters": filters,
            "submissions": [KycOut.of(view, origin) for view in found.items],
            "found": found,
            "errors": errors,
            "notice": NOTICES.get(notice or ""),
        },
        status_code=422 if errors else 200,
    )


@router.post("/{user_id}/verify")
async def verify(
    request: Request, user_id: UserId, principal: KycManage, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(
            VerifyIn, {"status": text(form.get("status")), "notes": text(form.get("notes"))}
        )
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    await service.verify(
        session, principal, user_id=user_id, status=KycStatus(body.status), notes=body.notes
    )
    return RedirectResponse(f"/admin/kyc?notice={body.status}", status_code=303)
