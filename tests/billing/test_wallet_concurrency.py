"""The ledger under concurrency (meant for PostgreSQL, where requests really run in
parallel; SQLite serialises writers and must give the same answers)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import select

from evcare.billing.wallet_models import WalletEntry
from evcare.core.clock import utcnow
from evcare.core.runtime import Runtime
from tests.factories.identity import signed_in
from tests.factories.ocpp import make_charger, make_session
from tests.factories.wallet import balance_minor, fund

PAY = "/api/v1/profile/wallet/pay"


async def test_200_concurrent_debits_leave_the_exact_balance_and_none_goes_negative(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 15_000)  # 150 rupees for 200 debits of 1 rupee
    responses = await asyncio.gather(
        *[
            client.post(PAY, json={"amount": 1, "description": f"Debit {n}"}, headers=headers)
            for n in range(200)
        ]
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 150 and statuses.count(400) == 50, sorted(set(statuses))
    assert await balance_minor(runtime, user) == 0
    async with runtime.sessionmaker() as session:
        afters = (
            await session.scalars(
                select(WalletEntry.balance_after_minor).where(WalletEntry.type == "debit")
            )
        ).all()
    # Each debit saw the balance the one before it left: 149.00 down to 0.00, each once.
    assert sorted(a for a in afters if a is not None) == [n * 100 for n in range(150)]


async def test_two_payments_racing_for_one_session_pay_it_once(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user, headers = await signed_in(runtime, client)
    await fund(runtime, user, 100_000)
    charger = await make_charger(runtime)
    charged = await make_session(
        runtime, charger, user=user, started_at=utcnow() - timedelta(hours=1)
    )
    body = {"amount": 200, "description": "Charging", "sessionId": str(charged.id)}
    responses = await asyncio.gather(
        *[client.post(PAY, json=body, headers=headers) for _ in range(10)]
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 9, statuses
    assert await balance_minor(runtime, user) == 80_000


async def test_concurrent_replays_of_a_payment_webhook_credit_once(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: object
) -> None:
    from tests.factories.razorpay import RazorpayStandIn

    assert isinstance(razorpay, RazorpayStandIn)
    user, headers = await signed_in(runtime, client)
    opened = await client.post(
        "/api/v1/profile/wallet/topup",
        json={"amount": 300, "paymentMethod": "upi"},
        headers=headers,
    )
    order_id = opened.json()["data"]["checkout"]["orderId"]
    body, hook_headers = razorpay.webhook("payment.captured", order_id, "pay_race")
    other, other_headers = razorpay.webhook("order.paid", order_id, "pay_race")
    deliveries = [(body, hook_headers)] * 5 + [(other, other_headers)] * 5
    responses = await asyncio.gather(
        *[
            client.post("/payment/razorpay/webhook", content=content, headers=sent)
            for content, sent in deliveries
        ]
    )
    # A losing twin may be refused (409) and retried by Razorpay; none credits twice.
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    assert await balance_minor(runtime, user) == 30_000


async def test_a_top_up_replayed_with_its_idempotency_key_opens_one_order_and_credits_once(
    client: httpx.AsyncClient, runtime: Runtime, razorpay: object
) -> None:
    from tests.factories.razorpay import RazorpayStandIn

    assert isinstance(razorpay, RazorpayStandIn)
    user, headers = await signed_in(runtime, client)
    keyed = {**headers, "Idempotency-Key": "topup-double-click"}
    body = {"amount": 250, "paymentMethod": "upi"}
    responses = await asyncio.gather(
        *[client.post("/api/v1/profile/wallet/topup", json=body, headers=keyed) for _ in range(8)]
    )
    # The first runs; its twins wait it out (409 while it runs) or replay its answer.
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    replay = await client.post("/api/v1/profile/wallet/topup", json=body, headers=keyed)
    assert replay.status_code == 200, replay.text
    order_id = replay.json()["data"]["checkout"]["orderId"]
    assert {r.json()["data"]["checkout"]["orderId"] for r in responses if r.status_code == 200} <= {
        order_id
    }
    async with runtime.sessionmaker() as session:
        opened = (await session.scalars(select(WalletEntry))).all()
    assert [(e.type, e.status, e.amount_minor) for e in opened] == [("credit", "pending", 25_000)]
    hook, hook_headers = razorpay.webhook("payment.captured", order_id, "pay_keyed")
    for _ in range(3):
        delivered = await client.post(
            "/payment/razorpay/webhook", content=hook, headers=hook_headers
        )
        assert delivered.status_code == 200, delivered.text
    assert await balance_minor(runtime, user) == 25_000
