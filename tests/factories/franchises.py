"""Franchises, their staff and the stations handed to them, written straight to the database."""

from __future__ import annotations

import itertools

from evcare.charging.franchises.models import Franchise, FranchiseStaff, FranchiseStation
from evcare.charging.stations.models import Station
from evcare.core.runtime import Runtime
from evcare.identity.models import Role, User
from tests.factories.identity import make_user

_counter = itertools.count(1)


async def make_franchise(
    runtime: Runtime, brand: User, *, share_bp: int = 3000, status: str = "active"
) -> Franchise:
    n = next(_counter)
    async with runtime.sessionmaker() as session:
        franchise = Franchise(
            brand_id=brand.id,
            name=f"Franchise {n}",
            location=f"{n} Ring Road, Pune",
            contact_person=f"Contact {n}",
            status=status,
            revenue_share_bp=share_bp,
        )
        session.add(franchise)
        await session.commit()
        return franchise


async def make_staff(runtime: Runtime, franchise: Franchise) -> User:
    user = await make_user(runtime, role=Role.FRANCHISE)
    async with runtime.sessionmaker() as session:
        session.add(FranchiseStaff(franchise_id=franchise.id, user_id=user.id))
        await session.commit()
    return user


async def hand(runtime: Runtime, station: Station | int, franchise: Franchise) -> None:
    """Hand ``station`` to ``franchise`` as the brand's PUT /stations/:id would."""
    station_id = station if isinstance(station, int) else station.id
    async with runtime.sessionmaker() as session:
        session.add(FranchiseStation(station_id=station_id, franchise_id=franchise.id))
        row = await session.get(Station, station_id)
        assert row is not None
        row.owner_type = Role.FRANCHISE
        await session.commit()
