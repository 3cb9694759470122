"""RevCare service catalogue: ``/services/`` (public reads, admin writes), categories,
and reviews (``POST /services/review/{service_id}`` by customers, ``PUT`` to moderate)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field

from evcare.core.ids import format_public_id
from evcare.core.money import major_number
from evcare.core.pagination import Pagination
from evcare.core.transactions import SessionDep, TransactionalRoute
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.service import catalogue
from evcare.service.models import ServiceCategory, ServiceReview
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.ids import CategoryId, ReviewId, ServiceId
from evcare.surfaces.revcare.schemas import Message, RevIn, RevModel
from evcare.surfaces.revcare.visitor import Visitor

router = APIRouter(prefix="/services", tags=["services"], route_class=TransactionalRoute)

ServicesWrite = Annotated[Principal, Depends(Authenticator(Scope.WRITE_SERVICES))]
Shopper = Annotated[Principal, Depends(Authenticator(Scope.SHOP_SERVICES))]

Price = Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2, description="major units")]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Minutes = Annotated[int, Field(ge=1, le=1440, description="minutes")]


# -- schemas -------------------------------------------------------------------------------


class CategoryIn(RevIn):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=500)
    is_active: bool = True


class CategoryUpdate(RevIn):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=500)
    is_active: bool | None = None


class CategoryOut(RevModel):
    id: int
    name: str
    description: str
    is_active: bool

    @classmethod
    def of(cls, category: ServiceCategory) -> CategoryOut:
        return cls.model_validate(category)


class ServiceIn(RevIn):
    category_id: CategoryId
    name: str = Field(min_length=1, max_length=150)
    description: str = Field(default="", max_length=2000)
    price: Price
    currency: Currency = "INR"
    duration_minutes: Minutes
    is_active: bool = True


class ServiceUpdate(RevIn):
    category_id: CategoryId | None = None
    name: str | None = Field(default=None, min_length=1, max_length=150)
    description: str | None = Field(default=None, max_length=2000)
    price: Price | None = None
    currency: Currency | None = None
    duration_minutes: Minutes | None = None
    is_active: bool | None = None


class ServiceOut(RevModel):
    id: int
    category_id: int
    name: str
    description: str
    price: float | int
    currency: str
    duration_minutes: int
    is_active: bool
    average_rating: float | None
    review_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: catalogue.ServiceView) -> ServiceOut:
        service = view.service
        return cls(
            id=service.id,
            category_id=service.category_id,
            name=service.name,
            description=service.description,
            price=major_number(service.price_minor, service.currency),
            currency=service.currency,
            duration_minutes=service.duration_minutes,
            is_active=service.is_active,
            average_rating=view.average_rating,
            review_count=view.review_count,
            created_at=service.created_at,
            updated_at=service.updated_at,
        )


class ReviewIn(RevIn):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)


class ModerationIn(RevIn):
    review_id: ReviewId
    action: Literal["approve", "reject", "hide"]
    note: str | None = Field(default=None, max_length=500)


class ReviewOut(RevModel):
    id: int
    service_id: int
    customer_id: str
    rating: int
    comment: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, review: ServiceReview) -> ReviewOut:
        return cls(
            id=review.id,
            service_id=review.service_id,
            customer_id=format_public_id("CST", review.user_id),
            rating=review.rating,
            comment=review.comment,
            status=review.status,
            created_at=review.created_at,
        )


# -- categories (fixed paths first, before /{service_id}) -----------------------------------


@router.get("/category", operation_id="revcare_list_service_categories")
async def list_categories(
    session: SessionDep,
    visitor: Visitor,
    include_inactive: bool = False,
) -> list[CategoryOut]:
    show_all = include_inactive and visitor is not None and visitor.is_admin
    categories = await catalogue.list_categories(session, include_inactive=show_all)
    return [CategoryOut.of(category) for category in categories]


@router.get("/category/{category_id}", operation_id="revcare_get_service_category")
async def get_category(category_id: CategoryId, session: SessionDep) -> CategoryOut:
    return CategoryOut.of(await catalogue.get_category(session, category_id=category_id))


@router.post("/category", status_code=201, operation_id="revcare_create_service_category")
async def create_category(
    body: CategoryIn, principal: ServicesWrite, session: SessionDep
) -> CategoryOut:
    category = await catalogue.create_category(session, principal, **body.model_dump())
    return CategoryOut.of(category)


@router.put("/category/{category_id}", operation_id="revcare_update_service_category")
async def update_category(
    category_id: CategoryId, body: CategoryUpdate, principal: ServicesWrite, session: SessionDep
) -> CategoryOut:
    category = await catalogue.update_category(
        session, principal, category_id=category_id, **body.model_dump(exclude_none=True)
    )
    return CategoryOut.of(category)


@router.delete("/category/{category_id}", operation_id="revcare_delete_service_category")
async def delete_category(
    category_id: CategoryId, principal: ServicesWrite, session: SessionDep
) -> Message:
    await catalogue.delete_category(session, principal, category_id=category_id)
    return Message(message="Service category deleted")


# -- reviews -------------------------------------------------------------------------------


@router.get("/review/{service_id}", operation_id="revcare_list_service_reviews")
async def list_reviews(
    service_id: ServiceId,
    session: SessionDep,
    visitor: Visitor,
    page: Pagination,
    status: Annotated[
        Literal["pending", "approved", "rejected", "hidden"] | None,
        Query(description="admins only; others always see approved reviews"),
    ] = None,
) -> list[ReviewOut]:
    reviews = await catalogue.list_reviews(
        session, visitor, page, service_id=service_id, status=status
    )
    return [ReviewOut.of(review) for review in reviews]


@router.post("/review/{service_id}", status_code=201, operation_id="revcare_review_service")
async def review_service(
    service_id: ServiceId, body: ReviewIn, principal: Shopper, session: SessionDep
) -> ReviewOut:
    review = await catalogue.submit_review(
        session, principal, service_id=service_id, rating=body.rating, comment=body.comment
    )
    return ReviewOut.of(review)


@router.put("/review/{service_id}", operation_id="revcare_moderate_review")
async def moderate_review(
    service_id: ServiceId, body: ModerationIn, principal: ServicesWrite, session: SessionDep
) -> ReviewOut:
    review = await catalogue.moderate_review(
        session,
        principal,
        service_id=service_id,
        review_id=body.review_id,
        action=body.action,
        note=body.note,
    )
    return ReviewOut.of(review)


# -- services ------------------------------------------------------------------------------


@router.get("/", operation_id="revcare_list_services")
async def list_services(
    session: SessionDep,
    visitor: Visitor,
    page: Pagination,
    category_id: CategoryId | None = None,
    search: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    active: Annotated[
        bool | None, Query(description="admins only; everyone else sees active services")
    ] = None,
) -> list[ServiceOut]:
    is_admin = visitor is not None and visitor.is_admin
    result = await catalogue.list_services(
        session,
        page,
        category_id=category_id,
        search=search,
        active=active if is_admin else True,
    )
    return [ServiceOut.of(view) for view in result.items]


@router.get("/{service_id}", operation_id="revcare_get_service")
async def get_service(service_id: ServiceId, session: SessionDep) -> ServiceOut:
    return ServiceOut.of(await catalogue.get_service(session, service_id=service_id))


@router.post("/", status_code=201, operation_id="revcare_create_service")
async def create_service(
    body: ServiceIn, principal: ServicesWrite, session: SessionDep
) -> ServiceOut:
    view = await catalogue.create_service(
        session,
        principal,
        category_id=body.category_id,
        name=body.name,
        description=body.description,
        price=body.price,
        currency=body.currency,
        duration_minutes=body.duration_minutes,
        is_active=body.is_active,
    )
    return ServiceOut.of(view)


@router.put("/{service_id}", operation_id="revcare_update_service")
async def update_service(
    service_id: ServiceId, body: ServiceUpdate, principal: ServicesWrite, session: SessionDep
) -> ServiceOut:
    view = await catalogue.update_service(
        session, principal, service_id=service_id, **body.model_dump(exclude_none=True)
    )
    return ServiceOut.of(view)


@router.delete("/{service_id}", operation_id="revcare_delete_service")
async def delete_service(
    service_id: ServiceId, principal: ServicesWrite, session: SessionDep
) -> Message:
    await catalogue.delete_service(session, principal, service_id=service_id)
    return Message(message="Service deleted")
