"""``/app/register``: a driver creates an account and lands signed in, through the same
service as ``POST /api/v1/auth/register`` (self-registration makes role ``user`` only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, EmailStr, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import Conflict, ValidationFailed
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.surfaces.console.auth import MaybeSignedIn, home_of
from evcare.surfaces.console.cookies import queue_sign_in
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import CredentialsDep

router = APIRouter(prefix="/app", route_class=ConsoleRoute, include_in_schema=False)


class RegisterForm(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(max_length=254)
    phone: str = Field(default="", max_length=20, pattern=r"^(\+?[0-9 ()-]{7,20})?$")
    password: str = Field(min_length=6, max_length=128)


@router.get("/register")
async def register_page(request: Request, principal: MaybeSignedIn) -> Response:
    if principal is not None:
        return RedirectResponse(home_of(principal.role), status_code=303)
    return render(
        request, "driver/register.html", {"title": "Create your account", "error": None, "form": {}}
    )


@router.post("/register")
async def register(
    request: Request,
    form: Annotated[RegisterForm, Form()],
    session: SessionDep,
    credentials: CredentialsDep,
) -> Response:
    try:
        _, pair = await identity.register(
            session,
            credentials,
            email=str(form.email),
            password=form.password,
            name=form.name,
            phone=form.phone or None,
            access_lifetime=credentials.cms_access_lifetime,
        )
    except (Conflict, ValidationFailed) as error:
        shown = {"name": form.name, "email": str(form.email), "phone": form.phone}
        return render(
            request,
            "driver/register.html",
            {"title": "Create your account", "error": error.detail, "form": shown},
            status_code=error.status_code,
        )
    queue_sign_in(request, pair, refresh_lifetime=credentials.refresh_lifetime)
    return RedirectResponse("/app/", status_code=303)
