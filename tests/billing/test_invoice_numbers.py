"""Invoice numbers under concurrency: gap-free and unique per year (meant for PostgreSQL,
where the requests really run in parallel; SQLite serialises writers and must give the
same answers)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select

from evcare.billing import invoice_repository
from evcare.billing.invoice_models import Invoice
from evcare.core.clock import clock, utcnow
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, login, signed_in

INVOICES = "/api/v1/billing/invoices"


async def test_concurrent_invoices_get_consecutive_numbers_without_gaps(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, _ = await signed_in(runtime, client)
    _, admin = await signed_in(runtime, client, Role.ADMIN)
    due = (utcnow().date() + timedelta(days=7)).isoformat()

    def body(n: int) -> dict[str, object]:
        item = {"description": f"Item {n}", "quantity": 1, "rate": n + 1}
        return {"userId": str(user.id), "items": [item], "dueDate": due}

    responses = await asyncio.gather(
        *[client.post(INVOICES, json=body(n), headers=admin) for n in range(40)]
    )
    assert sorted(r.status_code for r in responses) == [201] * 40
    year = utcnow().year
    numbers = sorted(r.json()["data"]["invoice"]["invoiceNumber"] for r in responses)
    assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, 41)]


async def test_a_rolled_back_invoice_gives_its_number_back(runtime: Runtime) -> None:
    async with runtime.sessionmaker() as session:
        assert await invoice_repository.take_number(session, 2031) == 1
        await session.rollback()
    async with runtime.sessionmaker() as session:
        assert await invoice_repository.take_number(session, 2031) == 1
        assert await invoice_repository.take_number(session, 2031) == 2
        assert await invoice_repository.take_number(session, 2032) == 1  # per year
        await session.commit()


async def test_numbering_starts_again_each_year(
    client: httpx.AsyncClient, runtime: Runtime, frozen_clock: None
) -> None:
    clock.freeze(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    user, _ = await signed_in(runtime, client)
    admin_user, _ = await signed_in(runtime, client, Role.ADMIN)
    item = {"description": "Plan", "quantity": 1, "rate": 10}
    for moment in (
        datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2027, 1, 1, 0, 5, tzinfo=UTC),
    ):
        clock.freeze(moment)
        body = {"userId": str(user.id), "items": [item], "dueDate": moment.date().isoformat()}
        made = await client.post(
            INVOICES, json=body, headers=bearer(await login(client, admin_user))
        )
        assert made.status_code == 201, made.text
    async with runtime.sessionmaker() as session:
        numbers = (await session.scalars(select(Invoice.number).order_by(Invoice.id))).all()
    assert list(numbers) == ["INV-2026-000001", "INV-2027-000001"]
