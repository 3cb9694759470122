"""EV-CMS section 18, Franchises (``/api/v1/franchises``), and the franchise object that
section 14 (``/api/v1/partners/franchises``) serves too, over the same service.

A brand manages its own franchises, an admin every one (naming the brand on create);
deleting is the admins'. Another brand's franchise is a 404. ``POST /:id/staff`` (not in
the seed: the brand invites the staff that ``GET /:id/staff`` lists) creates an account of
role ``franchise`` for the franchise; ``DELETE /:id/staff/:userId`` closes it. The model:
docs/franchises.md.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import EmailStr, Field, field_validator, model_validator

from evcare.charging.franchises import service as franchises
from evcare.charging.franchises.models import FranchiseStaff
from evcare.charging.franchises.repository import FranchiseView
from evcare.core.pagination import Page, Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.models import User
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.surfaces.cms.auth import Password, Phone
from evcare.surfaces.cms.schemas import (
    CamelModel,
    Done,
    Envelope,
    PagedEnvelope,
    PaginationOut,
    StrictCamelModel,
)
from evcare.surfaces.deps import Authenticator, CredentialsDep
from evcare.surfaces.ids import FranchiseId, UserId
from evcare.surfaces.times import IsoDate

router = APIRouter(prefix="/franchises", tags=["franchises"], route_class=TransactionalRoute)

FranchisesManage = Annotated[Principal, Depends(Authenticator(Scope.MANAGE_FRANCHISES))]
FranchisesDelete = Annotated[Principal, Depends(Authenticator(Scope.DELETE_FRANCHISES))]

FranchiseStatusName = Literal["active", "inactive", "suspended"]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Location = Annotated[str, Field(min_length=1, max_length=500)]


def _percent(basis_points: int) -> float | int:
    value = Decimal(basis_points) / 100
    return int(value) if value == value.to_integral_value() else float(value)


class AgreementIn(StrictCamelModel):
    revenue_share: Decimal = Field(
        ge=0, le=100, description="The franchise's share of its stations' net revenue, %"
    )
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None

    @field_validator("revenue_share")
    @classmethod
    def _two_places(cls, value: Decimal) -> Decimal:
        if value.scaleb(2) != value.scaleb(2).to_integral_value():
            raise ValueError("must have at most 2 decimal places")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> AgreementIn:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValueError("endDate must be after startDate")
        return self

    def domain(self) -> franchises.Agreement:
        return franchises.Agreement(
            revenue_share_bp=int(self.revenue_share.scaleb(2)),
            start_date=self.start_date,
            end_date=self.end_date,
        )


class FranchiseIn(StrictCamelModel):
    name: Name
    location: Location
    contact_person: Name
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    agreement: AgreementIn | None = Field(
        default=None, description="Without one the franchise's share is 0 %"
    )
    brand_id: UserId | None = Field(default=None, description="admins only: the brand")


class FranchiseUpdateIn(StrictCamelModel):
    name: Name | None = None
    status: FranchiseStatusName | None = None
    location: Location | None = None
    contact_person: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = Field(default=None, max_length=254)
    agreement: AgreementIn | None = None

    def changes(self) -> franchises.FranchiseChanges:
        return franchises.FranchiseChanges(
            name=self.name,
            status=self.status,
            location=self.location,
            contact_person=self.contact_person,
            phone=self.phone,
            email=None if self.email is None else str(self.email),
            agreement=None if self.agreement is None else self.agreement.domain(),
        )


class StaffIn(StrictCamelModel):
    email: EmailStr = Field(max_length=254)
    name: Name
    password: Password = Field(description="The staff member's first password")


class AgreementOut(CamelModel):
    revenue_share: float | int
    start_date: date | None
    end_date: date | None


class FranchiseOut(CamelModel):
    id: str
    brand_id: str
    name: str
    location: str
    contact_person: str
    phone: str | None
    email: str | None
    status: str
    agreement: AgreementOut
    station_count: int
    staff_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: FranchiseView) -> FranchiseOut:
        franchise = view.franchise
        return cls(
            id=str(franchise.id),
            brand_id=str(franchise.brand_id),
            name=franchise.name,
            location=franchise.location,
            contact_person=franchise.contact_person,
            phone=franchise.phone,
            email=franchise.email,
            status=franchise.status,
            agreement=AgreementOut(
                revenue_share=_percent(franchise.revenue_share_bp),
                start_date=franchise.agreement_start_date,
                end_date=franchise.agreement_end_date,
            ),
            station_count=view.stations,
            staff_count=view.staff,
            created_at=franchise.created_at,
            updated_at=franchise.updated_at,
        )


class StaffOut(CamelModel):
    id: str
    name: str
    email: str
    phone: str | None
    role: str
    status: str
    joined_at: datetime

    @classmethod
    def of(cls, member: FranchiseStaff, user: User) -> StaffOut:
        return cls(
            id=str(user.id),
            name=user.name,
            email=user.email,
            phone=user.phone,
            role=user.role,
            status=user.status,
            joined_at=member.created_at,
        )


class FranchiseBody(CamelModel):
    franchise: FranchiseOut


class FranchisesBody(CamelModel):
    franchises: list[FranchiseOut]


class StaffBody(CamelModel):
    staff: list[StaffOut]


class StaffMemberBody(CamelModel):
    staff: StaffOut


# -- one meaning for both paths (this section's and /partners/franchises) ------------------


async def create(body: FranchiseIn, principal: Principal, session: SessionDep) -> FranchiseBody:
    view = await franchises.create_franchise(
        session,
        principal,
        name=body.name,
        location=body.location,
        contact_person=body.contact_person,
        phone=body.phone,
        email=None if body.email is None else str(body.email),
        agreement=body.agreement.domain() if body.agreement else franchises.Agreement(0),
        brand_id=body.brand_id,
    )
    return FranchiseBody(franchise=FranchiseOut.of(view))


def page_of(page: Page[FranchiseView]) -> PagedEnvelope[FranchisesBody]:
    return PagedEnvelope(
        data=FranchisesBody(franchises=[FranchiseOut.of(view) for view in page.items]),
        pagination=PaginationOut.of(Page(items=[], total=page.total, params=page.params)),
    )


Search = Annotated[str | None, Query(min_length=1, max_length=100)]


# -- routes --------------------------------------------------------------------------------


@router.get("", operation_id="cms_list_franchises")
@router.get("/", include_in_schema=False)
async def list_franchises(
    principal: FranchisesManage,
    session: SessionDep,
    pagination: Pagination,
    status: FranchiseStatusName | None = None,
    search: Search = None,
) -> PagedEnvelope[FranchisesBody]:
    page = await franchises.list_franchises(
        session, principal, params=pagination, status=status, search=search
    )
    return page_of(page)


@router.post("", status_code=201, operation_id="cms_create_franchise")
@router.post("/", status_code=201, include_in_schema=False)
async def create_franchise(
    body: FranchiseIn, principal: FranchisesManage, session: SessionDep
) -> Envelope[FranchiseBody]:
    return Envelope(message="Franchise created", data=await create(body, principal, session))


@router.get("/{franchise_id}", operation_id="cms_get_franchise")
async def get_franchise(
    franchise_id: FranchiseId, principal: FranchisesManage, session: SessionDep
) -> Envelope[FranchiseBody]:
    view = await franchises.managed_franchise(session, principal, franchise_id)
    return Envelope(data=FranchiseBody(franchise=FranchiseOut.of(view)))


@router.put("/{franchise_id}", operation_id="cms_update_franchise")
async def update_franchise(
    franchise_id: FranchiseId,
    body: FranchiseUpdateIn,
    principal: FranchisesManage,
    session: SessionDep,
) -> Envelope[FranchiseBody]:
    view = await franchises.update_franchise(
        session, principal, franchise_id, changes=body.changes()
    )
    return Envelope(
        message="Franchise updated", data=FranchiseBody(franchise=FranchiseOut.of(view))
    )


@router.delete("/{franchise_id}", operation_id="cms_delete_franchise")
async def delete_franchise(
    franchise_id: FranchiseId, principal: FranchisesDelete, session: SessionDep
) -> Envelope[Done]:
    await franchises.delete_franchise(session, principal, franchise_id)
    return Envelope(message="Franchise deleted", data=Done())


@router.get("/{franchise_id}/staff", operation_id="cms_list_franchise_staff")
async def list_staff(
    franchise_id: FranchiseId, principal: FranchisesManage, session: SessionDep
) -> Envelope[StaffBody]:
    staff = await franchises.list_staff(session, principal, franchise_id)
    return Envelope(data=StaffBody(staff=[StaffOut.of(member, user) for member, user in staff]))


@router.post("/{franchise_id}/staff", status_code=201, operation_id="cms_invite_franchise_staff")
async def invite_staff(
    franchise_id: FranchiseId,
    body: StaffIn,
    principal: FranchisesManage,
    session: SessionDep,
    credentials: CredentialsDep,
) -> Envelope[StaffMemberBody]:
    member, user = await franchises.invite_staff(
        session,
        credentials,
        principal,
        franchise_id,
        email=str(body.email),
        name=body.name,
        password=body.password,
    )
    return Envelope(
        message="Staff member added", data=StaffMemberBody(staff=StaffOut.of(member, user))
    )


@router.delete("/{franchise_id}/staff/{user_id}", operation_id="cms_remove_franchise_staff")
async def remove_staff(
    franchise_id: FranchiseId, user_id: UserId, principal: FranchisesManage, session: SessionDep
) -> Envelope[Done]:
    await franchises.remove_staff(session, principal, franchise_id, user_id)
    return Envelope(message="Staff member removed", data=Done())
