"""0009 keys the names already stored, and a database that kept ``ÉLAN`` and ``élan``
apart (SQLite's ASCII ``lower()`` did) still upgrades, keeping both rows."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from evcare.core.db import create_engine
from evcare.core.migrate import upgrade


@pytest.fixture
async def fresh_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the kind the suite runs on (the shared one is at head)."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'upgrade.db'}"
        return
    base = make_url(database_url)
    server = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    name = f"evcare_migration_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def test_existing_names_get_keys_and_old_near_duplicates_survive_the_upgrade(
    fresh_url: str,
) -> None:
    await upgrade(fresh_url, "0008_merge")
    engine = create_engine(fresh_url)
    try:
        async with engine.begin() as connection:
            for name in ("ÉLAN", "élan", "Straße"):
                await connection.execute(
                    text(
                        "INSERT INTO service_category (name, description, is_active, "
                        "created_at, updated_at) VALUES (:name, '', true, CURRENT_TIMESTAMP, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"name": name},
                )
            await connection.execute(
                text(
                    "INSERT INTO service (category_id, name, description, price_minor, "
                    "currency, duration_minutes, is_active, created_at, updated_at) "
                    "SELECT id, 'ÉLECTRIQUE check', 'Pads', 100, 'INR', 30, true, "
                    "created_at, updated_at FROM service_category WHERE name = 'Straße'"
                )
            )
        await upgrade(fresh_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT name, name_key FROM service_category ORDER BY id")
                )
            ).all()
            search_key = await connection.scalar(text("SELECT search_key FROM service"))
            fuels = (await connection.execute(text("SELECT name, name_key FROM fuel_type"))).all()
    finally:
        await engine.dispose()
    first, second, third = rows
    assert first == ("ÉLAN", "élan")
    assert second[0] == "élan" and second[1].startswith("élan\n")
    assert third == ("Straße", "strasse")
    assert search_key == "électrique check\npads"
    assert all(key == " ".join(name.casefold().split()) for name, key in fuels)
