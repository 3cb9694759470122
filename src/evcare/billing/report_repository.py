"""The billing report's aggregates: each one SQL statement over the paid invoices (or the
refunds) of a period, so the database does the sums, however many sessions there are.

A credit note counts negatively in the period it was issued (its ``paid_at``), and the
invoice it reversed stays in the period it was paid: a report never changes after the
fact, and a period's figures add up to its documents, to the paisa."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.invoice_models import CREDIT_NOTE_KINDS, Invoice, InvoiceItem, InvoiceKind
from evcare.billing.refund_models import Refund, RefundStatus


@dataclass(frozen=True)
class Totals:
    invoices: int
    credit_notes: int
    credited_minor: int  # what the credit notes gave back, GST included
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
    """Documents that moved paid money in the period: invoices paid in it (whatever became
    of them later) and credit notes that gave paid revenue back in it."""
    return [Invoice.paid_at >= start, Invoice.paid_at < end]


def _sum(column: Any) -> ColumnElement[int]:
    return func.coalesce(func.sum(column), 0)


def _credit_note() -> ColumnElement[bool]:
    return Invoice.kind.in_(sorted(CREDIT_NOTE_KINDS))


def _signed(column: Any) -> ColumnElement[int]:
    """``column``, negative on a credit note."""
    return case((_credit_note(), -column), else_=column)


_SESSION_DOCUMENTS = (InvoiceKind.SESSION, InvoiceKind.CREDIT_SESSION)


def _session_count() -> ColumnElement[int]:
    return case(
        (Invoice.kind == InvoiceKind.SESSION, 1),
        (Invoice.kind == InvoiceKind.CREDIT_SESSION, -1),
        else_=0,
    )


async def totals(session: AsyncSession, start: datetime, end: datetime) -> Totals:
    is_session = Invoice.kind.in_(_SESSION_DOCUMENTS)
    query = select(
        _sum(case((_credit_note(), 0), else_=1)),
        _sum(case((_credit_note(), 1), else_=0)),
        _sum(case((_credit_note(), Invoice.total_minor), else_=0)),
        _sum(_session_count()),
        _sum(case((is_session, _signed(Invoice.energy_wh)), else_=0)),
        _sum(_signed(Invoice.subtotal_minor)),
        _sum(_signed(Invoice.tax_minor)),
        _sum(_signed(Invoice.total_minor)),
    ).where(*_paid_in(start, end))
    row = (await session.execute(query)).one()
    return Totals(*(int(value) for value in row))


async def by_component(session: AsyncSession, start: datetime, end: datetime) -> dict[str, int]:
    query = (
        select(InvoiceItem.component, _sum(_signed(InvoiceItem.amount_minor)))
        .join(Invoice, Invoice.id == InvoiceItem.invoice_id)
        .where(*_paid_in(start, end))
        .group_by(InvoiceItem.component)
    )
    return {str(row[0]): int(row[1]) for row in await session.execute(query)}


async def by_station(session: AsyncSession, start: datetime, end: datetime) -> list[StationTotals]:
    total = _sum(_signed(Invoice.total_minor))
    query = (
        select(
            Invoice.station_id,
            func.max(Invoice.station_name),
            _sum(_session_count()),
            _sum(_signed(Invoice.energy_wh)),
            _sum(_signed(Invoice.subtotal_minor)),
            _sum(_signed(Invoice.tax_minor)),
            total,
        )
        .where(*_paid_in(start, end), Invoice.kind.in_(_SESSION_DOCUMENTS))
        .group_by(Invoice.station_id)
        .order_by(total.desc(), Invoice.station_id)
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
