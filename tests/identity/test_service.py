"""Identity rules that have no route of their own yet: restore and status changes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from evcare.core.errors import Conflict, Forbidden, NotFound
from evcare.core.runtime import Runtime
from evcare.identity import service
from evcare.identity.models import Role, UserStatus
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from tests.factories.identity import bearer, login, make_user


def principal_of(user_id: int, role: Role) -> Principal:
    return Principal(user_id=user_id, role=role, scopes=scopes_for(role), session_id=uuid.uuid4())


async def test_a_soft_deleted_user_is_restored_by_an_admin(runtime: Runtime) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    user = await make_user(runtime)
    acting = principal_of(admin.id, Role.ADMIN)
    async with runtime.sessionmaker() as session:
        await service.delete_person(session, acting, role=Role.USER, user_id=user.id)
        await session.commit()
    async with runtime.sessionmaker() as session:
        with pytest.raises(NotFound):
            await service.get_person(session, acting, role=Role.USER, user_id=user.id)
        restored = await service.restore_user(session, acting, user_id=user.id)
        await session.commit()
        assert restored.deleted_at is None
    async with runtime.sessionmaker() as session:
        with pytest.raises(Conflict):
            await service.restore_user(session, acting, user_id=user.id)


async def test_only_admins_restore_or_change_status(runtime: Runtime) -> None:
    user = await make_user(runtime)
    acting = principal_of(user.id, Role.USER)
    async with runtime.sessionmaker() as session:
        with pytest.raises(Forbidden):
            await service.restore_user(session, acting, user_id=user.id)
        with pytest.raises(Forbidden):
            await service.set_status(
                session, acting, user_id=user.id, status=UserStatus.BLOCKED, reason=None
            )


async def test_suspending_a_user_ends_their_sign_ins_and_reactivating_allows_new_ones(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    user = await make_user(runtime)
    token = await login(client, user)
    acting = principal_of(admin.id, Role.ADMIN)
    async with runtime.sessionmaker() as session:
        await service.set_status(
            session, acting, user_id=user.id, status=UserStatus.SUSPENDED, reason="fraud check"
        )
        await session.commit()
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
    refused = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": "Password@123"}
    )
    assert refused.status_code == 401
    async with runtime.sessionmaker() as session:
        await service.set_status(
            session, acting, user_id=user.id, status=UserStatus.ACTIVE, reason=None
        )
        await session.commit()
    # The old token stays revoked; a new sign-in works.
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
    await login(client, user)


async def test_an_admin_cannot_block_themselves(runtime: Runtime) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    async with runtime.sessionmaker() as session:
        with pytest.raises(Conflict):
            await service.set_status(
                session,
                principal_of(admin.id, Role.ADMIN),
                user_id=admin.id,
                status=UserStatus.BLOCKED,
                reason=None,
            )
