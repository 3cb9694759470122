"""EV-CMS section 14, Partners (``/api/v1/partners``).

A partner is an organization (``org_...``, the hub's: one model), its ``type`` the
organization's kind. Admins create partners; admins and brands list them. The
``/partners/franchises`` routes are section 18's franchises over the same service and
the same objects (:mod:`evcare.surfaces.cms.franchises`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import EmailStr, Field

from evcare.charging.franchises import service as franchises
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity import organizations
from evcare.identity.models import Organization, OrganizationKind, OrganizationStatus
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.auth import Phone
from evcare.surfaces.cms.franchises import (
    FranchiseBody,
    FranchiseIn,
    FranchiseOut,
    FranchisesBody,
    FranchisesManage,
    FranchiseStatusName,
    create,
    page_of,
)
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import FranchiseId

router = APIRouter(prefix="/partners", tags=["partners"], route_class=TransactionalRoute)

PartnersRead = Annotated[Principal, Depends(Authenticator(Scope.READ_PARTNERS))]
PartnersWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_PARTNERS))]

PartnerType = Literal["partner", "fleet", "workshop"]
PartnerStatus = Literal["active", "inactive", "suspended"]


class PartnerIn(StrictCamelModel):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr = Field(max_length=254)
    phone: Phone
    type: PartnerType
    address: str = Field(min_length=1, max_length=500)
    status: PartnerStatus = "active"


class PartnerOut(CamelModel):
    id: str
    name: str
    email: str | None
    phone: str | None
    type: str
    address: str | None
    status: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, organization: Organization) -> PartnerOut:
        return cls(
            id=organization.id,
            name=organization.name,
            email=organization.email,
            phone=organization.phone,
            type=organization.kind,
            address=organization.address,
            status=organization.status,
            created_at=organization.created_at,
            updated_at=organization.updated_at,
        )


class PartnerBody(CamelModel):
    partner: PartnerOut


class PartnersBody(CamelModel):
    partners: list[PartnerOut]


@router.post("", status_code=201, operation_id="cms_create_partner")
@router.post("/", status_code=201, include_in_schema=False)
async def create_partner(
    body: PartnerIn, principal: PartnersWrite, session: SessionDep
) -> Envelope[PartnerBody]:
    partner = await organizations.create_organization(
        session,
        name=body.name,
        kind=OrganizationKind(body.type),
        status=OrganizationStatus(body.status),
        email=str(body.email),
        phone=body.phone,
        address=body.address,
    )
    return Envelope(message="Partner created", data=PartnerBody(partner=PartnerOut.of(partner)))


@router.get("", operation_id="cms_list_partners")
@router.get("/", include_in_schema=False)
async def list_partners(
    principal: PartnersRead,
    session: SessionDep,
    pagination: Pagination,
    status: PartnerStatus | None = None,
    type: PartnerType | None = None,
) -> PagedEnvelope[PartnersBody]:
    page = await organizations.list_organizations(
        session,
        pagination,
        kind=None if type is None else OrganizationKind(type),
        status=None if status is None else OrganizationStatus(status),
    )
    return PagedEnvelope(
        data=PartnersBody(partners=[PartnerOut.of(partner) for partner in page.items]),
        pagination=PaginationOut.of(Page(items=[], total=page.total, params=page.params)),
    )


@router.post("/franchises", status_code=201, operation_id="cms_partners_create_franchise")
async def create_franchise(
    body: FranchiseIn, principal: FranchisesManage, session: SessionDep
) -> Envelope[FranchiseBody]:
    return Envelope(message="Franchise created", data=await create(body, principal, session))


@router.get("/franchises", operation_id="cms_partners_list_franchises")
async def list_franchises(
    principal: FranchisesManage,
    session: SessionDep,
    pagination: Pagination,
    status: FranchiseStatusName | None = None,
) -> PagedEnvelope[FranchisesBody]:
    page = await franchises.list_franchises(session, principal, params=pagination, status=status)
    return page_of(page)


@router.get("/franchises/{franchise_id}", operation_id="cms_partners_get_franchise")
async def get_franchise(
    franchise_id: FranchiseId, principal: FranchisesManage, session: SessionDep
) -> Envelope[FranchiseBody]:
    view = await franchises.managed_franchise(session, principal, franchise_id)
    return Envelope(data=FranchiseBody(franchise=FranchiseOut.of(view)))
