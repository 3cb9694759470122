"""A bulk notification to 10,000 users: how long the batched fan-out takes to complete.

    .venv/bin/python -P bench/notifications.py                            # SQLite file
    .venv/bin/python -P bench/notifications.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_notify

(``-P``: bench/ stays off ``sys.path``, where ``bench/http.py`` would hide the standard
library's ``http``.) The request side is the real ``broadcasts.create_broadcast`` (what ``POST
/api/v1/notifications/bulk`` calls); the fan-out is the real outbox dispatcher running
the ``engagement.broadcast_batch`` handler, one short transaction per batch, exactly as
``evcare serve`` does after the request commits. Timed for each ``--batch-sizes``, each
over a fresh broadcast to the same users. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.events import OutboxDispatcher, OutboxEvent
from evcare.core.migrate import upgrade
from evcare.engagement import broadcasts, notifications
from evcare.engagement.notification_models import Notification
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="500,100,2000")
    args = parser.parse_args()

    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-bench-')) / 'bench.db'}"
    )
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    notifications.register()
    tag = uuid.uuid4().hex[:8]
    async with sessions() as session:
        admin = User(email=f"bench-{tag}-admin@example.com", first_name="Admin", role=Role.ADMIN)
        session.add(admin)
        await session.flush()
        for start in range(0, args.users, 1000):
            await session.execute(
                insert(User),
                [
                    {"email": f"bench-{tag}-{n}@example.com", "first_name": "Bench", "role": "user"}
                    for n in range(start, min(start + 1000, args.users))
                ],
            )
        await session.commit()
        user_ids = list(
            (
                await session.scalars(
                    select(User.id)
                    .where(User.email.like(f"bench-{tag}-%"))
                    .where(User.role == Role.USER)
                )
            ).all()
        )
    admin_principal = Principal(admin.id, Role.ADMIN, scopes_for(Role.ADMIN), uuid.uuid4())
    print(f"database: {engine.dialect.name}; recipients: {len(user_ids):,}")

    baseline: float | None = None
    for size in [int(s) for s in args.batch_sizes.split(",")]:
        broadcasts.BATCH_SIZE = size
        async with sessions() as session:
            await session.execute(delete(Notification))
            await session.execute(delete(OutboxEvent))
            await session.commit()
        began = time.perf_counter()
        async with sessions() as session:
            sent = await broadcasts.create_broadcast(
                session,
                admin_principal,
                title="Planned maintenance",
                message="Charging pauses 02:00-03:00 UTC",
                category="system",
                user_ids=user_ids,
            )
            await session.commit()
        request_ms = (time.perf_counter() - began) * 1000
        dispatcher = OutboxDispatcher(sessions, batch_size=1)  # one batch event per round
        rounds: list[float] = []
        fan_out = time.perf_counter()
        while True:
            tick = time.perf_counter()
            if not await dispatcher.dispatch_batch():
                break
            rounds.append((time.perf_counter() - tick) * 1000)
        total = time.perf_counter() - fan_out
        async with sessions() as session:
            written = await session.scalar(select(func.count()).select_from(Notification))
        batches = len([r for r in rounds if r > 0])
        baseline = baseline or total
        print(
            f"batch {size:>5}: request {request_ms:7.1f} ms (count={sent.recipient_count:,})"
            f"  fan-out {total:6.2f} s for {written:,} records in {batches} outbox rounds"
            f"  ({written / total:8.0f}/s)  round p50={statistics.median(rounds):7.1f} ms"
            f" p95={percentile(rounds, 0.95):7.1f} ms  ratio={total / baseline:4.2f}"
        )
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
