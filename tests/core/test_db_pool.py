"""The engine's pool hands out only live connections (PostgreSQL), without a ping."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from evcare.core.db import create_engine


async def test_a_pooled_connection_the_server_closed_is_replaced_before_use(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite connections are files: nothing can close them from the far side")
    engine = create_engine(database_url)
    admin = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            first = await connection.scalar(text("SELECT pg_backend_pid()"))
            driver = (await connection.get_raw_connection()).driver_connection
        async with admin.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            await other.commit()
        for _ in range(250):  # until the server's goodbye has reached the pooled connection
            if driver.is_closed():
                break
            await asyncio.sleep(0.02)
        assert driver.is_closed()
        async with engine.connect() as connection:
            replaced = await connection.scalar(text("SELECT pg_backend_pid()"))
        assert replaced != first
    finally:
        await engine.dispose()
        await admin.dispose()


async def test_a_live_pooled_connection_is_handed_out_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            first = (await connection.get_raw_connection()).driver_connection
        async with engine.connect() as connection:
            assert (await connection.get_raw_connection()).driver_connection is first
            assert await connection.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()
