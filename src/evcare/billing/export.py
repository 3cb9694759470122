"""Billing export: the invoices created in a date range, one row each, as CSV or XLSX,
produced while they are read, in constant memory whatever the range.

Rows come from the database in pages of :data:`PAGE_ROWS` through a server-side cursor
(``AsyncSession.stream`` with ``yield_per``), read as plain columns (no ORM objects kept).
CSV is written page by page; XLSX goes through openpyxl's write-only workbook, which
keeps rows in a temporary file, and the finished file is sent from disk in chunks.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import anyio.to_thread
from openpyxl import Workbook
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.billing.invoice_models import CREDIT_NOTE_KINDS, Invoice, InvoiceKind, InvoiceStatus
from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, ValidationFailed
from evcare.core.money import Money
from evcare.identity.models import User

MAX_DAYS = 366
PAGE_ROWS = 1000
CHUNK_BYTES = 64 * 1024

COLUMNS = (
    "invoiceNumber",
    "createdAt",
    "userId",
    "userName",
    "kind",
    "status",
    "sessionId",
    "stationId",
    "stationName",
    "energyKwh",
    "subtotal",
    "tax",
    "total",
    "currency",
    "dueDate",
    "paidAt",
)


class ExportFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def check_range(start: date, end: date) -> None:
    """``endDate`` not before ``startDate`` and at most :data:`MAX_DAYS` days after it."""
    if end < start:
        raise ValidationFailed(
            "endDate is before startDate",
            fields=[FieldError("endDate", "must not be before startDate")],
        )
    if (end - start).days + 1 > MAX_DAYS:
        message = f"the range may cover at most {MAX_DAYS} days"
        raise ValidationFailed(message, fields=[FieldError("endDate", message)])


def file_name(start: date, end: date, export_format: ExportFormat) -> str:
    return f"billing-{start.isoformat()}-{end.isoformat()}.{export_format}"


def _major(amount_minor: int, currency: str) -> str:
    return str(Money(amount_minor, currency).to_major())


def _row(found: Any, today: date) -> list[Any]:
    overdue = found.status == InvoiceStatus.PENDING and found.due_date < today
    name = f"{found.first_name} {found.last_name}".strip()
    # A credit note's amounts are negative: the rows of a range add up to what it earned.
    sign = -1 if found.kind in CREDIT_NOTE_KINDS else 1
    return [
        found.number,
        found.created_at.isoformat(),
        found.user_id,
        name,
        found.kind,
        "overdue" if overdue else found.status,
        found.session_id,
        found.station_id,
        found.station_name,
        f"{Decimal(sign * found.energy_wh).scaleb(-3):f}"
        if found.kind in (InvoiceKind.SESSION, InvoiceKind.CREDIT_SESSION)
        else "",
        _major(sign * found.subtotal_minor, found.currency),
        _major(sign * found.tax_minor, found.currency),
        _major(sign * found.total_minor, found.currency),
        found.currency,
        found.due_date.isoformat(),
        found.paid_at.isoformat() if found.paid_at else "",
    ]


async def _pages(
    sessionmaker: async_sessionmaker[AsyncSession],
    start: date,
    end: date,
    stations: Select[int] | None = None,
) -> AsyncIterator[list[list[Any]]]:
    """The rows, a page at a time, read in a session of their own (the response is sent
    after the request's transaction has ended). With ``stations`` (a query of station
    ids), only the invoices of those stations."""
    begin = datetime.combine(start, time(0), tzinfo=UTC)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC)
    query = (
        select(
            Invoice.number,
            Invoice.created_at,
            Invoice.user_id,
            User.first_name,
            User.last_name,
            Invoice.kind,
            Invoice.status,
            Invoice.session_id,
            Invoice.station_id,
            Invoice.station_name,
            Invoice.energy_wh,
            Invoice.subtotal_minor,
            Invoice.tax_minor,
            Invoice.total_minor,
            Invoice.currency,
            Invoice.due_date,
            Invoice.paid_at,
        )
        .join(User, User.id == Invoice.user_id)
        .where(Invoice.created_at >= begin, Invoice.created_at < until)
        .order_by(Invoice.created_at, Invoice.id)
        .execution_options(yield_per=PAGE_ROWS)
    )
    if stations is not None:
        query = query.where(Invoice.station_id.in_(stations))
    today = utcnow().date()
    async with sessionmaker() as session:
        result = await session.stream(query)
        async for page in result.partitions():
            yield [_row(found, today) for found in page]


async def csv_chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    start: date,
    end: date,
    stations: Select[int] | None = None,
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    async for page in _pages(sessionmaker, start, end, stations):
        writer.writerows(page)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


async def xlsx_chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    start: date,
    end: date,
    stations: Select[int] | None = None,
) -> AsyncIterator[bytes]:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Invoices")
    sheet.append(list(COLUMNS))
    async for page in _pages(sessionmaker, start, end, stations):
        for row in page:
            sheet.append(row)
    with tempfile.TemporaryFile() as stored:
        await anyio.to_thread.run_sync(workbook.save, stored)
        stored.seek(0)
        while chunk := await anyio.to_thread.run_sync(stored.read, CHUNK_BYTES):
            yield chunk


def chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    start: date,
    end: date,
    export_format: ExportFormat,
    *,
    stations: Select[int] | None = None,
) -> AsyncIterator[bytes]:
    """The file's bytes as they are produced (call :func:`check_range` first); with
    ``stations`` (the operator console: an operator's own), only those stations' invoices."""
    if export_format == ExportFormat.XLSX:
        return xlsx_chunks(sessionmaker, start, end, stations)
    return csv_chunks(sessionmaker, start, end, stations)
