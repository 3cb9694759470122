"""Public service catalogue at scale: 5,000 services, 200,000 reviews, pages of 100.

What is timed is the real service function ``evcare.service.catalogue.list_services``
(one page of services plus their approved-review averages in ONE grouped query), each
call in its own session, for: the first page, a category filter, and a text search.
Baseline: the same page with the ratings fetched one service at a time (the N+1 shape a
naive implementation has). The ratio baseline / ours is printed.

    .venv/bin/python bench/catalogue.py                                   # SQLite file
    .venv/bin/python bench/catalogue.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench

The data set is reused when the database already holds it (``--reload`` to rebuild).
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from evcare.core.clock import utcnow
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.core.pagination import PageParams
from evcare.identity.models import Role, User
from evcare.service import catalogue, repository, workshops
from evcare.service.models import Service, ServiceCategory, ServiceReview

BENCH_DOMAIN = "@catalogue-bench.evcare.dev"
WORDS = ["battery", "brake", "tyre", "coolant", "inverter", "charger", "ac", "wiper", "motor"]


async def seed(engine: AsyncEngine, *, services: int, reviews_each: int, reload: bool) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        have = await session.scalar(select(func.count()).select_from(Service)) or 0
        if have >= services and not reload:
            print(f"reusing {have} services already in the database")
            return
        await session.execute(delete(ServiceReview))
        await session.execute(delete(Service))
        await session.execute(delete(ServiceCategory))
        await session.execute(delete(User).where(User.email.like(f"%{BENCH_DOMAIN}")))
        await session.commit()
    rng = random.Random(7)
    now = utcnow()
    started = time.perf_counter()
    async with sessions() as session:
        await session.execute(
            insert(User),
            [
                {
                    "email": f"reviewer{n}{BENCH_DOMAIN}",
                    "first_name": "Reviewer",
                    "last_name": str(n),
                    "role": Role.USER,
                    "status": "active",
                    "is_email_verified": False,
                    "preferences": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(reviews_each)
            ],
        )
        users = list(
            (
                await session.scalars(select(User.id).where(User.email.like(f"%{BENCH_DOMAIN}")))
            ).all()
        )
        await session.execute(
            insert(ServiceCategory),
            [
                {"name": f"Category {n}", "description": "", "is_active": True}
                | {"created_at": now, "updated_at": now}
                for n in range(50)
            ],
        )
        categories = list((await session.scalars(select(ServiceCategory.id))).all())
        workshop_id = await workshops.default_workshop_id(session)
        await session.execute(
            insert(Service),
            [
                {
                    "workshop_id": workshop_id,
                    "category_id": categories[n % len(categories)],
                    "name": f"{rng.choice(WORDS).title()} job {n:05d}",
                    "description": " ".join(rng.sample(WORDS, 3)),
                    "price_minor": rng.randrange(10_000, 2_000_000),
                    "currency": "INR",
                    "duration_minutes": rng.choice([30, 45, 60, 90, 120]),
                    "is_active": rng.random() > 0.05,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(services)
            ],
        )
        service_ids = list((await session.scalars(select(Service.id))).all())
        await session.commit()
    async with sessions() as session:
        batch: list[dict[str, Any]] = []
        for service_id in service_ids:
            for user_id in rng.sample(users, reviews_each):
                batch.append(
                    {
                        "service_id": service_id,
                        "user_id": user_id,
                        "rating": rng.randint(1, 5),
                        "comment": "",
                        "status": "approved" if rng.random() < 0.8 else "pending",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if len(batch) >= 20_000:
                await session.execute(insert(ServiceReview), batch)
                batch.clear()
        if batch:
            await session.execute(insert(ServiceReview), batch)
        await session.commit()
    took = time.perf_counter() - started
    print(f"seeded {services} services, {services * reviews_each} reviews in {took:.1f} s")


async def naive_page(session: AsyncSession, params: PageParams) -> list[Any]:
    """Baseline: the page, then one average query per service (N+1)."""
    page = await repository.list_services(
        session, params, category_id=None, search=None, active=True
    )
    out = []
    for service in page.items:
        average = await session.scalar(
            select(func.avg(ServiceReview.rating))
            .where(ServiceReview.service_id == service.id)
            .where(ServiceReview.status == "approved")
        )
        out.append((service, average))
    return out


async def timed(
    sessions: async_sessionmaker[AsyncSession],
    call: Callable[[AsyncSession], Awaitable[Any]],
    runs: int,
) -> list[float]:
    figures = []
    for _ in range(runs):
        async with sessions() as session:
            started = time.perf_counter()
            await call(session)
            figures.append((time.perf_counter() - started) * 1000)
    return figures


def summary(label: str, figures: list[float]) -> float:
    figures = sorted(figures)
    p50 = statistics.median(figures)
    p95 = figures[int(len(figures) * 0.95) - 1]
    print(f"{label:<34} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   (n={len(figures)})")
    return p50


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--services", type=int, default=5_000)
    parser.add_argument("--reviews-each", type=int, default=40)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()
    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / 'evcare-catalogue-bench.db'}"
    )
    await upgrade(url)
    engine = create_engine(url)
    try:
        await seed(
            engine, services=args.services, reviews_each=args.reviews_each, reload=args.reload
        )
        sessions = create_sessionmaker(engine)
        page = PageParams(page=1, limit=100)
        deep = PageParams(page=20, limit=100)

        def ours(**filters: Any) -> Callable[[AsyncSession], Awaitable[Any]]:
            return lambda s: catalogue.list_services(s, page, **filters)

        print(f"database: {url.split('://')[0]}")
        fast = summary("page 1 of 100 with ratings", await timed(sessions, ours(), args.runs))
        summary(
            "page 20 of 100 with ratings",
            await timed(sessions, lambda s: catalogue.list_services(s, deep), args.runs),
        )
        summary("category filter", await timed(sessions, ours(category_id=1), args.runs))
        summary("search 'inverter'", await timed(sessions, ours(search="inverter"), args.runs))
        slow = summary(
            "baseline: page 1, N+1 ratings",
            await timed(sessions, lambda s: naive_page(s, page), args.runs),
        )
        print(f"ratio baseline / ours (p50): {slow / fast:.1f}x")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
