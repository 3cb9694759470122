"""Station rules beyond the HTTP surface: soft-deleted stations can be restored."""

from __future__ import annotations

import uuid

import pytest

from evcare.charging.stations import service as charging
from evcare.core.clock import utcnow
from evcare.core.errors import NotFound
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from tests.factories.charging import make_station
from tests.factories.identity import make_user


def acting(user_id: int, role: Role) -> Principal:
    return Principal(user_id=user_id, role=role, scopes=scopes_for(role), session_id=uuid.uuid4())


async def test_an_admin_restores_a_soft_deleted_station(runtime: Runtime) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    admin = await make_user(runtime, role=Role.ADMIN)
    station = await make_station(runtime, brand, deleted_at=utcnow())
    async with runtime.sessionmaker() as session:
        with pytest.raises(NotFound):
            await charging.get_station(session, acting(brand.id, Role.BRAND), str(station.id))
        await charging.restore_station(session, acting(admin.id, Role.ADMIN), str(station.id))
        await session.commit()
    async with runtime.sessionmaker() as session:
        found = await charging.get_station(session, acting(brand.id, Role.BRAND), str(station.id))
    assert found.deleted_at is None


async def test_a_brand_cannot_restore_a_station(runtime: Runtime) -> None:
    brand = await make_user(runtime, role=Role.BRAND)
    station = await make_station(runtime, brand, deleted_at=utcnow())
    async with runtime.sessionmaker() as session:
        with pytest.raises(NotFound):
            await charging.restore_station(session, acting(brand.id, Role.BRAND), str(station.id))
