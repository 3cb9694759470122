"""Catalogue rules: categories, services, reviews, and a customer's cart and favourites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, FieldError, NotFound
from evcare.core.events import publish
from evcare.core.money import Money
from evcare.core.pagination import Page, PageParams
from evcare.identity.principal import Principal
from evcare.service import booking_facts, repository, workshops
from evcare.service.models import (
    CartItem,
    FavouriteService,
    ReviewStatus,
    Service,
    ServiceCategory,
    ServiceReview,
)


@dataclass(frozen=True)
class ServiceView:
    service: Service
    average_rating: float | None
    review_count: int


# -- categories ----------------------------------------------------------------------------


async def list_categories(
    session: AsyncSession, *, include_inactive: bool = False
) -> list[ServiceCategory]:
    return await repository.list_categories(session, active_only=not include_inactive)


async def get_category(session: AsyncSession, *, category_id: int) -> ServiceCategory:
    return await repository.load(session, ServiceCategory, category_id, what="Service category")


async def create_category(
    session: AsyncSession, principal: Principal, *, name: str, description: str, is_active: bool
) -> ServiceCategory:
    """Category names are unique by :func:`evcare.core.names.name_key` (case, accent
    composition and spacing do not make a new name)."""
    if await repository.category_name_taken(session, name):
        raise Conflict(f"A service category named '{name}' already exists")
    category = ServiceCategory(name=name, description=description, is_active=is_active)
    session.add(category)
    await _flush_named(session, name)
    return category


async def update_category(
    session: AsyncSession,
    principal: Principal,
    *,
    category_id: int,
    name: str | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> ServiceCategory:
    category = await get_category(session, category_id=category_id)
    if name is not None and name != category.name:
        if await repository.category_name_taken(session, name, except_id=category.id):
            raise Conflict(f"A service category named '{name}' already exists")
        category.name = name
    if description is not None:
        category.description = description
    if is_active is not None:
        category.is_active = is_active
    category.updated_at = utcnow()
    await _flush_named(session, category.name)
    return category


async def _flush_named(session: AsyncSession, name: str) -> None:
    """Flush; the name key a concurrent request took first is a 409, not a 500."""
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(f"A service category named '{name}' already exists") from error


async def delete_category(session: AsyncSession, principal: Principal, *, category_id: int) -> None:
    """A category that still holds services cannot go: move or delete them first."""
    category = await get_category(session, category_id=category_id)
    if await repository.category_has_services(session, category.id):
        raise Conflict("The category still has services; move or delete them first")
    await session.delete(category)
    await session.flush()


# -- services ------------------------------------------------------------------------------


async def list_services(
    session: AsyncSession,
    params: PageParams,
    *,
    category_id: int | None = None,
    search: str | None = None,
    active: bool | None = True,
    workshop_id: str = workshops.DEFAULT_WORKSHOP_ID,
) -> Page[ServiceView]:
    """One workshop's catalogue: RevCare's (the default workshop's) unless told."""
    page = await repository.list_services(
        session,
        params,
        category_id=category_id,
        search=search,
        active=active,
        workshop_id=workshop_id,
    )
    views = await _with_ratings(session, page.items)
    return Page(items=views, total=page.total, params=params)


async def get_service(session: AsyncSession, *, service_id: int) -> ServiceView:
    (view,) = await _with_ratings(session, [await _load_service(session, service_id)])
    return view


async def create_service(
    session: AsyncSession,
    principal: Principal,
    *,
    category_id: int,
    name: str,
    description: str,
    price: Decimal,
    currency: str,
    duration_minutes: int,
    is_active: bool,
    workshop_id: str | None = None,
) -> ServiceView:
    """``price`` is in major units of ``currency``; it is stored in minor units. The
    service is ``workshop_id``'s; RevCare's are the default workshop's."""
    await _existing_category(session, category_id)
    service = Service(
        workshop_id=workshop_id or await workshops.default_workshop_id(session),
        category_id=category_id,
        name=name,
        description=description,
        price_minor=Money.from_major(price, currency).amount_minor,
        currency=currency.upper(),
        duration_minutes=duration_minutes,
        is_active=is_active,
    )
    session.add(service)
    await session.flush()
    await publish(session, "service.catalogue_changed", {"serviceId": service.id})
    return ServiceView(service, None, 0)


async def update_service(
    session: AsyncSession,
    principal: Principal,
    *,
    service_id: int,
    category_id: int | None = None,
    name: str | None = None,
    description: str | None = None,
    price: Decimal | None = None,
    currency: str | None = None,
    duration_minutes: int | None = None,
    is_active: bool | None = None,
) -> ServiceView:
    service = await _load_service(session, service_id)
    if category_id is not None:
        await _existing_category(session, category_id)
        service.category_id = category_id
    if name is not None:
        service.name = name
    if description is not None:
        service.description = description
    if currency is not None:
        service.currency = currency.upper()
    if price is not None:
        service.price_minor = Money.from_major(price, service.currency).amount_minor
    if duration_minutes is not None:
        service.duration_minutes = duration_minutes
    if is_active is not None:
        service.is_active = is_active
    service.updated_at = utcnow()
    await session.flush()
    await publish(session, "service.catalogue_changed", {"serviceId": service.id})
    return await get_service(session, service_id=service.id)


async def delete_service(session: AsyncSession, principal: Principal, *, service_id: int) -> None:
    """Removes the service with its reviews and every cart/favourite entry of it."""
    service = await _load_service(session, service_id)
    await session.delete(service)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(
            f"Service {service_id} is part of bookings; deactivate it (is_active false) instead"
        ) from error
    await publish(session, "service.catalogue_changed", {"serviceId": service_id})


# -- reviews -------------------------------------------------------------------------------


async def submit_review(
    session: AsyncSession, principal: Principal, *, service_id: int, rating: int, comment: str
) -> ServiceReview:
    """One review per customer and service, only after a completed booking that included
    the service; it waits for moderation before it is shown."""
    await _load_service(session, service_id)
    if not await booking_facts.customer_completed_service(
        session, user_id=principal.user_id, service_id=service_id
    ):
        raise BusinessRuleViolation(
            "You can review a service only after a completed booking that included it",
            fields=[FieldError("service_id", "no completed booking with this service")],
        )
    if await repository.get_review_of(session, service_id=service_id, user_id=principal.user_id):
        raise Conflict("You have already reviewed this service")
    review = ServiceReview(
        service_id=service_id, user_id=principal.user_id, rating=rating, comment=comment
    )
    try:
        async with session.begin_nested():
            session.add(review)
    except IntegrityError as error:
        raise Conflict("You have already reviewed this service") from error
    await publish(
        session, "service.review_submitted", {"reviewId": review.id, "serviceId": service_id}
    )
    return review


async def list_reviews(
    session: AsyncSession,
    principal: Principal | None,
    params: PageParams,
    *,
    service_id: int,
    status: str | None = None,
) -> list[ServiceReview]:
    """The public sees approved reviews only; admins may list any status."""
    await _load_service(session, service_id)
    if principal is not None and principal.is_admin:
        statuses = [status] if status else None
    else:
        statuses = [ReviewStatus.APPROVED]
    return await repository.list_reviews(session, params, service_id=service_id, statuses=statuses)


MODERATION: dict[str, ReviewStatus] = {
    "approve": ReviewStatus.APPROVED,
    "reject": ReviewStatus.REJECTED,
    "hide": ReviewStatus.HIDDEN,
}


async def moderate_review(
    session: AsyncSession,
    principal: Principal,
    *,
    service_id: int,
    review_id: int,
    action: str,
    note: str | None,
) -> ServiceReview:
    """Approve, reject or hide a review of ``service_id``; the review must belong to it."""
    review = await session.get(ServiceReview, review_id)
    if review is None or review.service_id != service_id:
        raise NotFound(f"Review {review_id} of service {service_id} not found")
    review.status = MODERATION[action]
    review.moderated_by = principal.user_id
    review.moderated_at = utcnow()
    review.moderation_note = note
    review.updated_at = review.moderated_at
    await session.flush()
    return review


# -- cart and favourites -------------------------------------------------------------------


class SavedList(StrEnum):
    CART = "cart"
    FAVOURITES = "favourites"


_SAVED_TABLE: dict[SavedList, type[CartItem] | type[FavouriteService]] = {
    SavedList.CART: CartItem,
    SavedList.FAVOURITES: FavouriteService,
}


async def save_service(
    session: AsyncSession, principal: Principal, *, into: SavedList, service_id: int
) -> None:
    """Adding a service twice keeps one entry (idempotent). Inactive services cannot be added."""
    service = await _load_service(session, service_id)
    if not service.is_active:
        raise BusinessRuleViolation(f"Service {service_id} is not offered at the moment")
    model = _SAVED_TABLE[into]
    if await session.get(model, (principal.user_id, service_id)) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(model(user_id=principal.user_id, service_id=service_id))
    except IntegrityError:
        # The same add arrived at the same moment and won: there is still exactly one entry.
        return


async def unsave_service(
    session: AsyncSession, principal: Principal, *, into: SavedList, service_id: int
) -> None:
    removed = await repository.remove_saved(
        session, _SAVED_TABLE[into], user_id=principal.user_id, service_id=service_id
    )
    if not removed:
        raise NotFound(f"Service {service_id} is not in your {into.value}")


async def saved_services(
    session: AsyncSession, principal: Principal, *, into: SavedList
) -> list[ServiceView]:
    services = await repository.saved_services(session, _SAVED_TABLE[into], principal.user_id)
    return await _with_ratings(session, services)


# -- internals -----------------------------------------------------------------------------


async def _load_service(session: AsyncSession, service_id: int) -> Service:
    return await repository.load(session, Service, service_id, what="Service")


async def _existing_category(session: AsyncSession, category_id: int) -> None:
    if await session.get(ServiceCategory, category_id) is None:
        raise BusinessRuleViolation(
            f"Service category {category_id} does not exist",
            fields=[FieldError("category_id", "unknown category")],
        )


async def _with_ratings(session: AsyncSession, services: Sequence[Service]) -> list[ServiceView]:
    summaries = await repository.rating_summaries(session, [s.id for s in services])
    views = []
    for service in services:
        average, count = summaries.get(service.id, (None, 0))
        views.append(ServiceView(service, average, count))
    return views
