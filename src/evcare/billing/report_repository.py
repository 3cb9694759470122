"""The billing report's aggregates: each one SQL statement over the paid invoices (or the
refunds) of a period, so the database does the sums, however many sessions there are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.invoice_models import Invoice, InvoiceItem, InvoiceKind, InvoiceStatus
from evcare.billing.refund_models import Refund, RefundStatus


@dataclass(frozen=True)
class Totals:
    invoices: int
    sessions: int
    energy_wh: int
    subtotal_minor: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True)
class StationTotals:
    station_id: int | None
    station_name: str | None
    sessions: int
    energy_wh: int
    subtotal_minor: int
    tax_minor: int
    total_minor: int


def _paid_in(start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [Invoice.status == InvoiceStatus.PAID, Invoice.paid_at >= start, Invoice.paid_at < end]


def _sum(column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


async def totals(session: AsyncSession, start: datetime, end: datetime) -> Totals:
    is_session = Invoice.kind == InvoiceKind.SESSION
    query = select(
        func.count(),
        _sum(case((is_session, 1), else_=0)),
        _sum(case((is_session, Invoice.energy_wh), else_=0)),
        _sum(Invoice.subtotal_minor),
        _sum(Invoice.tax_minor),
        _sum(Invoice.total_minor),
    ).where(*_paid_in(start, end))
    row = (await session.execute(query)).one()
    return Totals(*(int(value) for value in row))


async def by_component(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    query = (
        select(InvoiceItem.component, _sum(InvoiceItem.amount_minor))
        .join(Invoice, Invoice.id == InvoiceItem.invoice_id)
        .where(*_paid_in(start, end))
        .group_by(InvoiceItem.component)
    )
    return {str(row[0]): int(row[1]) for row in await session.execute(query)}


async def by_station(session: AsyncSession, start: datetime, end: datetime) -> list[StationTotals]:
    query = (
        select(
            Invoice.station_id,
            func.max(Invoice.station_name),
            func.count(),
            _sum(Invoice.energy_wh),
            _sum(Invoice.subtotal_minor),
            _sum(Invoice.tax_minor),
            _sum(Invoice.total_minor),
        )
        .where(*_paid_in(start, end), Invoice.kind == InvoiceKind.SESSION)
        .group_by(Invoice.station_id)
        .order_by(_sum(Invoice.total_minor).desc(), Invoice.station_id)
    )
    return [
        StationTotals(
            station_id=row[0],
            station_name=row[1],
            sessions=int(row[2]),
            energy_wh=int(row[3]),
            subtotal_minor=int(row[4]),
            tax_minor=int(row[5]),
            total_minor=int(row[6]),
        )
        for row in await session.execute(query)
    ]


async def refunds(session: AsyncSession, start: datetime, end: datetime) -> tuple[int, int]:
    """(count, amount) of the refunds approved in the period."""
    query = select(func.count(), _sum(Refund.amount_minor)).where(
        Refund.status == RefundStatus.APPROVED,
        Refund.processed_at >= start,
        Refund.processed_at < end,
    )
    row = (await session.execute(query)).one()
    return int(row[0]), int(row[1])
