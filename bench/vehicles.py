"""Vehicle reads at scale: an owner's garage and one owned vehicle, against a user lookup.

What is timed, each call in its own session as the owner (the real service functions):

- ``vehicles.list_vehicles`` (the EV-CMS ``GET /profile/vehicles`` / RevCare ``GET /car/``
  query, class and fuel loaded), and ``vehicles.get_owned_vehicle``;
- ``identity.get_me`` as the baseline: a primary-key read of one user row, the cheapest
  query an authenticated request makes. The ratio says what a vehicle read costs on top.

    .venv/bin/python bench/vehicles.py                                  # SQLite file
    .venv/bin/python bench/vehicles.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench

Data: ``--owners`` users with 1..``--max-per-owner`` vehicles each (uniform). Prints
figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.core.clock import utcnow
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.identity import service as identity
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.vehicles import service as vehicles
from evcare.vehicles.models import Vehicle

EMAIL_DOMAIN = "vehicles-bench.evcare.dev"


async def load(
    sessionmaker: async_sessionmaker[AsyncSession], owners: int, max_per_owner: int
) -> list[tuple[int, list[int]]]:
    """Users and their vehicles, reused when already loaded; [(user id, [vehicle ids])]."""
    async with sessionmaker() as session:
        existing = await session.scalar(
            select(func.count()).select_from(User).where(User.email.like(f"%@{EMAIL_DOMAIN}"))
        )
        if existing != owners:
            await session.execute(delete(User).where(User.email.like(f"%@{EMAIL_DOMAIN}")))
            now = utcnow()
            rng = random.Random(7)
            batch = 5000
            for start in range(0, owners, batch):
                users = [
                    {
                        "email": f"owner{n}@{EMAIL_DOMAIN}",
                        "first_name": "Owner",
                        "last_name": str(n),
                        "role": Role.USER.value,
                        "status": "active",
                        "is_email_verified": True,
                        "preferences": {},
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(start, min(owners, start + batch))
                ]
                await session.execute(insert(User), users)
            ids = (
                await session.scalars(
                    select(User.id).where(User.email.like(f"%@{EMAIL_DOMAIN}")).order_by(User.id)
                )
            ).all()
            rows: list[dict[str, Any]] = []
            for user_id in ids:
                for k in range(rng.randint(1, max_per_owner)):
                    rows.append(
                        {
                            "owner_id": user_id,
                            "make": "Tata Motors",
                            "model": "Nexon EV",
                            "year": 2020 + k,
                            "battery_capacity_kwh": Decimal("40.50"),
                            "registration_number": f"BN{user_id:08d}{k:02d}",
                            "is_default": k == 0,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                if len(rows) >= batch:
                    await session.execute(insert(Vehicle), rows)
                    rows = []
            if rows:
                await session.execute(insert(Vehicle), rows)
            await session.commit()
        query = (
            select(Vehicle.owner_id, Vehicle.id)
            .join(User, User.id == Vehicle.owner_id)
            .where(User.email.like(f"%@{EMAIL_DOMAIN}"))
        )
        garages: dict[int, list[int]] = {}
        for owner_id, vehicle_id in (await session.execute(query)).all():
            garages.setdefault(owner_id, []).append(vehicle_id)
    return list(garages.items())


def principal(user_id: int) -> Principal:
    return Principal(
        user_id=user_id, role=Role.USER, scopes=scopes_for(Role.USER), session_id=uuid.uuid4()
    )


async def timed(
    sessionmaker: async_sessionmaker[AsyncSession],
    samples: list[tuple[int, list[int]]],
    call: Callable[[AsyncSession, Principal, list[int]], Awaitable[object]],
) -> list[float]:
    durations: list[float] = []
    for owner_id, vehicle_ids in samples:
        acting = principal(owner_id)
        start = time.perf_counter()
        async with sessionmaker() as session:
            await call(session, acting, vehicle_ids)
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def figures(durations: list[float]) -> tuple[float, float, float]:
    ordered = sorted(durations)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return statistics.median(ordered), at(0.95), at(0.99)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--owners", type=int, default=20_000)
    parser.add_argument("--max-per-owner", type=int, default=5)
    parser.add_argument("--queries", type=int, default=2_000)
    args = parser.parse_args()
    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-bench-')) / 'bench.db'}"
    )
    await upgrade(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    try:
        started = time.perf_counter()
        garages = await load(sessionmaker, args.owners, args.max_per_owner)
        total = sum(len(v) for _, v in garages)
        print(
            f"{engine.dialect.name}: {len(garages)} owners, {total} vehicles "
            f"(ready in {time.perf_counter() - started:.1f} s)"
        )
        rng = random.Random(11)
        samples = [rng.choice(garages) for _ in range(args.queries)]

        async def get_me(session: AsyncSession, acting: Principal, _: list[int]) -> object:
            return await identity.get_me(session, acting)

        async def garage(session: AsyncSession, acting: Principal, _: list[int]) -> object:
            return await vehicles.list_vehicles(session, acting)

        async def one(session: AsyncSession, acting: Principal, ids: list[int]) -> object:
            return await vehicles.get_owned_vehicle(session, acting, vehicle_id=ids[-1])

        await timed(sessionmaker, samples[:100], get_me)  # warm the pool and caches
        baseline = figures(await timed(sessionmaker, samples, get_me))
        print(f"{'query':<28}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p50 x base':>12}")
        print(f"{'identity.get_me (baseline)':<28}" + "".join(f"{v:>9.3f}" for v in baseline))
        for name, call in (("vehicles.list_vehicles", garage), ("vehicles.get_owned", one)):
            p50, p95, p99 = figures(await timed(sessionmaker, samples, call))
            print(f"{name:<28}{p50:>9.3f}{p95:>9.3f}{p99:>9.3f}{p50 / baseline[0]:>12.2f}")
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
