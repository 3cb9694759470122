"""EV-CMS section 2: User profile (``/api/v1/profile``); vehicles and wallet join later."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field, HttpUrl

from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import service as identity
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.auth import Phone
from evcare.surfaces.cms.schemas import CamelModel, Envelope, StrictCamelModel
from evcare.surfaces.cms.users import UserBody, UserOut
from evcare.surfaces.deps import Authenticator
from evcare.vehicles import service as vehicles

router = APIRouter(prefix="/profile", tags=["profile"], route_class=TransactionalRoute)

ProfileRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PROFILE))]
ProfileWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PROFILE))]


class ProfileIn(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    phone: Phone | None = None
    profile_picture: HttpUrl | None = Field(default=None)


class PreferencesIn(StrictCamelModel):
    notifications: bool | dict[str, Any] | None = None
    language: str | None = Field(default=None, min_length=2, max_length=10, pattern=r"^[a-zA-Z-]+$")
    theme: Literal["light", "dark", "system"] | None = None


class PreferencesBody(CamelModel):
    preferences: dict[str, Any]


@router.get("", operation_id="cms_get_profile")
@router.get("/", include_in_schema=False)
async def get_profile(principal: ProfileRead, session: SessionDep) -> Envelope[UserBody]:
    user = await identity.get_me(session, principal)
    owned = await vehicles.list_vehicle_summaries(session, principal)
    return Envelope(data=UserBody(user=UserOut.of(user, vehicles=owned)))


@router.put("", operation_id="cms_update_profile")
@router.put("/", include_in_schema=False)
async def update_profile(
    body: ProfileIn, principal: ProfileWrite, session: SessionDep
) -> Envelope[UserBody]:
    user = await identity.update_profile(
        session,
        principal,
        name=body.name,
        phone=body.phone,
        profile_picture=str(body.profile_picture) if body.profile_picture else None,
    )
    owned = await vehicles.list_vehicle_summaries(session, principal)
    return Envelope(message="Profile updated", data=UserBody(user=UserOut.of(user, vehicles=owned)))


@router.put("/preferences", operation_id="cms_update_preferences")
async def update_preferences(
    body: PreferencesIn, principal: ProfileWrite, session: SessionDep
) -> Envelope[PreferencesBody]:
    changes = body.model_dump(exclude_none=True)
    preferences = await identity.update_preferences(session, principal, changes)
    return Envelope(data=PreferencesBody(preferences=preferences))
