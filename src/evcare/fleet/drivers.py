"""A fleet's drivers: the organization's DRIVER accounts (identity's organization
accounts, the same as ``/v1/organizations/me/accounts``) and the fleet vehicles each
may drive. An assigned driver may charge the vehicle on EV-CMS; the organization may
pay for it (:mod:`evcare.fleet.settings`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.errors import NotFound
from evcare.core.ids import format_public_id
from evcare.core.pagination import Page, PageParams
from evcare.core.security import Credentials
from evcare.fleet import events, repository
from evcare.identity import organizations
from evcare.identity.models import AccountRole
from evcare.identity.organizations import Account


@dataclass(frozen=True)
class Driver:
    account: Account
    vehicle_ids: list[int]


async def list_drivers(
    session: AsyncSession, organization_id: str, params: PageParams
) -> Page[Driver]:
    page = await organizations.list_accounts(
        session, organization_id, params, role=AccountRole.DRIVER
    )
    assigned = await repository.vehicles_of(session, [user.id for _, user in page.items])
    return Page(
        items=[Driver(account, assigned.get(account[1].id, [])) for account in page.items],
        total=page.total,
        params=params,
    )


async def _account(session: AsyncSession, organization_id: str, driver_id: str) -> Account:
    """The organization's DRIVER account; any other account (or organization's) is not
    a driver of this fleet."""
    try:
        account = await organizations.get_account(session, organization_id, driver_id)
    except NotFound:
        raise NotFound("Driver not found") from None
    if account[0].role != AccountRole.DRIVER:
        raise NotFound("Driver not found")
    return account


async def get_driver(session: AsyncSession, organization_id: str, driver_id: str) -> Driver:
    account = await _account(session, organization_id, driver_id)
    assigned = await repository.vehicles_of(session, [account[1].id])
    return Driver(account, assigned.get(account[1].id, []))


def document(driver: Driver) -> dict[str, Any]:
    """What a webhook event carries about a driver."""
    member, user = driver.account
    return {
        "id": member.id,
        "userId": str(user.id),
        "email": user.email,
        "name": user.name,
        "status": user.status,
        "vehicleIds": [format_public_id("VEH", v) for v in driver.vehicle_ids],
    }


async def add_driver(
    session: AsyncSession,
    credentials: Credentials,
    organization_id: str,
    *,
    email: str,
    name: str,
    vehicle_ids: list[int],
) -> Driver:
    """A new DRIVER account of the organization, assigned to ``vehicle_ids`` (each a
    vehicle of this fleet: another organization's is not found, nothing is written)."""
    vehicle_ids = list(dict.fromkeys(vehicle_ids))
    await _require_fleet_vehicles(session, organization_id, vehicle_ids)
    account = await organizations.add_account(
        session, credentials, organization_id, email=email, name=name, role=AccountRole.DRIVER
    )
    await repository.replace_assignments(session, account[1].id, vehicle_ids)
    driver = await get_driver(session, organization_id, account[0].id)
    await _announce(session, organization_id, "created", driver)
    return driver


async def rename_driver(
    session: AsyncSession, organization_id: str, driver_id: str, *, name: str | None
) -> Driver:
    await _account(session, organization_id, driver_id)
    await organizations.update_account(session, organization_id, driver_id, name=name)
    driver = await get_driver(session, organization_id, driver_id)
    await _announce(session, organization_id, "updated", driver)
    return driver


async def assign_vehicles(
    session: AsyncSession, organization_id: str, driver_id: str, vehicle_ids: list[int]
) -> Driver:
    """The driver may drive exactly ``vehicle_ids`` from now on (all of this fleet)."""
    vehicle_ids = list(dict.fromkeys(vehicle_ids))
    _, user = await _account(session, organization_id, driver_id)
    await _require_fleet_vehicles(session, organization_id, vehicle_ids)
    await repository.replace_assignments(session, user.id, vehicle_ids)
    driver = await get_driver(session, organization_id, driver_id)
    await _announce(session, organization_id, "updated", driver)
    return driver


async def remove_driver(session: AsyncSession, organization_id: str, driver_id: str) -> None:
    """Remove the driver: their assignments end and their account closes."""
    driver = await get_driver(session, organization_id, driver_id)
    await repository.replace_assignments(session, driver.account[1].id, [])
    await organizations.remove_account(session, organization_id, driver_id)
    await _announce(session, organization_id, "deleted", driver)


async def _require_fleet_vehicles(
    session: AsyncSession, organization_id: str, vehicle_ids: list[int]
) -> None:
    found = await repository.organization_vehicle_ids(session, organization_id, vehicle_ids)
    missing = [v for v in vehicle_ids if v not in found]
    if missing:
        raise NotFound(f"Vehicle {format_public_id('VEH', missing[0])} not found")


async def _announce(
    session: AsyncSession, organization_id: str, change: str, driver: Driver
) -> None:
    await events.announce(
        session,
        events.DRIVER_TOPICS[change],
        organization_id=organization_id,
        resource_id=driver.account[0].id,
        resource=document(driver),
    )
