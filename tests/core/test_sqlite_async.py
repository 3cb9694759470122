"""The SQLite adapter that runs a statement in one trip to aiosqlite's thread: results,
row counts and errors as SQLAlchemy's own adapter gives them, and a transaction is ended
exactly when one is open."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.runtime import Runtime
from evcare.core.sqlite_async import OneHopCursor
from evcare.identity.models import Role, User
from tests.factories.identity import make_user


async def _adapted(session: AsyncSession) -> object:
    raw = await (await session.connection()).get_raw_connection()
    return raw.dbapi_connection


@pytest.fixture(autouse=True)
def _sqlite_only(runtime: Runtime) -> None:
    if runtime.engine.dialect.name != "sqlite":
        pytest.skip("the adapter serves SQLite connections only")


async def test_statements_go_through_the_one_hop_cursor(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        adapted = await _adapted(session)
        assert isinstance(adapted.cursor(), OneHopCursor)  # type: ignore[attr-defined]
        rows = (await session.execute(text("SELECT 1 AS one, 'two' AS two"))).all()
        assert [tuple(row) for row in rows] == [(1, "two")]
        assert list((await session.execute(text("SELECT 1 WHERE 0"))).all()) == []


async def test_a_read_opens_no_transaction_and_a_write_does(runtime: Runtime) -> None:
    user = await make_user(runtime)
    async with runtime.sessionmaker() as session:
        adapted = await _adapted(session)
        await session.execute(select(User.id))
        assert adapted.in_transaction is False  # type: ignore[attr-defined]
        await session.execute(update(User).where(User.id == user.id).values(first_name="Read"))
        assert adapted.in_transaction is True  # type: ignore[attr-defined]
        await session.commit()
        assert adapted.in_transaction is False  # type: ignore[attr-defined]


async def test_rollback_still_undoes_a_write(runtime: Runtime) -> None:
    user = await make_user(runtime)
    async with runtime.sessionmaker() as session:
        await session.execute(update(User).where(User.id == user.id).values(first_name="Gone"))
        await session.rollback()
    async with runtime.sessionmaker() as session:
        name = await session.scalar(select(User.first_name).where(User.id == user.id))
    assert name != "Gone"


async def test_row_counts_and_new_keys_are_reported(runtime: Runtime) -> None:
    users = [await make_user(runtime) for _ in range(3)]
    async with runtime.sessionmaker() as session:
        result = await session.execute(
            update(User).where(User.id.in_([u.id for u in users])).values(last_name="Counted")
        )
        assert result.rowcount == 3  # type: ignore[attr-defined]
        new_user = User(email="new-key@evcare.dev", first_name="N", last_name="K", role=Role.USER)
        session.add(new_user)
        await session.flush()
        assert new_user.id is not None and new_user.id > max(u.id for u in users)
        await session.commit()


async def test_errors_arrive_as_sqlalchemy_errors_and_the_session_recovers(
    runtime: Runtime,
) -> None:
    user = await make_user(runtime)
    async with runtime.sessionmaker() as session:
        with pytest.raises(IntegrityError):
            await session.execute(
                insert(User).values(
                    email=user.email, first_name="Dup", last_name="Licate", role=Role.USER
                )
            )
        await session.rollback()
        assert await session.scalar(select(User.email).where(User.id == user.id)) == user.email
