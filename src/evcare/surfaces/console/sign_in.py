"""Signing in to the console and out of it (``/sign-in``, ``/sign-out``).

The same sign-in as EV-CMS's ``POST /api/v1/auth/login`` (:func:`identity.login`: email
or phone, the brute-force guard, the same tokens), its tokens kept in HttpOnly cookies.
Signing out revokes the sign-in like ``POST /api/v1/auth/logout``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import TooManyRequests, Unauthorized
from evcare.core.transactions import SessionDep
from evcare.identity import service as identity
from evcare.surfaces.console.auth import MaybeSignedIn, home_of
from evcare.surfaces.console.cookies import queue_sign_in, queue_sign_out
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.deps import CredentialsDep, SignInDep

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


class SignInForm(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    next: str = Field(default="", max_length=2000)


def local_target(target: str) -> str | None:
    """``target`` when it is a path on this site; anything else (``//evil``, a URL) is not."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


@router.get("/sign-in")
async def sign_in_page(request: Request, principal: MaybeSignedIn, next: str = "") -> Response:
    return render(
        request,
        "sign_in.html",
        {"title": "Sign in", "next": local_target(next) or "", "error": None, "email": ""},
    )


@router.post("/sign-in")
async def sign_in(
    request: Request,
    form: Annotated[SignInForm, Form()],
    session: SessionDep,
    credentials: CredentialsDep,
    attempt: SignInDep,
) -> Response:
    try:
        user, pair = await identity.login(
            session,
            credentials,
            attempt,
            login=form.email,
            password=form.password,
            access_lifetime=credentials.cms_access_lifetime,
        )
    except TooManyRequests:
        raise  # its lock notice must be committed: ConsoleRoute renders the 429 page
    except Unauthorized:
        page = {"title": "Sign in", "next": local_target(form.next) or "", "email": form.email}
        message = "That email and password do not match an account"
        return render(request, "sign_in.html", {**page, "error": message}, status_code=401)
    queue_sign_in(request, pair, refresh_lifetime=credentials.refresh_lifetime)
    return RedirectResponse(local_target(form.next) or home_of(user.role), status_code=303)


@router.post("/sign-out")
async def sign_out(request: Request, principal: MaybeSignedIn, session: SessionDep) -> Response:
    if principal is not None:
        await identity.logout(session, principal)
    queue_sign_out(request)
    return RedirectResponse("/sign-in", status_code=303)
