"""EV-CMS section 12, Admin Dashboard: the people (``/api/v1/admin/users``).

Admins list, read, change and soft-delete any account. Blocking or suspending ends the
account's sign-ins at once (its tokens fail on the next request, its sockets are told
``unauthorized``); the last active admin cannot be demoted, blocked or deleted (409).
Rules: :mod:`evcare.identity.service`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import service as identity
from evcare.identity.models import User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import UserId

router = APIRouter(prefix="/admin/users", tags=["admin"], route_class=TransactionalRoute)

UsersRead = Annotated[Principal, Depends(Authenticator(Scope.READ_USERS))]
UsersWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_USERS))]

RoleName = Literal["user", "brand", "franchise", "mechanic", "fleet_manager", "admin"]
StatusName = Literal["active", "blocked", "suspended"]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


class AdminUserOut(CamelModel):
    """A user as an admin sees them: the profile plus the account's state."""

    id: str
    email: str
    name: str
    phone: str | None
    role: str
    status: str
    status_reason: str | None
    is_email_verified: bool
    profile_picture: str | None
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None

    @classmethod
    def of(cls, user: User) -> AdminUserOut:
        return cls(
            id=str(user.id),
            email=user.email,
            name=user.name,
            phone=user.phone,
            role=user.role,
            status=user.status,
            status_reason=user.status_reason,
            is_email_verified=user.is_email_verified,
            profile_picture=user.profile_picture,
            last_login_at=user.last_login_at,
            created_at=user.created_at,
            updated_at=user.updated_at,
            deleted_at=user.deleted_at,
        )


class UserBody(CamelModel):
    user: AdminUserOut


class UsersBody(CamelModel):
    users: list[AdminUserOut]


class UserUpdateIn(StrictCamelModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: RoleName | None = None
    status: StatusName | None = None
    reason: Reason | None = None


class StatusIn(StrictCamelModel):
    status: StatusName
    reason: Reason | None = None


@router.get("", operation_id="cms_admin_list_users")
@router.get("/", include_in_schema=False)
async def list_users(
    principal: UsersRead,
    session: SessionDep,
    pagination: Pagination,
    status: Annotated[
        Literal["active", "blocked", "suspended", "deleted"] | None,
        Query(description="deleted: the soft-deleted accounts, to restore"),
    ] = None,
    role: RoleName | None = None,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
) -> PagedEnvelope[UsersBody]:
    page = await identity.list_users(
        session,
        principal,
        pagination,
        status=None if status == "deleted" else status,
        role=role,
        search=search,
        deleted=status == "deleted",
    )
    return PagedEnvelope(
        data=UsersBody(users=[AdminUserOut.of(user) for user in page.items]),
        pagination=PaginationOut.of(cast(Page[object], page)),
    )


@router.get("/{user_id}", operation_id="cms_admin_get_user")
async def get_user(
    user_id: UserId, principal: UsersRead, session: SessionDep
) -> Envelope[UserBody]:
    user = await identity.get_user(session, principal, user_id=user_id)
    return Envelope(data=UserBody(user=AdminUserOut.of(user)))


@router.put("/{user_id}", operation_id="cms_admin_update_user")
async def update_user(
    user_id: UserId, body: UserUpdateIn, principal: UsersWrite, session: SessionDep
) -> Envelope[UserBody]:
    user = await identity.update_user(
        session,
        principal,
        user_id=user_id,
        name=body.name,
        role=body.role,
        status=body.status,
        reason=body.reason,
    )
    return Envelope(message="User updated", data=UserBody(user=AdminUserOut.of(user)))


@router.put("/{user_id}/status", operation_id="cms_admin_set_user_status")
async def set_user_status(
    user_id: UserId, body: StatusIn, principal: UsersWrite, session: SessionDep
) -> Envelope[UserBody]:
    user = await identity.set_status(
        session, principal, user_id=user_id, status=body.status, reason=body.reason
    )
    return Envelope(message=f"User is {user.status}", data=UserBody(user=AdminUserOut.of(user)))


@router.delete("/{user_id}", operation_id="cms_admin_delete_user")
async def delete_user(
    user_id: UserId, principal: UsersWrite, session: SessionDep
) -> Envelope[Done]:
    await identity.delete_user(session, principal, user_id=user_id)
    return Envelope(message="User deleted", data=Done())


@router.patch("/{user_id}/restore", operation_id="cms_admin_restore_user")
async def restore_user(
    user_id: UserId, principal: UsersWrite, session: SessionDep
) -> Envelope[UserBody]:
    user = await identity.restore_user(session, principal, user_id=user_id)
    return Envelope(message="User restored", data=UserBody(user=AdminUserOut.of(user)))
