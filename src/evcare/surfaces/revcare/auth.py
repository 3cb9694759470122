"""RevCare authentication: OAuth2 password form, refresh token in an HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Cookie, Form, Request, Response

from evcare.core.errors import Unauthorized
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import service as identity
from evcare.surfaces.deps import Authenticated, CredentialsDep, RuntimeDep, SignInDep
from evcare.surfaces.revcare.schemas import Message, RevModel

router = APIRouter(prefix="/auth", tags=["auth"], route_class=TransactionalRoute)

COOKIE = "refresh_token"


class TokenOut(RevModel):
    access_token: str
    token_type: str = "bearer"


def _set_refresh_cookie(response: Response, runtime: RuntimeDep, pair: identity.TokenPair) -> None:
    response.set_cookie(
        COOKIE,
        pair.refresh_token,
        max_age=int(runtime.credentials.refresh_lifetime.total_seconds()),
        httponly=True,
        secure=runtime.settings.environment == "production",
        samesite="lax",
        path="/auth",
    )


@router.post("/login", operation_id="revcare_login")
async def login(
    response: Response,
    session: SessionDep,
    credentials: CredentialsDep,
    runtime: RuntimeDep,
    attempt: SignInDep,
    username: Annotated[str, Form(min_length=3, max_length=254, description="phone or email")],
    password: Annotated[str, Form(min_length=1, max_length=128)],
) -> TokenOut:
    _, pair = await identity.login(
        session,
        credentials,
        attempt,
        login=username,
        password=password,
        access_lifetime=credentials.revcare_access_lifetime,
    )
    _set_refresh_cookie(response, runtime, pair)
    return TokenOut(access_token=pair.access_token)


@router.post("/refresh", operation_id="revcare_refresh")
async def refresh(
    request: Request,
    response: Response,
    session: SessionDep,
    credentials: CredentialsDep,
    runtime: RuntimeDep,
    refresh_token: Annotated[str | None, Cookie(max_length=512)] = None,
) -> TokenOut:
    if not refresh_token:
        raise Unauthorized("Refresh token cookie missing")
    _, pair = await identity.refresh(
        session,
        credentials,
        refresh_token=refresh_token,
        access_lifetime=credentials.revcare_access_lifetime,
    )
    _set_refresh_cookie(response, runtime, pair)
    return TokenOut(access_token=pair.access_token)


@router.post("/logout", operation_id="revcare_logout")
async def logout(principal: Authenticated, response: Response, session: SessionDep) -> Message:
    await identity.logout(session, principal)
    response.delete_cookie(COOKIE, path="/auth", httponly=True, samesite="lax")
    return Message(message="Successfully logged out")
