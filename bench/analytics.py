"""The admin dashboard and revenue analytics over a large network, against bare SQL.

    .venv/bin/python -m bench.analytics                                  # SQLite file
    .venv/bin/python -m bench.analytics --sessions 100000 --users 10000  # smaller
    .venv/bin/python -m bench.analytics --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_analytics

Loads ``--users`` drivers, ``--stations`` stations of 20 brands (two chargers with two
connectors each), ``--sessions`` charging sessions over the last 365 days (96 %
completed and billed, 4 % failed; one active session on each of the first 100
connectors) and ``--bookings`` connector bookings with their reservation fees (a fifth
refunded), all with bulk ``INSERT`` (executemany). Then, ``--reads`` times each:

- ``GET /api/v1/admin/dashboard`` (all four parts) and ``GET /api/v1/analytics/revenue?
  groupBy=day`` (the default 30 days), in process through the ASGI app with a signed-in
  admin's token (routing, authentication, validation, service, JSON included);
- the bare SQL aggregates of the same figures, written by hand for the database and
  run on one raw connection.

Endpoint and bare SQL alternate read by read (the order flipping each time), so a burst
of other work on a shared machine falls on both alike. Prints p50/p95 per endpoint and
the ratio endpoint p95 / bare p95 (goal <= 2x), and the
query plans of the two heaviest statements (``--plans``). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from evcare.charging.bookings.models import ConnectorBooking
from evcare.charging.chargers.models import Charger
from evcare.charging.sessions.models import ChargingSession
from evcare.charging.stations.models import Connector, Station
from evcare.core.db import create_engine
from evcare.core.migrate import upgrade
from evcare.identity.models import Role, User

PASSWORD = "Bench@12345"
ADMIN_EMAIL = "analytics-bench-admin@evcare.dev"
BATCH = 10_000
OFFSET = "+05:30"  # Asia/Kolkata, the default time zone (no daylight saving)


def batches(total: int, size: int = BATCH) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def load(engine: AsyncEngine, args: argparse.Namespace, password_hash: str) -> None:
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with engine.begin() as connection:
        if await connection.scalar(select(func.count(ChargingSession.id))):
            print("data set already loaded; reusing it")
            return
        await connection.execute(
            insert(User),
            [
                {
                    "email": ADMIN_EMAIL,
                    "first_name": "Bench",
                    "last_name": "Admin",
                    "role": Role.ADMIN,
                    "password_hash": password_hash,
                }
            ]
            + [
                {
                    "email": f"brand{n}@bench.dev",
                    "first_name": "Brand",
                    "last_name": str(n),
                    "role": Role.BRAND,
                    "password_hash": None,
                }
                for n in range(20)
            ],
        )
        brands = list(await connection.scalars(select(User.id).where(User.role == "brand")))
        await connection.execute(
            text(USERS_SQL[engine.dialect.name]), {"count": args.users, "now": now.timestamp()}
        )
        drivers = list(await connection.scalars(select(User.id).where(User.role == "user")))
        await connection.execute(
            insert(Station),
            [
                {
                    "owner_id": brands[n % len(brands)],
                    "owner_type": "brand",
                    "name": f"Bench station {n}",
                    "address": f"{n} Bench Road",
                    "latitude": 12.9 + n * 1e-4,
                    "longitude": 77.5 + n * 1e-4,
                    "lat_band": 0,
                    "is_verified": True,
                }
                for n in range(args.stations)
            ],
        )
        stations = list(await connection.scalars(select(Station.id).order_by(Station.id)))
        await connection.execute(
            insert(Charger),
            [
                {
                    "charge_point_id": f"BENCH-{station}-{k}",
                    "name": f"Charger {station}-{k}",
                    "station_id": station,
                    "manufacturer": "ABB",
                    "model": "Terra 54",
                    "status": rng.choice(["Online"] * 8 + ["Offline", "Faulted"]),
                    "password_hash": "x",
                }
                for station in stations
                for k in (1, 2)
            ],
        )
        chargers = (await connection.execute(select(Charger.id, Charger.station_id))).all()
        await connection.execute(
            insert(Connector),
            [
                {
                    "station_id": station,
                    "charger_id": charger,
                    "connector_id": f"{charger}-{number}",
                    "connector_number": number,
                    "type": "CCS",
                    "power_kw": 60.0,
                    "status": rng.choice(["Available", "Available", "Charging"]),
                    "base_price_minor": 1800,
                }
                for charger, station in chargers
                for number in (1, 2)
            ],
        )
        connectors = (
            await connection.execute(
                select(Connector.id, Connector.station_id).order_by(Connector.id)
            )
        ).all()
        charger_ids = [charger for charger, _ in chargers]
        assert charger_ids == list(range(charger_ids[0], charger_ids[0] + len(charger_ids)))
        assert drivers == list(range(drivers[0], drivers[0] + len(drivers)))
        await connection.execute(
            text(SESSIONS_SQL[engine.dialect.name]),
            {
                "count": args.sessions,
                "now": now.timestamp(),
                "first_charger": charger_ids[0],
                "chargers": len(charger_ids),
                "first_driver": drivers[0],
                "drivers": len(drivers),
            },
        )
        await connection.execute(
            insert(ChargingSession),
            [
                {
                    "charger_id": charger_ids[n // 2],
                    "connector_id": 1 + n % 2 + 10,
                    "user_id": drivers[n],
                    "ocpp_version": "1.6",
                    "transaction_id": f"active-{n}",
                    "status": "active",
                    "started_at": now - timedelta(minutes=20),
                }
                for n in range(min(100, len(charger_ids) * 2))
            ],
        )
        for part in batches(args.bookings):
            rows = []
            for _ in part:
                connector, station = connectors[rng.randrange(len(connectors))]
                made = now - timedelta(seconds=rng.uniform(0, 365 * 86_400))
                rows.append(
                    {
                        "user_id": drivers[rng.randrange(len(drivers))],
                        "station_id": station,
                        "connector_id": connector,
                        "status": "completed",
                        "scheduled_at": made + timedelta(hours=2),
                        "ends_at": made + timedelta(hours=3),
                        "estimated_minutes": 60,
                        "reservation_fee_minor": 5000,
                        "fee_refunded": rng.random() < 0.2,
                        "created_at": made,
                        "updated_at": made,
                    }
                )
            await connection.execute(insert(ConnectorBooking), rows)
    async with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            raw = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await raw.execute(text("VACUUM ANALYZE"))
        else:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    print(f"loaded in {time.perf_counter() - started:.0f} s")


# The two large tables are generated by the database itself (INSERT ... SELECT over a
# row generator): executemany of a million Python dicts takes minutes on a shared VM.
_SQLITE_TIME = "strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"
USERS_SQL = {
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :count - 1),"
        " r AS MATERIALIZED (SELECT i, abs(random()) % 34560000 AS ago FROM n)"
        " INSERT INTO user_account (email, first_name, last_name, role, status,"
        " is_email_verified, preferences, created_at, updated_at)"
        " SELECT 'driver' || i || '@bench.dev', 'Driver', CAST(i AS TEXT), 'user', 'active',"
        " 0, '{}', "
        + _SQLITE_TIME.format(seconds=":now - ago")
        + ", "
        + _SQLITE_TIME.format(seconds=":now - ago")
        + " FROM r"
    ),
    "postgresql": (
        "INSERT INTO user_account (email, first_name, last_name, role, status,"
        " is_email_verified, preferences, created_at, updated_at)"
        " SELECT 'driver' || i || '@bench.dev', 'Driver', i::text, 'user', 'active', false,"
        " '{}', to_timestamp(:now - ago), to_timestamp(:now - ago)"
        " FROM (SELECT i, floor(random() * 34560000) AS ago"
        " FROM generate_series(0, :count - 1) AS g(i)) AS r"
    ),
}
_SESSION_COLUMNS = (
    "INSERT INTO charging_session (charger_id, connector_id, user_id, ocpp_version,"
    " transaction_id, status, started_at, ended_at, energy_wh, cost_minor, currency,"
    " meter_start_wh, energy_rate_minor, parking_fee_minor, payment_status, stop_estimated,"
    " created_at, updated_at)"
)
SESSIONS_SQL = {
    # 96 % completed; 10-120 minutes at 100-800 W; cost 1.8 paise per Wh.
    "sqlite": (
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :count - 1),"
        " r AS MATERIALIZED (SELECT i, abs(random()) % 31536000 AS ago,"
        " 10 + abs(random()) % 110 AS minutes, abs(random()) % 100 < 96 AS completed,"
        " 100 + abs(random()) % 700 AS rate, abs(random()) % :drivers AS driver FROM n) "
        + _SESSION_COLUMNS
        + " SELECT :first_charger + i % :chargers, 1 + (i / :chargers) % 2,"
        " :first_driver + driver, '1.6', CAST(i + 1 AS TEXT),"
        " CASE WHEN completed THEN 'completed' ELSE 'failed' END, "
        + _SQLITE_TIME.format(seconds=":now - ago")
        + ", "
        + _SQLITE_TIME.format(seconds=":now - ago + minutes * 60")
        + ", CASE WHEN completed THEN minutes * rate END,"
        " CASE WHEN completed THEN minutes * rate * 18 / 10 END, 'INR', 0, 1800, 0,"
        " 'paid', 0, "
        + _SQLITE_TIME.format(seconds=":now - ago")
        + ", "
        + _SQLITE_TIME.format(seconds=":now - ago")
        + " FROM r"
    ),
    "postgresql": (
        _SESSION_COLUMNS + " SELECT :first_charger + i % :chargers, 1 + (i / :chargers) % 2,"
        " :first_driver + driver, '1.6', (i + 1)::text,"
        " CASE WHEN completed THEN 'completed' ELSE 'failed' END, to_timestamp(:now - ago),"
        " to_timestamp(:now - ago + minutes * 60), CASE WHEN completed THEN minutes * rate END,"
        " CASE WHEN completed THEN minutes * rate * 18 / 10 END, 'INR', 0, 1800, 0, 'paid',"
        " false, to_timestamp(:now - ago), to_timestamp(:now - ago)"
        " FROM (SELECT i, floor(random() * 31536000) AS ago,"
        " 10 + floor(random() * 110)::int AS minutes, random() < 0.96 AS completed,"
        " 100 + floor(random() * 700)::int AS rate, floor(random() * :drivers)::int AS driver"
        " FROM generate_series(0, :count - 1) AS g(i)) AS r"
    ),
}


def bare_statements(dialect: str) -> dict[str, list[str]]:
    """The same figures as hand-written SQL (the bound values come from ``marks``)."""
    if dialect == "postgresql":
        local_day = "to_char(({column} AT TIME ZONE 'Asia/Kolkata'), 'YYYY-MM-DD')"
    else:
        local_day = f"date({{column}}, '{OFFSET}')"
    revenue = [
        "SELECT "
        + local_day.format(column="ended_at")
        + ", SUM(cost_minor), COUNT(*) FROM charging_session WHERE ended_at >= :start AND "
        "ended_at < :end AND status = 'completed' AND currency = 'INR' AND cost_minor IS "
        "NOT NULL GROUP BY 1",
        "SELECT "
        + local_day.format(column="created_at")
        + ", SUM(reservation_fee_minor) FROM connector_booking WHERE created_at >= :start "
        "AND created_at < :end AND reservation_fee_minor > 0 AND NOT fee_refunded AND "
        "currency = 'INR' GROUP BY 1",
    ]

    def marks(at: str, amount: str) -> str:
        return (
            f"SUM(CASE WHEN {at} >= :today THEN {amount} ELSE 0 END), "
            f"SUM(CASE WHEN {at} >= :week THEN {amount} ELSE 0 END), "
            f"SUM(CASE WHEN {at} >= :month THEN {amount} ELSE 0 END), "
            f"SUM(CASE WHEN {at} >= :previous AND {at} < :previous_to_date "
            f"THEN {amount} ELSE 0 END)"
        )

    minutes = (
        "(EXTRACT(EPOCH FROM ended_at) - EXTRACT(EPOCH FROM started_at)) / 60"
        if dialect == "postgresql"
        else "(julianday(ended_at) - julianday(started_at)) * 1440"
    )
    dashboard = [
        "SELECT (SELECT COUNT(*) FROM user_account WHERE deleted_at IS NULL AND role <> "
        "'integration'), (SELECT COUNT(*) FROM station WHERE deleted_at IS NULL), "
        "(SELECT COUNT(*) FROM charger JOIN station ON station.id = charger.station_id "
        "WHERE station.deleted_at IS NULL AND charger.archived_at IS NULL), "
        "(SELECT COUNT(*) FROM charging_session WHERE status = 'active')",
        "SELECT SUM(CASE WHEN charger.status = 'Online' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN charger.status = 'Offline' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN charger.status = 'Faulted' THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN charger.status = 'Maintenance' THEN 1 ELSE 0 END) FROM charger "
        "JOIN station ON station.id = charger.station_id WHERE station.deleted_at IS NULL "
        "AND charger.archived_at IS NULL",
        "SELECT COUNT(connector.id), SUM(CASE WHEN connector.status IN ('Preparing', "
        "'Charging', 'SuspendedEV', 'SuspendedEVSE', 'Finishing', 'Occupied') AND "
        "charger.status <> 'Offline' THEN 1 ELSE 0 END) FROM connector JOIN charger ON "
        "charger.id = connector.charger_id JOIN station ON station.id = charger.station_id "
        "WHERE station.deleted_at IS NULL AND charger.archived_at IS NULL",
        "SELECT "
        + marks("ended_at", "cost_minor")
        + " FROM charging_session WHERE ended_at >= :lowest AND ended_at < :until AND "
        "status = 'completed' AND currency = 'INR'",
        "SELECT "
        + marks("created_at", "reservation_fee_minor")
        + " FROM connector_booking WHERE created_at >= :lowest AND created_at < :until AND "
        "reservation_fee_minor > 0 AND NOT fee_refunded AND currency = 'INR'",
        "SELECT SUM(CASE WHEN started_at >= :today THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN started_at >= :week THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN started_at >= :month THEN 1 ELSE 0 END), "
        f"AVG(CASE WHEN started_at >= :month AND status = 'completed' THEN {minutes} END) "
        "FROM charging_session WHERE started_at >= :lowest_start",
        "SELECT SUM(energy_wh) FROM charging_session WHERE ended_at IS NOT NULL AND "
        "status = 'completed'",
        "SELECT station_id, SUM(amount) AS earned FROM (SELECT charger.station_id, "
        "charging_session.cost_minor AS amount FROM charging_session JOIN charger ON "
        "charger.id = charging_session.charger_id WHERE ended_at >= :month AND ended_at < "
        ":until AND charging_session.status = 'completed' AND currency = 'INR' UNION ALL "
        "SELECT station_id, reservation_fee_minor FROM connector_booking WHERE created_at "
        ">= :month AND created_at < :until AND reservation_fee_minor > 0 AND NOT "
        "fee_refunded AND currency = 'INR') AS lines GROUP BY station_id ORDER BY earned "
        "DESC, station_id LIMIT 5",
    ]
    return {"dashboard": dashboard, "revenue": revenue}


def bare_values(now: datetime) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from evcare.charging.analytics.service import marks_at

    marks = marks_at(now, ZoneInfo("Asia/Kolkata"))
    start = marks.today - timedelta(days=29)
    return {
        "today": marks.today,
        "week": marks.week,
        "month": marks.month,
        "previous": marks.previous_month,
        "previous_to_date": marks.previous_month_to_date,
        "lowest": min(marks.week, marks.previous_month),
        "lowest_start": min(marks.week, marks.month),
        "until": now + timedelta(seconds=1),
        "start": start,
        "end": marks.today + timedelta(days=1),
    }


async def time_side_by_side(
    reads: int, first: Callable[[], Awaitable[None]], second: Callable[[], Awaitable[None]]
) -> tuple[list[float], list[float]]:
    """``reads`` timings of each call, alternating (the order flipping every read), so a
    burst of other work on the machine falls on both alike."""
    await first()  # warm: caches, prepared statements
    await second()
    samples: tuple[list[float], list[float]] = ([], [])
    for n in range(reads):
        order = ((0, first), (1, second)) if n % 2 == 0 else ((1, second), (0, first))
        for slot, call in order:
            began = time.perf_counter()
            await call()
            samples[slot].append((time.perf_counter() - began) * 1000)
    return samples


async def measure(url: str, args: argparse.Namespace) -> None:
    import httpx

    from evcare.app import create_app
    from evcare.core.config import Settings

    settings = Settings(
        environment="test",
        database_url=url,
        secret_key="analytics-bench-secret-0123456789abcdef",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        log_level="WARNING",
        data_dir=Path(tempfile.mkdtemp(prefix="evcare-bench-data-")),
        rate_limit_enabled=False,  # one admin reads hundreds of times
    )
    app = create_app(settings)
    runtime = app.state.runtime
    engine = create_engine(url)
    await load(engine, args, runtime.credentials.passwords.hash(PASSWORD))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        signed_in = await client.post(
            "/api/v1/auth/login", json={"email": ADMIN_EMAIL, "password": PASSWORD}
        )
        signed_in.raise_for_status()
        headers = {"Authorization": f"Bearer {signed_in.json()['data']['accessToken']}"}
        endpoints = {
            "dashboard": "/api/v1/admin/dashboard",
            "revenue": "/api/v1/analytics/revenue?groupBy=day",
        }
        statements = bare_statements(engine.dialect.name)
        values = bare_values(datetime.now(UTC))
        print(f"{'':<34}{'p50':>10}{'p95':>10}")
        async with engine.connect() as connection:
            for name, path in endpoints.items():

                async def endpoint(path: str = path) -> None:
                    response = await client.get(path, headers=headers)
                    response.raise_for_status()

                async def bare(name: str = name) -> None:
                    for sql in statements[name]:
                        bound = text(sql)
                        used = {k: v for k, v in values.items() if f":{k}" in sql}
                        (await connection.execute(bound, used)).all()

                served, raw = await time_side_by_side(args.reads, endpoint, bare)
                for label, samples in ((f"GET {name}", served), (f"bare SQL {name}", raw)):
                    print(
                        f"{label:<34}{statistics.median(samples):8.1f}ms"
                        f"{percentile(samples, 0.95):8.1f}ms"
                    )
                ratio = percentile(served, 0.95) / percentile(raw, 0.95)
                print(f"{'  ratio p95 endpoint / bare':<34}{ratio:9.2f}x")
            if args.plans:
                prefix = (
                    "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
                )
                for sql in (statements["revenue"][0], statements["dashboard"][3]):
                    used = {k: v for k, v in values.items() if f":{k}" in sql}
                    plan = (await connection.execute(text(prefix + sql), used)).all()
                    print("\n" + sql[:90] + " ...")
                    for row in plan:
                        print("   ", row[-1])
    await engine.dispose()
    await runtime.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--stations", type=int, default=500)
    parser.add_argument("--bookings", type=int, default=50_000)
    parser.add_argument("--reads", type=int, default=100)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--plans", action="store_true", help="print the query plans")
    args = parser.parse_args()
    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-bench-')) / 'bench.db'}"
    )

    async def run() -> None:
        await upgrade(url)
        await measure(url, args)

    asyncio.run(run())


if __name__ == "__main__":
    main()
