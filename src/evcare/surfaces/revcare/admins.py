"""RevCare admin users: ``/admins/`` CRUD with ``ADM000012``-style ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import service as identity
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.ids import AdminId
from evcare.surfaces.revcare.people import PersonCreate, PersonOut, PersonUpdate
from evcare.surfaces.revcare.schemas import Message

router = APIRouter(prefix="/admins", tags=["admins"], route_class=TransactionalRoute)

AdminsRead = Annotated[Principal, Depends(Authenticator(Scope.READ_ADMINS))]
AdminsWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_ADMINS))]


@router.post("/", status_code=201, operation_id="revcare_create_admin")
async def create_admin(
    body: PersonCreate, principal: AdminsWrite, session: SessionDep, credentials: CredentialsDep
) -> PersonOut:
    user = await identity.create_user(
        session,
        credentials,
        principal,
        role=Role.ADMIN,
        first_name=body.first_name,
        last_name=body.last_name,
        email=str(body.email),
        phone=body.phone,
        password=body.password,
    )
    return PersonOut.of(user)


@router.get("/", operation_id="revcare_list_admins")
async def list_admins(
    principal: AdminsRead,
    session: SessionDep,
    page: Pagination,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> list[PersonOut]:
    result = await identity.list_people(session, principal, page, role=Role.ADMIN, search=search)
    return [PersonOut.of(user) for user in result.items]


@router.get("/{admin_id}", operation_id="revcare_get_admin")
async def get_admin(admin_id: AdminId, principal: AdminsRead, session: SessionDep) -> PersonOut:
    user = await identity.get_person(session, principal, role=Role.ADMIN, user_id=admin_id)
    return PersonOut.of(user)


@router.put("/{admin_id}", operation_id="revcare_update_admin")
async def update_admin(
    admin_id: AdminId,
    body: PersonUpdate,
    principal: AdminsWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> PersonOut:
    user = await identity.update_person(
        session,
        credentials,
        principal,
        role=Role.ADMIN,
        user_id=admin_id,
        **body.model_dump(exclude_none=True, mode="json"),
    )
    return PersonOut.of(user)


@router.delete("/{admin_id}", operation_id="revcare_delete_admin")
async def delete_admin(admin_id: AdminId, principal: AdminsWrite, session: SessionDep) -> Message:
    await identity.delete_person(session, principal, role=Role.ADMIN, user_id=admin_id)
    return Message(message="Admin deleted")
