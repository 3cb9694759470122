"""Async engine, sessions and the declarative base.

The request-owned transaction (``SessionDep``, ``TransactionalRoute``) is in
:mod:`evcare.core.transactions`, above the runtime that hands out the sessions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from evcare.core import sqlite_async
from evcare.core.clock import as_utc, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use evcare.core.clock.utcnow()")
        return as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


SQLITE_POOL_SIZE = 32
POSTGRESQL_POOL_SIZE = 30


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An engine for SQLite (WAL, foreign keys on) or PostgreSQL (asyncpg)."""
    # The pool keeps every connection it opens (no overflow): with 5 or 10 kept plus
    # overflow, the overflow ones were closed on return and opened again by the next
    # burst, one every ~8 requests at 32 concurrent requests (a PostgreSQL backend
    # forked, or a SQLite thread started, its pragmas set and its schema parsed, each
    # time). PostgreSQL keeps its old ceiling of 30 per process (the server's
    # max_connections is shared); SQLite gets 32, one per concurrent request of the HTTP
    # benchmark (a connection's page cache grows only with the pages it reads).
    kwargs: dict[str, Any] = {"echo": echo, "max_overflow": 0}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 30}
        kwargs["module"] = sqlite_async.dbapi()
        kwargs["pool_size"] = SQLITE_POOL_SIZE
    else:
        kwargs["pool_size"] = POSTGRESQL_POOL_SIZE
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Checkout: a pooled PostgreSQL connection the server has closed (a restart, an
    idle timeout, ``pg_terminate_backend``) is replaced before anyone uses it.

    In place of ``pool_pre_ping``, whose asyncpg ping is three round trips (BEGIN, a
    blank statement, ROLLBACK) on every checkout: as many as the wallet debit's own
    statements. asyncpg sees the server's goodbye (its FATAL message, the socket's end)
    in the event loop and marks the connection closed, so asking it costs nothing;
    raising ``DisconnectionError`` makes the pool drop the connection and check out
    another (a new one if need be)."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


SQLITE_CACHE_KIB = 65536


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_postgresql(session: AsyncSession) -> bool:
    """Dialect helper: the one place code asks which database it is talking to."""
    return session.get_bind().dialect.name == "postgresql"


# Set in a session's ``info`` by ``core.events.publish``: its commit has events to dispatch.
PUBLISHED_EVENTS = "evcare.published_events"
