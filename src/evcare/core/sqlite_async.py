"""SQLite through aiosqlite with one thread hop per statement instead of four.

aiosqlite runs every SQLite call on the connection's own thread. SQLAlchemy's adapter
makes four calls per statement (open a cursor, execute, fetch all rows, close the
cursor), and each is a round trip between the event loop and that thread: on a small VM
a round trip costs 100 to 400 µs of wake-up latency, which is more than SQLite needs for
most of our statements. The cursor here does the four in one function on the
connection's thread and hands back the rows, description, rowcount and last row id, and
whether a transaction is open, so that ending a session that only read (no transaction:
Python's sqlite3 begins one only before a write) needs no round trip at all. The rest of
the adapter (errors, pooling, server-side cursors) is SQLAlchemy's.

Used by :func:`evcare.core.db.create_engine` for every ``sqlite+aiosqlite`` URL.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)


class _Outcome:
    """What a finished statement left on its cursor (read after the cursor is closed)."""

    __slots__ = ("arraysize", "description", "lastrowid", "rowcount")

    def __init__(
        self, description: Any = None, rowcount: int = -1, lastrowid: int | None = None
    ) -> None:
        self.description = description
        self.rowcount = rowcount
        self.lastrowid = lastrowid
        self.arraysize = 1


def _run(
    connection: sqlite3.Connection, operation: str, parameters: Any, many: bool
) -> tuple[_Outcome, list[Any], bool]:
    """On the connection's thread: the statement, its rows, what it reported, and whether
    a transaction is open after it."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        outcome = _Outcome(cursor.description, cursor.rowcount, cursor.lastrowid)
        return outcome, rows, connection.in_transaction
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # No aiosqlite cursor (opening one is a round trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _Outcome()  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        return await self._send(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        return await self._send(operation, seq_of_parameters, many=True)

    async def _send(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: _Connection = self._adapt_connection  # type: ignore[assignment]
        async with adapted._execute_mutex:
            try:
                outcome, rows, adapted.in_transaction = await connection._execute(  # type: ignore[no-untyped-call]
                    _run, connection._conn, operation, parameters, many
                )
            except BaseException:
                adapted.in_transaction = True  # whatever happened, end it the usual way
                raise
        self._cursor = outcome
        self._rows = collections.deque(rows)

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        return None

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class _Connection(AsyncAdapt_aiosqlite_connection):
    """Also knows, from its statements, whether SQLite has a transaction open: ending one
    that is not open (every read-only session's ROLLBACK) costs no round trip."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = True  # not known before the first statement

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect is given (``module=``)."""

    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        adapted = super().connect(*arg, **kw)
        return _Connection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
