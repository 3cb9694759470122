"""GST: applied to each amount on its own, rounded half up to the paisa; rate history."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
import pytest

from evcare.billing import tax
from evcare.core.errors import ValidationFailed
from evcare.core.money import Money
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from tests.factories.bookings import analyse, approve, assign, book, confirm, make_workshop, ok
from tests.factories.identity import make_user


@pytest.mark.parametrize(
    ("amount_minor", "percent", "gst_minor"),
    [
        (149_900, "18", 26_982),  # Rs 1499 -> Rs 269.82
        (999, "18", 180),  # 179.82 paise rounds up
        (25, "18", 5),  # exactly 4.5 paise: half rounds up
        (2, "18", 0),  # 0.36 paise rounds down
        (3, "18.5", 1),  # 0.555 paise
        (100_000, "0", 0),
        (100_000, "100", 100_000),
    ],
)
def test_gst_on_one_amount_is_rounded_half_up_to_the_paisa(
    amount_minor: int, percent: str, gst_minor: int
) -> None:
    taxed = tax.apply_gst(Money(amount_minor, "INR"), Decimal(percent))
    assert taxed.gst == Money(gst_minor, "INR")
    assert taxed.gross == Money(amount_minor + gst_minor, "INR")


async def test_each_line_is_taxed_on_its_own_so_lines_add_up_to_the_total(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    """Two lines of Rs 0.25 at 18 %: 4.5 paise each rounds up to 5, so the booking's GST
    is 10 paise, not the 9 that taxing the subtotal (9.0 paise) would give, and what
    the app shows per line adds up to its ``gst_amount`` and its ``total``."""
    shop = await make_workshop(runtime, client)
    booking_id = (await book(client, shop))["id"]
    await assign(client, shop, booking_id)
    await analyse(client, shop, booking_id, ("0.25", "0.25"))
    await approve(client, shop, booking_id)
    confirmed = await confirm(client, shop, booking_id)
    shown = ok(await client.get(f"/bookings/{booking_id}", headers=shop.customer.headers))
    for booking in (confirmed, shown):
        lines = booking["services"]
        assert [(line["amount"], line["gst_amount"]) for line in lines] == [(0.25, 0.05)] * 2
        assert booking["gst_percent"] == 18
        paise = sum(round(line["gst_amount"] * 100) for line in lines)
        assert round(booking["gst_amount"] * 100) == paise == 10
        assert round(booking["subtotal"] * 100) == 50
        assert round(booking["total"] * 100) == 50 + paise
    cash = ok(
        await client.post(f"/payment/cash-on-delivery/{booking_id}", headers=shop.customer.headers)
    )
    assert round(cash["payment"]["amount"] * 100) == 60, cash


async def _admin(runtime: Runtime) -> Principal:
    user = await make_user(runtime, role=Role.ADMIN)
    return Principal(user_id=user.id, role="admin", scopes=frozenset(), session_id=uuid.uuid4())


async def test_the_newest_rate_is_in_force_and_older_ones_stay_in_history(
    runtime: Runtime,
) -> None:
    principal = await _admin(runtime)
    async with runtime.sessionmaker() as session:
        assert await tax.current_gst_percent(session) == tax.DEFAULT_GST_PERCENT
        await tax.set_gst_percent(session, principal, percent=Decimal("12.5"))
        await tax.set_gst_percent(session, principal, percent=Decimal("28"))
        await session.commit()
    async with runtime.sessionmaker() as session:
        assert await tax.current_gst_percent(session) == Decimal("28.00")
        taxed = await tax.with_current_gst(session, Money(10_000, "INR"))
        assert taxed.gst == Money(2_800, "INR")


async def test_a_rate_with_three_decimals_is_refused_by_the_service(runtime: Runtime) -> None:
    principal = await _admin(runtime)
    async with runtime.sessionmaker() as session:
        with pytest.raises(ValidationFailed):
            await tax.set_gst_percent(session, principal, percent=Decimal("18.125"))
        with pytest.raises(ValidationFailed):
            await tax.set_gst_percent(session, principal, percent=Decimal("100.01"))
