"""Test harness: one real database per run, built by the migrations, emptied between tests.

``EVCARE_TEST_DATABASE_URL`` picks the server: unset means a fresh SQLite file; a
``postgresql+asyncpg://`` URL means a fresh database is created on that server for this
run (and dropped afterwards). An unreachable PostgreSQL fails the run; it never skips.

Why not one rolled-back transaction per test: OCPP chargers, socket.io clients and the
outbox dispatcher reach the database over their own connections, so every test sees
committed data exactly as production does, and cleanup empties the tables instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from cryptography.fernet import Fernet
from fastapi import FastAPI
from sqlalchemy import Table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from evcare.app import create_app
from evcare.core.clock import clock
from evcare.core.config import Settings
from evcare.core.migrate import upgrade
from evcare.core.runtime import Runtime
from evcare.models import metadata

# Fixtures shared by several test packages.
pytest_plugins = ["tests.factories.mail", "tests.factories.twilio", "tests.factories.webhooks"]


def _test_database_url() -> str:
    return os.environ.get("EVCARE_TEST_DATABASE_URL", "").strip()


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    configured = _test_database_url()
    if not configured or configured.startswith("sqlite"):
        folder = Path(tempfile.mkdtemp(prefix="evcare-test-"))
        url = configured or f"sqlite+aiosqlite:///{folder / 'test.db'}"
        await upgrade(url)
        yield url
        return
    base = make_url(configured)
    name = f"evcare_test_{secrets.token_hex(4)}"
    server = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    try:
        admin = await asyncpg.connect(server, timeout=10)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.exit(f"PostgreSQL at {base.host}:{base.port} unreachable: {error!r}", returncode=3)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = base.set(database=name).render_as_string(hide_password=False)
    await upgrade(url)
    yield url
    admin = await asyncpg.connect(server, timeout=10)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def make_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "secret_key": secrets.token_urlsafe(32),
        "kyc_encryption_key": Fernet.generate_key().decode(),
        "argon2_time_cost": 1,
        "argon2_memory_kib": 64,
        "rate_limit": "100000/minute",
        "outbox_poll_seconds": 0.2,
        "gc_freeze_seconds": 0.5,
        "log_level": "WARNING",
        "data_dir": Path(tempfile.mkdtemp(prefix="evcare-data-")),
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


# Runtimes whose background work (the outbox dispatcher) runs across tests.
_LIVE_RUNTIMES: list[Runtime] = []


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        _LIVE_RUNTIMES.append(application.state.runtime)
        yield application
        _LIVE_RUNTIMES.remove(application.state.runtime)


@pytest.fixture(scope="session")
def runtime(app: FastAPI) -> Runtime:
    value: Runtime = app.state.runtime
    return value


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(autouse=True)
async def _clean_state(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    uses_db = "database_url" in request.fixturenames
    url: str | None = request.getfixturevalue("database_url") if uses_db else None
    runtime: Runtime | None = (
        request.getfixturevalue("runtime") if "app" in request.fixturenames else None
    )
    yield
    clock.unfreeze()
    if runtime is not None:
        await runtime.rate_limiter.reset()
    if url is not None:
        async with contextlib.AsyncExitStack() as paused:
            for live in _LIVE_RUNTIMES:
                await paused.enter_async_context(live.outbox.paused())
            await empty_tables(url)


async def empty_tables(url: str) -> None:
    from evcare.core.db import create_engine

    engine = create_engine(url)
    tables = list(reversed(metadata.sorted_tables))
    try:
        for attempt in range(5):
            try:
                await _empty(engine, tables)
                return
            except DBAPIError as error:
                # A background transaction that was not paused (a charger's message
                # landing late) can deadlock with TRUNCATE; PostgreSQL picks a victim.
                if "deadlock" not in str(error.orig).lower() or attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
    finally:
        await engine.dispose()


async def _empty(engine: AsyncEngine, tables: list[Table]) -> None:
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Table names come from our own metadata, never from input. TRUNCATE costs per
            # table whether it holds rows or not (70 tables: most of a test's time), so one
            # round trip finds the tables a test wrote to and only those are truncated;
            # every sequence restarts, written to or not (a rolled-back insert moves one).
            probes = " UNION ALL ".join(
                f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM \"{table.name}\")"  # noqa: S608
                for table in tables
            )
            written = [name for (name,) in (await connection.execute(text(probes))).all()]
            if written:
                joined = ", ".join(f'"{name}"' for name in written)
                await connection.execute(text(f"TRUNCATE {joined} CASCADE"))
            await connection.execute(
                text(
                    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
                )
            )
        else:
            for table in tables:
                await connection.execute(table.delete())


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    clock.freeze()
    yield
    clock.unfreeze()
