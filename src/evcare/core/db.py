"""Async engine, sessions, the declarative base, and the request-owned transaction.

The request owns the transaction: :class:`TransactionalRoute` commits the request's
session after the endpoint returns and **before** the response is sent, and rolls it
back on any error. Services and repositories only ``flush()``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Dialect
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
from evcare.core.errors import DomainError

if TYPE_CHECKING:
    from evcare.core.runtime import Runtime

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
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


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


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work; committed by :class:`TransactionalRoute`."""
    runtime = _runtime(request)
    async with runtime.sessionmaker() as session:
        request.state.db_session = session
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


class TransactionalRoute(APIRoute):
    """Commit the request's session before the response leaves; roll back on any error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except DomainError as error:
                await _finish(request, commit=error.keep_changes)
                raise
            except BaseException:
                await _finish(request, commit=False)
                raise
            await _finish(request, commit=response.status_code < 400)
            return response

        return transactional_handler


# Set in a session's ``info`` by ``core.events.publish``: its commit has events to dispatch.
PUBLISHED_EVENTS = "evcare.published_events"


async def _finish(request: Request, *, commit: bool) -> None:
    session: AsyncSession | None = getattr(request.state, "db_session", None)
    if session is None:
        return
    request.state.db_session = None
    published = session.info.pop(PUBLISHED_EVENTS, False)
    if commit:
        await session.commit()
        # Only a request that published wakes the dispatcher: waking it after every read
        # cost a claim UPDATE and a commit per request (the poll still finds the rest).
        if published:
            _runtime(request).outbox.wake()
    else:
        await session.rollback()
