"""EV-CMS section 1: Authentication (``/api/v1/auth``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import EmailStr, Field

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import service as identity
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import CamelModel, Done, Envelope, StrictCamelModel
from evcare.surfaces.cms.users import UserBody, UserOut
from evcare.surfaces.deps import Authenticated, Authenticator, CredentialsDep, SignInDep
from evcare.vehicles import service as vehicles

router = APIRouter(prefix="/auth", tags=["auth"], route_class=TransactionalRoute)

ProfileWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PROFILE))]
ProfileRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PROFILE))]

Password = Annotated[str, Field(min_length=6, max_length=128)]
Phone = Annotated[str, Field(min_length=7, max_length=20, pattern=r"^\+?[0-9 ()-]{7,20}$")]


class RegisterIn(StrictCamelModel):
    email: EmailStr = Field(max_length=254)
    password: Password
    name: str = Field(min_length=1, max_length=200)
    phone: Phone | None = None
    role: Literal["user", "brand", "franchise", "mechanic", "fleet_manager", "admin"] | None = None


class LoginIn(StrictCamelModel):
    email: str = Field(min_length=3, max_length=254, description="email (or phone number)")
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(StrictCamelModel):
    refresh_token: str = Field(min_length=10, max_length=512)


class ChangePasswordIn(StrictCamelModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: Password


class TokensOut(CamelModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int


class RegisterOut(CamelModel):
    user: UserOut
    tokens: TokensOut


class LoginOut(CamelModel):
    user: UserOut
    access_token: str
    refresh_token: str
    expires_in: int


def _tokens(pair: identity.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=int(pair.access_lifetime.total_seconds()),
    )


@router.post("/register", status_code=201, operation_id="cms_register")
async def register(
    body: RegisterIn, session: SessionDep, credentials: CredentialsDep
) -> Envelope[RegisterOut]:
    user, pair = await identity.register(
        session,
        credentials,
        email=str(body.email),
        password=body.password,
        name=body.name,
        phone=body.phone,
        role=body.role,
        access_lifetime=credentials.cms_access_lifetime,
    )
    return Envelope(
        message="Registration successful",
        data=RegisterOut(user=UserOut.of(user), tokens=_tokens(pair)),
    )


@router.post("/login", operation_id="cms_login")
async def login(
    body: LoginIn, session: SessionDep, credentials: CredentialsDep, attempt: SignInDep
) -> Envelope[LoginOut]:
    user, pair = await identity.login(
        session,
        credentials,
        attempt,
        login=body.email,
        password=body.password,
        access_lifetime=credentials.cms_access_lifetime,
    )
    owned = await vehicles.list_user_vehicle_summaries(session, user_id=user.id)
    return Envelope(
        message="Login successful",
        data=LoginOut(
            user=UserOut.of(user, vehicles=owned),
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=int(pair.access_lifetime.total_seconds()),
        ),
    )


@router.post("/refresh-token", operation_id="cms_refresh_token")
async def refresh_token(
    body: RefreshIn, session: SessionDep, credentials: CredentialsDep
) -> Envelope[TokensOut]:
    _, pair = await identity.refresh(
        session,
        credentials,
        refresh_token=body.refresh_token,
        access_lifetime=credentials.cms_access_lifetime,
    )
    return Envelope(data=_tokens(pair))


@router.get("/me", operation_id="cms_me")
async def me(principal: ProfileRead, session: SessionDep) -> Envelope[UserBody]:
    user = await identity.get_me(session, principal)
    owned = await vehicles.list_vehicle_summaries(session, principal)
    return Envelope(data=UserBody(user=UserOut.of(user, vehicles=owned)))


@router.put("/change-password", operation_id="cms_change_password")
async def change_password(
    body: ChangePasswordIn,
    principal: ProfileWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> Envelope[Done]:
    await identity.change_password(
        session,
        credentials,
        principal,
        current_password=body.current_password,
        new_password=body.new_password,
    )
    return Envelope(message="Password changed successfully", data=Done())


@router.post("/logout", operation_id="cms_logout")
async def logout(principal: Authenticated, session: SessionDep) -> Envelope[Done]:
    await identity.logout(session, principal)
    return Envelope(message="Logged out successfully", data=Done())
