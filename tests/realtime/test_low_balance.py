"""``low-balance {balance}``: a debit that takes the wallet under ``minWalletBalance``
reaches its owner's sockets (and a notification), once per crossing, nobody else's."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from tests.factories.identity import bearer, login, make_user
from tests.factories.realtime import connected
from tests.factories.wallet import fund

PAY = "/api/v1/profile/wallet/pay"


async def test_a_debit_under_the_minimum_sends_low_balance_to_its_owner_only(
    live_server: str, runtime: Runtime, client: httpx.AsyncClient
) -> None:
    user = await make_user(runtime)
    other = await make_user(runtime)
    await fund(runtime, user, 15_000)  # the default minimum is 100 rupees
    await fund(runtime, other, 15_000)
    token, other_token = await login(client, user), await login(client, other)
    async with (
        connected(live_server, token=token) as socket,
        connected(live_server, token=other_token) as bystander,
    ):
        above = await client.post(
            PAY, json={"amount": 50, "description": "Still above"}, headers=bearer(token)
        )
        assert above.status_code == 200, above.text
        under = await client.post(
            PAY, json={"amount": 0.01, "description": "Under"}, headers=bearer(token)
        )
        assert under.status_code == 200, under.text
        assert await socket.next("low-balance") == {"balance": 99.99}
        notified = await socket.next("notification")
        assert notified["notification"]["type"] == "payment"  # a wallet notice is a payment matter
        assert notified["notification"]["data"] == {"balance": 99.99, "currency": "INR"}
        # Already under: a further debit does not repeat the alert.
        again = await client.post(
            PAY, json={"amount": 1, "description": "Again"}, headers=bearer(token)
        )
        assert again.status_code == 200
        await runtime.outbox.drain()
        await asyncio.sleep(0.3)
        assert socket.received("low-balance") == []
        assert bystander.received("low-balance") == []
    async with runtime.sessionmaker() as session:
        notes = (
            await session.scalars(select(Notification).where(Notification.category == "wallet"))
        ).all()
    assert {(n.user_id, n.channel) for n in notes} == {(user.id, "in_app"), (user.id, "email")}
