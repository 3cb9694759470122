"""HUB.md "Organizations": the caller's organization and its subordinate accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import EmailStr, Field

from evcare.core.errors import Forbidden
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep
from evcare.identity import organizations
from evcare.identity.models import AccountRole, Organization
from evcare.identity.organizations import Account
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations import service as integrations
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.hub.schemas import (
    AccountIdPath,
    HubModel,
    Paged,
    PaginationOut,
    StrictHubModel,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent

router = APIRouter(prefix="/organizations/me", tags=["organizations"], route_class=IdempotentRoute)

OrganizationRead = Annotated[Principal, Depends(Authenticator(Scope.READ_ORGANIZATION))]
_write = Authenticator(Scope.WRITE_ORGANIZATION)
OrganizationWrite = Annotated[Principal, Depends(_write)]

Name = Annotated[str, Field(min_length=1, max_length=200)]
SubordinateRole = Literal["FLEET_MANAGER", "DRIVER", "CLIENT"]


class OrganizationOut(HubModel):
    id: str
    name: str
    kind: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, organization: Organization) -> OrganizationOut:
        return cls(
            id=organization.id,
            name=organization.name,
            kind=organization.kind,
            created_at=organization.created_at,
            updated_at=organization.updated_at,
        )


class OrganizationPatch(StrictHubModel):
    name: Name


class AccountIn(StrictHubModel):
    email: EmailStr
    name: Name
    role: SubordinateRole


class AccountPatch(StrictHubModel):
    name: Name | None = None
    role: SubordinateRole | None = None


class AccountOut(HubModel):
    id: str
    user_id: str
    email: str
    name: str
    role: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        member, user = account
        return cls(
            id=member.id,
            user_id=str(user.id),
            email=user.email,
            name=user.name,
            role=member.role,
            status=user.status,
            created_at=member.created_at,
        )


async def _managed(session: SessionDep, principal: Principal) -> str:
    organization_id, may_manage = await integrations.organization_of(session, principal)
    if not may_manage:
        raise Forbidden("Only the organization's integration or its administrators may do this")
    return organization_id


@router.get("", operation_id="hub_get_organization")
async def get_organization(principal: OrganizationRead, session: SessionDep) -> OrganizationOut:
    organization_id, _ = await integrations.organization_of(session, principal)
    return OrganizationOut.of(await organizations.get_organization(session, organization_id))


@router.patch("", operation_id="hub_update_organization")
async def update_organization(
    body: OrganizationPatch, principal: OrganizationWrite, session: SessionDep
) -> OrganizationOut:
    organization = await organizations.get_organization(session, await _managed(session, principal))
    return OrganizationOut.of(
        await organizations.rename_organization(session, organization, name=body.name)
    )


@router.get("/accounts", operation_id="hub_list_accounts")
async def list_accounts(
    principal: OrganizationRead, session: SessionDep, page: Pagination
) -> Paged[AccountOut]:
    found = await organizations.list_accounts(session, await _managed(session, principal), page)
    return Paged(
        data=[AccountOut.of(account) for account in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.post(
    "/accounts",
    status_code=201,
    operation_id="hub_create_account",
    dependencies=[idempotent(_write)],
)
async def create_account(
    body: AccountIn,
    principal: OrganizationWrite,
    session: SessionDep,
    credentials: CredentialsDep,
) -> AccountOut:
    account = await organizations.add_account(
        session,
        credentials,
        await _managed(session, principal),
        email=body.email,
        name=body.name,
        role=AccountRole(body.role),
    )
    return AccountOut.of(account)


@router.get("/accounts/{accountId}", operation_id="hub_get_account")
async def get_account(
    account_id: AccountIdPath, principal: OrganizationRead, session: SessionDep
) -> AccountOut:
    organization_id = await _managed(session, principal)
    return AccountOut.of(await organizations.get_account(session, organization_id, account_id))


@router.patch("/accounts/{accountId}", operation_id="hub_update_account")
async def update_account(
    account_id: AccountIdPath,
    body: AccountPatch,
    principal: OrganizationWrite,
    session: SessionDep,
) -> AccountOut:
    account = await organizations.update_account(
        session,
        await _managed(session, principal),
        account_id,
        name=body.name,
        role=None if body.role is None else AccountRole(body.role),
    )
    return AccountOut.of(account)


@router.delete("/accounts/{accountId}", status_code=204, operation_id="hub_delete_account")
async def delete_account(
    account_id: AccountIdPath, principal: OrganizationWrite, session: SessionDep
) -> Response:
    await organizations.remove_account(session, await _managed(session, principal), account_id)
    return Response(status_code=204)
