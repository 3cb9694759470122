"""Customers' addresses and the serviceable areas (postal codes) the workshops cover.

An address outside every active area is still saved (a customer may bring the car in
themselves) but is shown with ``serviceable: false``; doorstep pickup checks that flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import BusinessRuleViolation, Conflict, NotFound
from evcare.core.pagination import PageParams
from evcare.identity.principal import Principal
from evcare.service import repository
from evcare.service.models import Address, ServiceArea

MAX_ADDRESSES = 20


@dataclass(frozen=True)
class AddressView:
    address: Address
    serviceable: bool


# -- addresses -----------------------------------------------------------------------------


async def list_addresses(session: AsyncSession, principal: Principal) -> list[AddressView]:
    return await _views(session, await repository.list_own_addresses(session, principal.user_id))


async def get_address(
    session: AsyncSession, principal: Principal, *, address_id: int
) -> AddressView:
    """One's own address; anyone else's is a 404 (admins included: addresses are private)."""
    (view,) = await _views(session, [await _own(session, principal, address_id)])
    return view


async def create_address(
    session: AsyncSession, principal: Principal, *, fields: dict[str, Any]
) -> AddressView:
    """The first address, or one marked default, becomes the only default; at most
    ``MAX_ADDRESSES`` each."""
    existing = await repository.list_own_addresses(session, principal.user_id)
    if len(existing) >= MAX_ADDRESSES:
        raise BusinessRuleViolation(
            f"At most {MAX_ADDRESSES} addresses per customer; delete one first"
        )
    address = Address(user_id=principal.user_id, **fields)
    if not existing:
        address.is_default = True
    session.add(address)
    await session.flush()
    if address.is_default:
        await repository.clear_default_address(
            session, user_id=principal.user_id, except_id=address.id
        )
    await session.flush()
    return await get_address(session, principal, address_id=address.id)


async def update_address(
    session: AsyncSession, principal: Principal, *, address_id: int, changes: dict[str, Any]
) -> AddressView:
    address = await _own(session, principal, address_id)
    for name, value in changes.items():
        setattr(address, name, value)
    if changes.get("is_default"):
        await repository.clear_default_address(
            session, user_id=principal.user_id, except_id=address.id
        )
    address.updated_at = utcnow()
    await session.flush()
    return await get_address(session, principal, address_id=address.id)


async def delete_address(session: AsyncSession, principal: Principal, *, address_id: int) -> None:
    """Deleting the default address makes the most recently added remaining one default."""
    address = await _own(session, principal, address_id)
    await session.delete(address)
    await session.flush()
    if address.is_default:
        remaining = await repository.list_own_addresses(session, principal.user_id)
        if remaining:
            remaining[-1].is_default = True
            await session.flush()


async def address_for_booking(
    session: AsyncSession, principal: Principal, *, address_id: int
) -> AddressView:
    """For bookings: the caller's address with its serviceability (404 when not theirs)."""
    return await get_address(session, principal, address_id=address_id)


# -- serviceable areas ---------------------------------------------------------------------


async def list_areas(
    session: AsyncSession,
    principal: Principal | None,
    params: PageParams,
    *,
    city: str | None = None,
) -> list[ServiceArea]:
    """Everyone sees active areas; admins see inactive ones too."""
    active_only = principal is None or not principal.is_admin
    return await repository.list_areas(session, params, city=city, active_only=active_only)


async def create_area(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    city: str,
    pincode: str,
    is_active: bool,
) -> ServiceArea:
    if await repository.area_pincode_taken(session, pincode):
        raise Conflict(f"Pincode {pincode} already belongs to a service area")
    area = ServiceArea(name=name, city=city, pincode=pincode, is_active=is_active)
    session.add(area)
    await session.flush()
    return area


async def update_area(
    session: AsyncSession, principal: Principal, *, area_id: int, changes: dict[str, Any]
) -> ServiceArea:
    area = await _area(session, area_id)
    pincode = changes.get("pincode")
    if (
        pincode is not None
        and pincode != area.pincode
        and await repository.area_pincode_taken(session, pincode, except_id=area.id)
    ):
        raise Conflict(f"Pincode {pincode} already belongs to a service area")
    for name, value in changes.items():
        setattr(area, name, value)
    area.updated_at = utcnow()
    await session.flush()
    return area


async def delete_area(session: AsyncSession, principal: Principal, *, area_id: int) -> None:
    """Addresses in the area stay; they simply stop being serviceable."""
    await session.delete(await _area(session, area_id))
    await session.flush()


# -- internals -----------------------------------------------------------------------------


async def _own(session: AsyncSession, principal: Principal, address_id: int) -> Address:
    address = await repository.get_own_address(
        session, user_id=principal.user_id, address_id=address_id
    )
    if address is None:
        raise NotFound(f"Address {address_id} not found")
    return address


async def _area(session: AsyncSession, area_id: int) -> ServiceArea:
    return await repository.load(session, ServiceArea, area_id, what="Service area")


async def _views(session: AsyncSession, addresses: list[Address]) -> list[AddressView]:
    covered = await repository.serviceable_pincodes(session, [a.pincode for a in addresses])
    return [AddressView(a, a.pincode in covered) for a in addresses]
