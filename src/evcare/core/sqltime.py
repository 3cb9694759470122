"""Dialect helper for time arithmetic in SQL: the one place it differs by database.

- :class:`epoch_seconds` is a stored UTC datetime as seconds since 1970 (a float).
  PostgreSQL: ``EXTRACT(EPOCH FROM x)``; SQLite, which stores the datetime as ISO text:
  ``(julianday(x) - 2440587.5) * 86400``.
- :class:`local_day_number` is the day (since 1970-01-01) a stored UTC datetime falls
  on once ``offset`` seconds are added: ``floor((epoch + offset) / 86400)``, with one
  date conversion per row. SQLite truncates with ``CAST``, which is the floor for the
  non-negative values every stored time (after 1970) gives.

Everything else analytics needs (clipping intervals, sums, the zone's offset) is
plain portable SQL built on these two.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement[float]):
    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


class local_day_number(FunctionElement[int]):
    """``local_day_number(column, offset_seconds)``."""

    type = Integer()
    inherit_cache = True
    name = "local_day_number"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


def _arguments(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(local_day_number, "postgresql")
def _day_postgresql(element: local_day_number, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset = _arguments(element, compiler, **kw)
    return f"CAST(FLOOR((EXTRACT(EPOCH FROM {moment}) + ({offset})) / 86400.0) AS INTEGER)"


@compiles(local_day_number, "sqlite")
def _day_sqlite(element: local_day_number, compiler: SQLCompiler, **kw: Any) -> str:
    moment, offset = _arguments(element, compiler, **kw)
    return f"CAST(julianday({moment}) - 2440587.5 + ({offset}) / 86400.0 AS INTEGER)"
