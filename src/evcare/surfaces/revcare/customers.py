"""RevCare customers: the current customer's profile; admins may address anyone."""

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
from evcare.surfaces.ids import CustomerId
from evcare.surfaces.revcare.people import PersonOut, PersonUpdate
from evcare.surfaces.revcare.schemas import Message

router = APIRouter(prefix="/customers", tags=["customers"], route_class=TransactionalRoute)

ProfileRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PROFILE))]
ProfileWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PROFILE))]


@router.get("/", operation_id="revcare_get_customer")
async def get_customer(
    principal: ProfileRead,
    session: SessionDep,
    page: Pagination,
    customer_id: Annotated[CustomerId | None, Query(description="admins only")] = None,
    search: Annotated[
        str | None, Query(max_length=100, description="admins listing: name, email or phone")
    ] = None,
) -> PersonOut | list[PersonOut]:
    """The current customer; an admin names one with ``customer_id``, or without it lists
    the customers (``page``, ``limit``, ``search``), newest first."""
    if customer_id is None and principal.is_admin:
        found = await identity.list_people(session, principal, page, role=Role.USER, search=search)
        return [PersonOut.of(user) for user in found.items]
    key = customer_id or principal.user_id
    user = await identity.get_person(session, principal, role=Role.USER, user_id=key)
    return PersonOut.of(user)


@router.put("/{customer_id}", operation_id="revcare_update_customer")
async def update_customer(
    customer_id: CustomerId,
    body: PersonUpdate,
    principal: ProfileWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> PersonOut:
    user = await identity.update_person(
        session,
        credentials,
        principal,
        role=Role.USER,
        user_id=customer_id,
        **body.model_dump(exclude_none=True, mode="json"),
    )
    return PersonOut.of(user)


@router.delete("/{customer_id}", operation_id="revcare_delete_customer")
async def delete_customer(
    customer_id: CustomerId, principal: ProfileWrite, session: SessionDep
) -> Message:
    await identity.delete_person(session, principal, role=Role.USER, user_id=customer_id)
    return Message(message="Customer deleted")
