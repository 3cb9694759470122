"""Every invoice query: numbers, invoices and their items, who may read which."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.billing.invoice_models import (
    CREDIT_NOTE_KINDS,
    BookingInvoice,
    CreditNote,
    CreditNoteCounter,
    Invoice,
    InvoiceCounter,
    InvoiceItem,
    InvoiceStatus,
)
from evcare.core.pagination import PageParams


def _take(counter: type[InvoiceCounter] | type[CreditNoteCounter], year: int) -> Any:
    return (
        update(counter)
        .where(counter.year == year)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
        .execution_options(synchronize_session=False)
    )


async def take_number(session: AsyncSession, year: int, *, credit_note: bool = False) -> int:
    """The next invoice (or credit note) number of ``year``. The UPDATE holds the counter
    row's lock to the end of the transaction (PostgreSQL; SQLite has one writer), so
    concurrent invoices queue for it, and a rolled-back one hands its number back: no
    gaps, no repeats."""
    counter = CreditNoteCounter if credit_note else InvoiceCounter
    number = await session.scalar(_take(counter, year))
    if number is None:
        try:
            async with session.begin_nested():
                await session.execute(insert(counter).values(year=year, last_number=0))
        except IntegrityError:
            pass  # another transaction opened the year first; its row is there now
        number = await session.scalar(_take(counter, year))
    assert number is not None
    return int(number)


def shown_status(today: date) -> ColumnElement[str]:
    """The status a client sees: a pending invoice past its due date is ``overdue``."""
    return case(
        (
            and_(Invoice.status == InvoiceStatus.PENDING, Invoice.due_date < today),
            "overdue",
        ),
        else_=Invoice.status,
    )


def _visible(user_id: int | None) -> list[ColumnElement[bool]]:
    return [] if user_id is None else [Invoice.user_id == user_id]


def is_credit_note() -> ColumnElement[bool]:
    return Invoice.kind.in_(sorted(CREDIT_NOTE_KINDS))


async def add_invoice(
    session: AsyncSession, invoice: Invoice, items: Sequence[dict[str, Any]]
) -> Invoice:
    session.add(invoice)
    await session.flush()
    if items:
        await session.execute(
            insert(InvoiceItem),
            [{"invoice_id": invoice.id, "position": n, **item} for n, item in enumerate(items)],
        )
    return invoice


async def invoice_of_session(session: AsyncSession, session_id: int) -> Invoice | None:
    return (
        await session.scalars(select(Invoice).where(Invoice.session_id == session_id))
    ).one_or_none()


async def get_invoice(
    session: AsyncSession, invoice_id: int, *, user_id: int | None
) -> Invoice | None:
    """The invoice, if ``user_id`` may read it (None: an admin, every invoice)."""
    query = select(Invoice).where(Invoice.id == invoice_id, *_visible(user_id))
    return (await session.scalars(query)).one_or_none()


async def items_of(
    session: AsyncSession, invoice_ids: Sequence[int]
) -> dict[int, list[InvoiceItem]]:
    if not invoice_ids:
        return {}
    query = (
        select(InvoiceItem)
        .where(InvoiceItem.invoice_id.in_(invoice_ids))
        .order_by(InvoiceItem.invoice_id, InvoiceItem.position)
    )
    found: dict[int, list[InvoiceItem]] = {invoice_id: [] for invoice_id in invoice_ids}
    for item in (await session.scalars(query)).all():
        found[item.invoice_id].append(item)
    return found


async def list_invoices(
    session: AsyncSession,
    params: PageParams,
    *,
    user_id: int | None,
    status: str | None,
    today: date,
) -> tuple[list[Invoice], int]:
    """Newest first, and the count; ``status`` as shown (``overdue`` included)."""
    conditions = _visible(user_id)
    if status is not None:
        conditions.append(shown_status(today) == status)
    total = await session.scalar(select(func.count()).select_from(Invoice).where(*conditions))
    query = (
        select(Invoice)
        .where(*conditions)
        .order_by(Invoice.id.desc())
        .offset(params.offset)
        .limit(params.limit)
    )
    return list((await session.scalars(query)).all()), int(total or 0)


async def summary(
    session: AsyncSession, *, user_id: int | None, today: date
) -> dict[str, tuple[int, int]]:
    """(count, total) per shown status over every invoice the caller may read; credit notes
    apart, as ``creditNotes``."""
    status = case((is_credit_note(), "creditNotes"), else_=shown_status(today)).label("shown")
    query = (
        select(status, func.count(), func.coalesce(func.sum(Invoice.total_minor), 0))
        .where(*_visible(user_id))
        .group_by(status)
    )
    return {str(row[0]): (int(row[1]), int(row[2])) for row in await session.execute(query)}


async def lock_invoice(
    session: AsyncSession, invoice_id: int, *, user_id: int | None
) -> Invoice | None:
    """The invoice, its row locked to the end of the transaction (``FOR UPDATE`` on
    PostgreSQL; SQLite has one writer): two cancellations of it queue, the second sees the
    first's outcome."""
    query = (
        select(Invoice)
        .where(Invoice.id == invoice_id, *_visible(user_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).one_or_none()


async def add_credit_note(session: AsyncSession, link: CreditNote) -> None:
    session.add(link)
    await session.flush()


async def credit_note_of(session: AsyncSession, invoice_id: int) -> CreditNote | None:
    """The credit note that reversed ``invoice_id``, if one did."""
    query = select(CreditNote).where(CreditNote.credited_invoice_id == invoice_id)
    return (await session.scalars(query)).one_or_none()


async def links_of(session: AsyncSession, invoice_ids: Sequence[int]) -> list[CreditNote]:
    """Every credit-note link naming one of ``invoice_ids`` (as the credit note, the invoice
    it reversed or the replacement): what the invoice objects show of each other."""
    if not invoice_ids:
        return []
    ids = list(invoice_ids)
    query = select(CreditNote).where(
        or_(
            CreditNote.invoice_id.in_(ids),
            CreditNote.credited_invoice_id.in_(ids),
            CreditNote.replacement_invoice_id.in_(ids),
        )
    )
    return list((await session.scalars(query)).all())


async def numbers_of(session: AsyncSession, invoice_ids: Collection[int]) -> dict[int, str]:
    if not invoice_ids:
        return {}
    query = select(Invoice.id, Invoice.number).where(Invoice.id.in_(list(invoice_ids)))
    return {int(key): str(number) for key, number in await session.execute(query)}


async def replacement_of(session: AsyncSession, invoice_id: int) -> int | None:
    query = select(CreditNote.replacement_invoice_id).where(
        CreditNote.credited_invoice_id == invoice_id
    )
    found = await session.scalar(query)
    return None if found is None else int(found)


async def add_booking_invoice(session: AsyncSession, *, booking_id: int, invoice_id: int) -> None:
    await session.execute(
        insert(BookingInvoice).values(booking_id=booking_id, invoice_id=invoice_id)
    )


async def invoice_of_booking(session: AsyncSession, booking_id: int) -> Invoice | None:
    query = (
        select(Invoice)
        .join(BookingInvoice, BookingInvoice.invoice_id == Invoice.id)
        .where(BookingInvoice.booking_id == booking_id)
    )
    return (await session.scalars(query)).one_or_none()
