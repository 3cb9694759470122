"""Invoice rows as the billing service leaves them (for pages that list or export them)."""

from __future__ import annotations

import itertools

from evcare.billing.invoice_models import Invoice
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import User

_numbers = itertools.count(1)


async def make_invoice(
    runtime: Runtime, user: User, *, station_id: int | None = None, total_minor: int = 11_800
) -> Invoice:
    """A pending session invoice of ``user`` (at ``station_id``), 18 % GST included."""
    subtotal = total_minor * 100 // 118
    async with runtime.sessionmaker() as session:
        invoice = Invoice(
            number=f"TST-{utcnow().year}-{next(_numbers):06d}",
            user_id=user.id,
            kind="session",
            status="pending",
            subtotal_minor=subtotal,
            tax_minor=total_minor - subtotal,
            tax_bp=1800,
            total_minor=total_minor,
            due_date=utcnow().date(),
            station_id=station_id,
            station_name=None if station_id is None else f"Station {station_id}",
        )
        session.add(invoice)
        await session.commit()
        return invoice
