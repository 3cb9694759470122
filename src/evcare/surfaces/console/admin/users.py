"""``/admin/users``: everyone's accounts. Search and filter, block (or suspend) and
activate, restore a deleted account: the services and request schemas of EV-CMS's
``/api/v1/admin/users``."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.admin_users import AdminUserOut, RoleName, StatusIn
from evcare.surfaces.console.auth import PageAuthenticator
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.ids import UserId

router = APIRouter(prefix="/admin/users", route_class=ConsoleRoute, include_in_schema=False)

UsersRead = Annotated[Principal, Depends(PageAuthenticator(Scope.READ_USERS, roles={Role.ADMIN}))]
UsersWrite = Annotated[Principal, Depends(PageAuthenticator(Scope.WRITE_USERS, roles={Role.ADMIN}))]
PAGE_SIZE = 25
NOTICES = {
    "blocked": "The account is blocked: its sign-ins ended at once.",
    "suspended": "The account is suspended: its sign-ins ended at once.",
    "active": "The account is active again.",
    "restored": "The account is restored.",
}


class UserFilters(BaseModel):
    """The list's filters, as EV-CMS's ``GET /api/v1/admin/users`` takes them."""

    search: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    status: Literal["active", "blocked", "suspended", "deleted"] | None = None
    role: RoleName | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] = 1


@router.get("")
async def users_page(
    request: Request, principal: UsersRead, session: SessionDep, notice: str | None = None
) -> Response:
    query = request.query_params
    errors: list[str] = []
    try:
        filters = parse(
            UserFilters,
            {
                "search": text(query.get("search")),
                "status": text(query.get("status")),
                "role": text(query.get("role")),
                "page": text(query.get("page")) or 1,
            },
        )
    except FormInvalid as error:
        errors, filters = error.messages, UserFilters()
    found = await identity.list_users(
        session,
        principal,
        PageParams(page=filters.page, limit=PAGE_SIZE),
        status=None if filters.status == "deleted" else filters.status,
        role=filters.role,
        search=filters.search,
        deleted=filters.status == "deleted",
    )
    return render(
        request,
        "admin/users.html",
        {
            "title": "Users",
            "filters": filters,
            "users": [AdminUserOut.of(user) for user in found.items],
            "found": found,
            "roles": list(get_args(RoleName)),
            "errors": errors,
            "notice": NOTICES.get(notice or ""),
            "me": str(principal.user_id),
            "return_to": _return_to(request),
        },
        status_code=422 if errors else 200,
    )


def _return_to(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _back(form_value: object, notice: str) -> str:
    """Back to the list the form was on (its filters kept), with the outcome."""
    target = form_value if isinstance(form_value, str) else ""
    if not target.startswith("/admin/users") or target.startswith("//"):
        target = "/admin/users"
    base = target.split("?", 1)
    query = [part for part in (base[1].split("&") if len(base) > 1 else []) if part]
    query = [part for part in query if not part.startswith("notice=")] + [f"notice={notice}"]
    return f"{base[0]}?{'&'.join(query)}"


@router.post("/{user_id}/status")
async def set_status(
    request: Request, user_id: UserId, principal: UsersWrite, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(
            StatusIn, {"status": text(form.get("status")), "reason": text(form.get("reason"))}
        )
    except FormInvalid as error:
        raise ValidationFailed("; ".join(error.messages)) from error
    user = await identity.set_status(
        session, principal, user_id=user_id, status=body.status, reason=body.reason
    )
    return RedirectResponse(_back(form.get("return_to"), user.status), status_code=303)


@router.post("/{user_id}/restore")
async def restore(
    request: Request, user_id: UserId, principal: UsersWrite, session: SessionDep
) -> Response:
    form = await request.form()
    await identity.restore_user(session, principal, user_id=user_id)
    return RedirectResponse(_back(form.get("return_to"), "restored"), status_code=303)
