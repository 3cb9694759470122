"""Two `evcare worker` processes on one PostgreSQL database deliver 1,000 events between
them, and no attempt is ever made twice (FOR UPDATE SKIP LOCKED plus the claim's lease)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from collections import Counter

import httpx
import pytest
from sqlalchemy import func, select

from evcare.charging import events as charging
from evcare.core.events import publish_many
from evcare.core.runtime import Runtime
from evcare.integrations.webhooks import delivery
from evcare.integrations.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from tests.factories.identity import bearer
from tests.factories.integrations import admin_headers, client_token, create_integration, exchange
from tests.factories.webhooks import Receiver, create_webhook

EVENTS = 1000

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("EVCARE_TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="PostgreSQL only: `evcare worker` processes share the work with FOR UPDATE "
        "SKIP LOCKED, which SQLite (one writer, no row locks) has no use for",
    ),
    pytest.mark.usefixtures("private_allowed"),
]


def _worker_env(runtime: Runtime, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "EVCARE_ENVIRONMENT": "test",
        "EVCARE_DATABASE_URL": database_url,
        "EVCARE_SECRET_KEY": runtime.settings.secret_key.get_secret_value(),
        "EVCARE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "EVCARE_WEBHOOK_POLL_SECONDS": "0.2",
        "EVCARE_LOG_LEVEL": "WARNING",
        "EVCARE_DATA_DIR": tempfile.mkdtemp(prefix="evcare-worker-"),
    }


async def _count(runtime: Runtime, status: str) -> int:
    async with runtime.sessionmaker() as session:
        query = select(func.count()).where(WebhookDelivery.status == status)
        return await session.scalar(query) or 0


async def test_two_workers_deliver_a_thousand_events_without_a_duplicate_attempt(
    client: httpx.AsyncClient, runtime: Runtime, receiver: Receiver, database_url: str
) -> None:
    # This process stops delivering: the two workers do all of it.
    await delivery.stop(runtime)
    workers: list[asyncio.subprocess.Process] = []
    try:
        created = await create_integration(client, await admin_headers(runtime, client))
        integration_id = created["integration"]["id"]
        token = await client_token(client, created["credentials"])
        await create_webhook(
            client, bearer(token), integration_id, receiver.url(), ["session.started"]
        )
        user_id = (await exchange(client, token, integration_id)).json()["user"]["id"]
        async with runtime.sessionmaker() as session:
            await publish_many(
                session,
                [
                    (
                        charging.SESSION_STARTED,
                        {
                            "sessionId": f"SES{n + 1:06d}",
                            "userId": str(user_id),
                            "ownerId": None,
                            "chargerId": f"CP-{n % 20}",
                            "session": {
                                "sessionId": f"SES{n + 1:06d}",
                                "chargerId": f"CP-{n % 20}",
                            },
                        },
                    )
                    for n in range(EVENTS)
                ],
            )
            await session.commit()
        await runtime.outbox.drain()
        assert await _count(runtime, DeliveryStatus.PENDING) == EVENTS

        env = _worker_env(runtime, database_url)
        for _ in range(2):
            workers.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "evcare.cli",
                    "worker",
                    env=env,
                    stdout=asyncio.subprocess.DEVNULL,
                )
            )
        for _ in range(1200):
            if await _count(runtime, DeliveryStatus.SUCCEEDED) == EVENTS:
                break
            await asyncio.sleep(0.1)
        assert all(worker.returncode is None for worker in workers)  # both ran throughout
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            await asyncio.wait_for(worker.wait(), timeout=30)
        await delivery.start(runtime)

    assert await _count(runtime, DeliveryStatus.SUCCEEDED) == EVENTS
    ids = Counter(r.headers["webhook-id"] for r in receiver.received)
    assert len(ids) == EVENTS
    assert max(ids.values()) == 1
    async with runtime.sessionmaker() as session:
        attempts = (await session.execute(select(WebhookAttempt.delivery_id))).scalars().all()
    assert len(attempts) == EVENTS == len(set(attempts))
