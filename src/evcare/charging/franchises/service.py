"""Franchises of a brand: the agreement, the staff the brand invites, deletion.

Who may do what: a brand manages its own franchises, an admin every franchise (and names
the brand when creating one); a franchise's staff read their own franchise; deleting is
the admins'. Another brand's franchise is not found.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.charging.franchises import repository
from evcare.charging.franchises.models import (
    FULL_SHARE_BP,
    Franchise,
    FranchiseStaff,
    FranchiseStatus,
)
from evcare.charging.franchises.repository import FranchiseView
from evcare.charging.stations.models import Station
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from evcare.core.ids import key_or_not_found
from evcare.core.pagination import Page, PageParams
from evcare.core.security import Credentials
from evcare.identity import repository as users
from evcare.identity import service as identity
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal


@dataclass(frozen=True)
class Agreement:
    """The franchise's share of its stations' net revenue (basis points) and its term."""

    revenue_share_bp: int
    start_date: date | None = None
    end_date: date | None = None


@dataclass(frozen=True)
class FranchiseChanges:
    """Fields to change on a franchise; ``None`` leaves a field as it is."""

    name: str | None = None
    location: str | None = None
    contact_person: str | None = None
    phone: str | None = None
    email: str | None = None
    status: str | None = None
    agreement: Agreement | None = None


def _check_agreement(agreement: Agreement) -> None:
    if not 0 <= agreement.revenue_share_bp <= FULL_SHARE_BP:
        message = "must be between 0 and 100"
        raise ValidationFailed(message, fields=[FieldError("agreement.revenueShare", message)])
    start, end = agreement.start_date, agreement.end_date
    if start is not None and end is not None and end <= start:
        message = "must be after startDate"
        raise ValidationFailed(message, fields=[FieldError("agreement.endDate", message)])


def _require_manager(principal: Principal) -> None:
    if not (principal.is_admin or principal.role == Role.BRAND):
        raise Forbidden("Only brands and admins manage franchises")


async def _brand_for_new_franchise(
    session: AsyncSession, principal: Principal, brand_id: int | None
) -> int:
    if not principal.is_admin:
        return principal.user_id
    if brand_id is None:
        raise ValidationFailed(
            "brandId is required", fields=[FieldError("brandId", "an admin names the brand")]
        )
    brand = await users.get_user(session, brand_id)
    if brand is None or brand.role != Role.BRAND:
        raise ValidationFailed(
            "brandId must name a brand user", fields=[FieldError("brandId", "not a brand user")]
        )
    return brand.id


async def get_franchise(
    session: AsyncSession, principal: Principal, franchise_id: str | int
) -> FranchiseView:
    """One franchise the caller may see, or 404."""
    key = key_or_not_found(franchise_id, what="Franchise")
    found = await repository.get_franchise(session, key, visible_to=principal)
    if found is None:
        raise NotFound(f"Franchise {franchise_id} not found")
    return found


async def managed_franchise(
    session: AsyncSession, principal: Principal, franchise_id: str | int
) -> FranchiseView:
    """A franchise the caller manages: their own (brands) or any (admins)."""
    _require_manager(principal)
    return await get_franchise(session, principal, franchise_id)


async def list_franchises(
    session: AsyncSession,
    principal: Principal,
    *,
    params: PageParams,
    status: str | None = None,
    search: str | None = None,
) -> Page[FranchiseView]:
    return await repository.list_franchises(
        session, params, visible_to=principal, status=status, search=search
    )


async def create_franchise(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    location: str,
    contact_person: str,
    agreement: Agreement,
    phone: str | None = None,
    email: str | None = None,
    brand_id: int | None = None,
) -> FranchiseView:
    """A new franchise of the calling brand (or, for an admin, of ``brand_id``)."""
    _require_manager(principal)
    _check_agreement(agreement)
    franchise = Franchise(
        brand_id=await _brand_for_new_franchise(session, principal, brand_id),
        name=name,
        location=location,
        contact_person=contact_person,
        phone=phone,
        email=email,
        status=FranchiseStatus.ACTIVE,
        revenue_share_bp=agreement.revenue_share_bp,
        agreement_start_date=agreement.start_date,
        agreement_end_date=agreement.end_date,
    )
    session.add(franchise)
    await session.flush()
    return await get_franchise(session, principal, franchise.id)


async def update_franchise(
    session: AsyncSession,
    principal: Principal,
    franchise_id: str | int,
    *,
    changes: FranchiseChanges,
) -> FranchiseView:
    """Change a franchise's details, status or agreement. A franchise that is not active
    operates none of its stations: its staff see nothing until it is active again."""
    franchise = (await managed_franchise(session, principal, franchise_id)).franchise
    if changes.agreement is not None:
        _check_agreement(changes.agreement)
        franchise.revenue_share_bp = changes.agreement.revenue_share_bp
        franchise.agreement_start_date = changes.agreement.start_date
        franchise.agreement_end_date = changes.agreement.end_date
    for change in fields(changes):
        value = getattr(changes, change.name)
        if value is not None and change.name != "agreement":
            setattr(franchise, change.name, value)
    franchise.updated_at = utcnow()
    await session.flush()
    return await get_franchise(session, principal, franchise.id)


async def delete_franchise(
    session: AsyncSession, principal: Principal, franchise_id: str | int
) -> None:
    """Delete a franchise (admins): its stations go back to its brand and its staff's
    accounts are closed (their sign-ins end at once)."""
    if not principal.is_admin:
        raise Forbidden("Only admins delete franchises")
    franchise = (await get_franchise(session, principal, franchise_id)).franchise
    await repository.return_stations_to_brand(session, franchise.id)
    for member, user in await repository.list_staff(session, franchise.id):
        await session.delete(member)
        await identity.close_account(session, user, reason="franchise_deleted")
    await session.delete(franchise)
    await session.flush()


# -- staff ---------------------------------------------------------------------------------


async def list_staff(
    session: AsyncSession, principal: Principal, franchise_id: str | int
) -> list[tuple[FranchiseStaff, User]]:
    franchise = (await get_franchise(session, principal, franchise_id)).franchise
    return await repository.list_staff(session, franchise.id)


async def invite_staff(
    session: AsyncSession,
    credentials: Credentials,
    principal: Principal,
    franchise_id: str | int,
    *,
    email: str,
    name: str,
    password: str,
) -> tuple[FranchiseStaff, User]:
    """A new account of role ``franchise`` working for the franchise, signing in with the
    password the brand gives it (an email already in use is a 409: an existing account is
    never taken over)."""
    franchise = (await managed_franchise(session, principal, franchise_id)).franchise
    user = await identity.create_account(
        session, credentials, email=email, name=name, role=Role.FRANCHISE
    )
    user.password_hash = credentials.passwords.hash(password)
    member = FranchiseStaff(franchise_id=franchise.id, user_id=user.id, created_at=utcnow())
    session.add(member)
    await session.flush()
    return member, user


async def remove_staff(
    session: AsyncSession, principal: Principal, franchise_id: str | int, user_id: int
) -> None:
    """Remove a staff member: the account is closed and its sign-ins end at once."""
    franchise = (await managed_franchise(session, principal, franchise_id)).franchise
    found = await repository.get_staff_member(session, franchise.id, user_id)
    if found is None:
        raise NotFound(f"Staff member {user_id} not found")
    member, user = found
    await session.delete(member)
    await identity.close_account(session, user, reason="franchise_staff_removed")
    await session.flush()


# -- stations ------------------------------------------------------------------------------


async def franchise_for_station(
    session: AsyncSession, franchise_id: int, *, brand_id: int
) -> Franchise:
    """The franchise a station of ``brand_id`` is handed to: one of that brand's."""
    franchise = await repository.franchise_of_brand(session, franchise_id, brand_id=brand_id)
    if franchise is None:
        message = "not a franchise of the station's brand"
        raise ValidationFailed(
            "franchiseId must name a franchise of the station's brand",
            fields=[FieldError("franchiseId", message)],
        )
    return franchise


async def active_franchise_of_staff(session: AsyncSession, user_id: int) -> Franchise | None:
    return await repository.active_franchise_of_staff(session, user_id)


async def hand_station(session: AsyncSession, station: Station, franchise_id: int | None) -> None:
    """Hand ``station`` to one of its brand's franchises (``None``: back to the brand)."""
    if franchise_id is not None:
        await franchise_for_station(session, franchise_id, brand_id=station.owner_id)
    await repository.hand_station(session, station, franchise_id)
