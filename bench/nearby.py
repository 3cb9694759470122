"""Nearby-station search at scale: 1,000,000 stations, 5 km radius, up to 50 results.

Target (requirement): p95 <= 10 ms on SQLite and on PostgreSQL. Each query goes through
the real service function, ``evcare.charging.stations.service.find_nearby_stations``, in its own
session, as a driver: the bounding-box prefilter on ``ix_station_geo``, the exact
haversine ranking and the loading of each result's connectors are all timed.

    .venv/bin/python bench/nearby.py                                  # SQLite file
    .venv/bin/python bench/nearby.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench

Stations (two connectors each) are spread over 25 Indian metros (Gaussian, sigma
``--spread-km``) with a uniform rural share; query points are drawn the same way, so most
searches land where stations are dense and return the full 50. The data set is reused
when the database already holds it (``--reload`` to rebuild). Prints figures; asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from evcare.charging.stations import repository
from evcare.charging.stations import service as charging
from evcare.charging.stations.models import Connector, Station, lat_band_of
from evcare.core.clock import utcnow
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal

TARGET_P95_MS = 10.0
BENCH_OWNER = "nearby-bench@evcare.dev"

# (city, latitude, longitude, weight)
METROS = [
    ("Delhi", 28.6139, 77.2090, 10),
    ("Mumbai", 19.0760, 72.8777, 10),
    ("Bengaluru", 12.9716, 77.5946, 9),
    ("Hyderabad", 17.3850, 78.4867, 7),
    ("Chennai", 13.0827, 80.2707, 7),
    ("Kolkata", 22.5726, 88.3639, 6),
    ("Pune", 18.5204, 73.8567, 6),
    ("Ahmedabad", 23.0225, 72.5714, 5),
    ("Jaipur", 26.9124, 75.7873, 4),
    ("Surat", 21.1702, 72.8311, 3),
    ("Lucknow", 26.8467, 80.9462, 3),
    ("Kanpur", 26.4499, 80.3319, 2),
    ("Nagpur", 21.1458, 79.0882, 2),
    ("Indore", 22.7196, 75.8577, 2),
    ("Bhopal", 23.2599, 77.4126, 2),
    ("Visakhapatnam", 17.6868, 83.2185, 2),
    ("Patna", 25.5941, 85.1376, 2),
    ("Vadodara", 22.3072, 73.1812, 2),
    ("Coimbatore", 11.0168, 76.9558, 2),
    ("Kochi", 9.9312, 76.2673, 2),
    ("Chandigarh", 30.7333, 76.7794, 2),
    ("Guwahati", 26.1445, 91.7362, 1),
    ("Thiruvananthapuram", 8.5241, 76.9366, 1),
    ("Mysuru", 12.2958, 76.6394, 1),
    ("Madurai", 9.9252, 78.1198, 1),
]
INDIA_BOX = (8.0, 32.0, 69.0, 89.0)  # min lat, max lat, min lng, max lng
RURAL_SHARE = 0.15


def point(rng: random.Random, spread_km: float) -> tuple[float, float]:
    if rng.random() < RURAL_SHARE:
        return rng.uniform(*INDIA_BOX[:2]), rng.uniform(*INDIA_BOX[2:])
    _, lat, lng, _ = rng.choices(METROS, weights=[m[3] for m in METROS])[0]
    sigma_lat = spread_km / 111.2
    sigma_lng = sigma_lat / math.cos(math.radians(lat))
    return rng.gauss(lat, sigma_lat), rng.gauss(lng, sigma_lng)


async def refresh_statistics(engine: AsyncEngine) -> None:
    """Planner statistics (and on PostgreSQL the visibility map that index-only scans
    need), as a production database would have them after autovacuum."""
    if engine.dialect.name == "postgresql":
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        async with autocommit.connect() as conn:
            await conn.exec_driver_sql("VACUUM ANALYZE station")
            await conn.exec_driver_sql("VACUUM ANALYZE connector")
    else:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")


def batches(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(total, start + size))


async def load(url: str, *, stations: int, spread_km: float, seed: int, reload: bool) -> int:
    """Fill the database with ``stations`` stations of one brand; returns the owner id."""
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            owner_id = await conn.scalar(select(User.id).where(User.email == BENCH_OWNER))
            if owner_id is None:
                owner_id = await conn.scalar(
                    insert(User)
                    .values(
                        email=BENCH_OWNER,
                        first_name="Bench",
                        last_name="Brand",
                        role=Role.BRAND,
                        status="active",
                        is_email_verified=True,
                        preferences={},
                        created_at=utcnow(),
                        updated_at=utcnow(),
                    )
                    .returning(User.id)
                )
            assert owner_id is not None
            have = await conn.scalar(select(func.count(Station.id))) or 0
        if have == stations and not reload:
            print(f"reusing {have:,} stations already loaded")
            return int(owner_id)
        async with engine.begin() as conn:
            await conn.execute(delete(Connector))
            await conn.execute(delete(Station))
        rng = random.Random(seed)
        now = utcnow()
        started = time.perf_counter()
        # Keys are assigned here so that plain executemany batches need no RETURNING.
        for chunk in batches(stations, 20_000):
            rows: list[dict[str, Any]] = []
            connector_rows: list[dict[str, Any]] = []
            for i in chunk:
                lat, lng = point(rng, spread_km)
                rows.append(
                    {
                        "id": i + 1,
                        "owner_id": owner_id,
                        "owner_type": "brand",
                        "name": f"Bench station {i}",
                        "address": f"{i} Bench Road",
                        "city": "",
                        "state": "",
                        "pincode": "",
                        "latitude": lat,
                        "longitude": lng,
                        "lat_band": lat_band_of(lat),
                        "status": "active",
                        "is_verified": True,
                        "rating": 4.2,
                        "total_reviews": 0,
                        "amenities": [],
                        "opening_time": "00:00",
                        "closing_time": "23:59",
                        "images": [],
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for n in (1, 2):
                    connector_rows.append(
                        {
                            "id": 2 * i + n,
                            "station_id": i + 1,
                            "connector_id": str(n),
                            "type": "CCS" if n == 1 else "Type2",
                            "power_kw": 60.0 if n == 1 else 7.4,
                            "status": "Available",
                            "base_price_minor": 1850,
                            "parking_fee_minor": 0,
                            "reservation_fee_minor": 0,
                            "currency": "INR",
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
            async with engine.begin() as conn:
                await conn.execute(insert(Station), rows)
                await conn.execute(insert(Connector), connector_rows)
            done = chunk.stop
            rate = done / (time.perf_counter() - started)
            print(f"\rloaded {done:,}/{stations:,} stations ({rate:,.0f}/s)", end="", flush=True)
        print()
        await refresh_statistics(engine)
        return int(owner_id)
    finally:
        await engine.dispose()


async def measure(
    url: str, *, queries: int, radius: float, limit: int, spread_km: float, seed: int
) -> dict[str, float]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    driver = Principal(user_id=0, role=Role.USER, scopes=frozenset(), session_id=uuid.uuid4())
    rng = random.Random(seed + 1)
    points = [point(rng, spread_km) for _ in range(queries)]
    timings: list[float] = []
    cpu: list[float] = []
    search: list[float] = []
    found: list[int] = []
    try:
        for warm in points[:50]:  # connections, statement caches
            async with sessions() as session:
                await charging.find_nearby_stations(
                    session, driver, latitude=warm[0], longitude=warm[1], radius_m=radius
                )
        for lat, lng in points:
            async with sessions() as session:
                start, start_cpu = time.perf_counter(), time.process_time()
                result = await charging.find_nearby_stations(
                    session, driver, latitude=lat, longitude=lng, radius_m=radius, limit=limit
                )
                timings.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
                found.append(len(result))
                # The index search alone (the rings' candidate queries, no rows loaded).
                start = time.perf_counter()
                await repository.nearest_station_ids(
                    session,
                    latitude=lat,
                    longitude=lng,
                    radius_m=radius,
                    limit=limit,
                    visible_to=driver,
                )
                search.append((time.perf_counter() - start) * 1000)
    finally:
        await engine.dispose()
    cuts = statistics.quantiles(timings, n=100)
    cpu_cuts = statistics.quantiles(cpu, n=100)
    search_cuts = statistics.quantiles(search, n=100)
    return {
        "search_p50": search_cuts[49],
        "search_p95": search_cuts[94],
        "cpu_p50": cpu_cuts[49],
        "cpu_p95": cpu_cuts[94],
        "p50": cuts[49],
        "p95": cuts[94],
        "p99": cuts[98],
        "mean": statistics.fmean(timings),
        "results_mean": statistics.fmean(found),
        "full_pages": sum(1 for n in found if n == limit) / len(found),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / 'evcare-bench-nearby.db'}",
        help="SQLite (default: <tmp>/evcare-bench-nearby.db) or postgresql+asyncpg URL",
    )
    parser.add_argument("--stations", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--radius", type=float, default=5_000, help="metres")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--spread-km", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--reload", action="store_true", help="rebuild the data set")
    args = parser.parse_args()

    started = time.perf_counter()
    asyncio.run(
        load(
            args.database_url,
            stations=args.stations,
            spread_km=args.spread_km,
            seed=args.seed,
            reload=args.reload,
        )
    )
    print(f"data ready in {time.perf_counter() - started:,.1f} s")
    load_before = os.getloadavg()[0]
    figures = asyncio.run(
        measure(
            args.database_url,
            queries=args.queries,
            radius=args.radius,
            limit=args.limit,
            spread_km=args.spread_km,
            seed=args.seed,
        )
    )
    dialect = args.database_url.split(":", 1)[0]
    print(
        f"{dialect}: {args.stations:,} stations, {args.queries:,} queries, "
        f"radius {args.radius:,.0f} m, limit {args.limit}"
    )
    print(
        f"  p50 {figures['p50']:.2f} ms  p95 {figures['p95']:.2f} ms  "
        f"p99 {figures['p99']:.2f} ms  mean {figures['mean']:.2f} ms"
    )
    print(f"  results/query {figures['results_mean']:.1f}  full pages {figures['full_pages']:.0%}")
    print(
        f"  full-radius index search alone (one candidate query, no rows loaded): "
        f"p50 {figures['search_p50']:.2f} ms  p95 {figures['search_p95']:.2f} ms"
    )
    print(
        f"  this process's CPU per query (Python + driver; not the PostgreSQL server's): "
        f"p50 {figures['cpu_p50']:.2f} ms  p95 {figures['cpu_p95']:.2f} ms"
    )
    print(f"  load average before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f}")
    print(f"  p95 / target ({TARGET_P95_MS:.0f} ms) = {figures['p95'] / TARGET_P95_MS:.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
