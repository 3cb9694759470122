"""Dialect helper for time arithmetic in SQL: the one place it differs by database.

- :class:`epoch_seconds` is a stored UTC datetime as seconds since 1970 (a float).
  PostgreSQL: ``EXTRACT(EPOCH FROM x)``; SQLite, which stores the datetime as ISO text:
  ``(julianday(x) - 2440587.5) * 86400``.
- :class:`floor_int` is ``floor(x)`` as an integer (PostgreSQL's ``CAST`` rounds, SQLite's
  truncates; both are wrong for negative values, so each gets its own floor).

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


class floor_int(FunctionElement[int]):
    type = Integer()
    inherit_cache = True
    name = "floor_int"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS FLOAT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(floor_int, "postgresql")
def _floor_postgresql(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(floor_int, "sqlite")
def _floor_sqlite(element: floor_int, compiler: SQLCompiler, **kw: Any) -> str:
    value = compiler.process(element.clauses, **kw)
    # CAST truncates toward zero: one less for a negative value with a fraction.
    return (
        f"(CAST(({value}) AS INTEGER) - "
        f"(CASE WHEN ({value}) < CAST(({value}) AS INTEGER) THEN 1 ELSE 0 END))"
    )
