"""Webhook delivery under load: events/s delivered to 100 healthy local endpoints while 10
others hang, and the time from an event's commit to the first attempt of each of its
deliveries (goal: p99 under 1 s), against the bare cost of the same POSTs from httpx.

    .venv/bin/python -P bench/webhooks.py                  # SQLite file, in-process runner
    .venv/bin/python -P bench/webhooks.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_webhooks

Events are committed through the real outbox at ``--rate`` per second; the real fan-out
turns each into one delivery per endpoint (110); the real runner (per-endpoint limit 4,
15 s timeout) signs and POSTs them to aiohttp receivers on 127.0.0.1. The hanging
endpoints never answer. ``-P``: bench/http.py must not shadow the standard library's
``http``. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from aiohttp import web
from sqlalchemy import func, select

from evcare.charging import events as charging
from evcare.core.clock import utcnow
from evcare.core.config import Settings
from evcare.core.events import publish_many
from evcare.core.migrate import upgrade
from evcare.core.runtime import Runtime
from evcare.identity import organizations
from evcare.identity.models import AccountRole, Role
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.integrations import service as integrations
from evcare.integrations.bundles import Bundle
from evcare.integrations.webhooks import delivery, fanout
from evcare.integrations.webhooks import service as webhooks
from evcare.integrations.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
)
from evcare.integrations.webhooks.signing import SecretBox

HEALTHY = 100
HANGING = 10


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def _receivers() -> tuple[web.AppRunner, int, web.AppRunner, int]:
    async def ok(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(text="ok")

    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(3600)
        return web.Response(text="late")

    runners = []
    for handler in (ok, hang):
        app = web.Application()
        app.router.add_post("/{tail:.*}", handler)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        assert site._server is not None
        runners.append((runner, site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
    (healthy, healthy_port), (hanging, hanging_port) = runners
    return healthy, healthy_port, hanging, hanging_port


async def _setup(runtime: Runtime, healthy_port: int, hanging_port: int) -> int:
    """An integration with 110 endpoints, and a member of its organization (the driver
    whose sessions the events are about); the member's user id."""
    admin = Principal(1, Role.ADMIN, scopes_for(Role.ADMIN), uuid.uuid4())
    box = SecretBox(runtime.settings.secret_key.get_secret_value())
    policy = delivery.policy_of(runtime.settings)
    async with runtime.sessionmaker() as session:
        integration, _ = await integrations.create_integration(
            session,
            runtime.credentials,
            admin,
            name="Bench partner",
            organization_id=None,
            organization_name="Bench fleet",
            bundles=[Bundle.ALL_ACCESS],
            allowed_endpoints=[],
            redirect_uris=[],
            contact_email="bench@partner.example",
            known_endpoints=frozenset(),
        )
        member, _user = await organizations.add_account(
            session,
            runtime.credentials,
            integration.organization_id,
            email=f"driver-{uuid.uuid4().hex[:8]}@bench.example",
            name="Bench driver",
            role=AccountRole.DRIVER,
        )
        for n in range(HEALTHY + HANGING):
            port = healthy_port if n < HEALTHY else hanging_port
            await webhooks.create_endpoint(
                session,
                admin,
                box,
                integration_id=integration.id,
                url=f"http://127.0.0.1:{port}/hook/{n}",
                events=["session.started"],
                description=None,
                policy=policy,
            )
        await session.commit()
        return member.user_id


async def _publish(runtime: Runtime, user_id: int, events: int, rate: float) -> dict[str, datetime]:
    """Commit ``events`` session.started events at ``rate`` per second; commit times."""
    committed: dict[str, datetime] = {}
    interval = 1 / rate
    start = time.perf_counter()
    for n in range(events):
        session_id = f"SES{n:06d}"
        async with runtime.sessionmaker() as session:
            await publish_many(
                session,
                [
                    (
                        charging.SESSION_STARTED,
                        {
                            "sessionId": session_id,
                            "userId": str(user_id),
                            "ownerId": None,
                            "chargerId": f"CP-{n % 10}",
                            "session": {"sessionId": session_id, "status": "active"},
                        },
                    )
                ],
            )
            await session.commit()
        committed[session_id] = utcnow()
        runtime.outbox.wake()
        await asyncio.sleep(max(0.0, start + (n + 1) * interval - time.perf_counter()))
    return committed


async def _wait_delivered(runtime: Runtime, expected: int) -> None:
    while True:
        async with runtime.sessionmaker() as session:
            done = await session.scalar(
                select(func.count()).where(WebhookDelivery.status == DeliveryStatus.SUCCEEDED)
            )
        if (done or 0) >= expected:
            return
        await asyncio.sleep(0.2)


async def _first_attempt_latencies(
    runtime: Runtime, committed: dict[str, datetime]
) -> tuple[list[float], datetime]:
    async with runtime.sessionmaker() as session:
        rows = await session.execute(
            select(WebhookDelivery.resource_key, WebhookAttempt.attempted_at)
            .join(WebhookAttempt, WebhookAttempt.delivery_id == WebhookDelivery.id)
            .where(WebhookAttempt.number == 1)
            .where(WebhookAttempt.status_code == 200)
        )
        pairs = rows.all()
    latencies = [
        (at - committed[str(key).removeprefix("session:")]).total_seconds() for key, at in pairs
    ]
    return latencies, max(at for _, at in pairs)


async def _bare_httpx(port: int, posts: int, concurrency: int, *, per_endpoint: int) -> float:
    """The same number of POSTs (similar body) straight from httpx, ``concurrency`` at a
    time; one client per endpoint (``per_endpoint`` connections each) as the runner
    does, or one shared client (``per_endpoint=0``). POSTs per second."""
    body = b'{"type":"session.started","timestamp":"2026-01-01T00:00:00+00:00","data":{}}' * 3
    limit = asyncio.Semaphore(concurrency)
    timeout = httpx.Timeout(30.0)
    if per_endpoint:
        limits = httpx.Limits(max_connections=per_endpoint)
        clients = [httpx.AsyncClient(limits=limits, timeout=timeout) for _ in range(HEALTHY)]
    else:
        shared = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=concurrency), timeout=timeout
        )
        clients = [shared] * HEALTHY

    async def post(n: int) -> None:
        async with limit:
            await clients[n % HEALTHY].post(
                f"http://127.0.0.1:{port}/hook/{n % HEALTHY}", content=body
            )

    start = time.perf_counter()
    await asyncio.gather(*(post(n) for n in range(posts)))
    rate = posts / (time.perf_counter() - start)
    for client in set(clients):
        await client.aclose()
    return rate


async def main(args: argparse.Namespace) -> None:
    folder = Path(tempfile.mkdtemp(prefix="evcare-bench-webhooks-"))
    url = args.database_url or f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade(url)
    settings = Settings(
        environment="development",
        database_url=url,
        data_dir=folder,
        argon2_time_cost=1,
        argon2_memory_kib=64,
        webhook_allow_private_networks=True,
        outbox_poll_seconds=1.0,
        log_level="ERROR",
    )
    runtime = Runtime.build(settings)
    healthy, healthy_port, hanging, hanging_port = await _receivers()
    fanout.register()
    try:
        user_id = await _setup(runtime, healthy_port, hanging_port)
        await runtime.outbox.start()
        await delivery.start(runtime)
        started = utcnow()
        committed = await _publish(runtime, user_id, args.events, args.rate)
        expected = args.events * HEALTHY
        async with asyncio.timeout(args.timeout):
            await _wait_delivered(runtime, expected)
        latencies, last = await _first_attempt_latencies(runtime, committed)
        wall = (last - started).total_seconds()
        concurrency = settings.webhook_max_in_flight
        per_endpoint = settings.webhook_endpoint_concurrency
        bare = await _bare_httpx(healthy_port, expected, concurrency, per_endpoint=per_endpoint)
        shared = await _bare_httpx(healthy_port, expected, concurrency, per_endpoint=0)
    finally:
        await delivery.stop(runtime)
        await runtime.stop()
        await healthy.cleanup()
        await hanging.cleanup()

    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    delivered = len(latencies)
    print(
        f"webhooks on {database}: {args.events} events at {args.rate:g}/s to "
        f"{HEALTHY} healthy endpoints while {HANGING} hang"
    )
    print(
        f"  delivered to healthy endpoints: {delivered}/{expected} in {wall:.1f} s "
        f"= {delivered / wall:.0f} deliveries/s"
    )
    print(
        f"  commit -> first attempt: p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"  bare httpx POSTs to the same receiver, same concurrency: {bare:.0f} POSTs/s with a "
        f"client per endpoint, {shared:.0f} POSTs/s with one shared client"
    )
    print(
        f"  delivered/bare: {delivered / wall / bare:.0%} (the runner's ceiling when more is "
        "offered than it delivers; each delivery is also written, claimed, signed, "
        "SSRF-checked and recorded)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--rate", type=float, default=10.0, help="events committed per second")
    parser.add_argument("--timeout", type=float, default=300.0)
    asyncio.run(main(parser.parse_args()))
