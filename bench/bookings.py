"""RevCare bookings under load: creating bookings (slot capacity checked and locked per
booking) and reading the admin dashboard and a customer's list over a large table.

    .venv/bin/python bench/bookings.py                                   # SQLite file
    .venv/bin/python bench/bookings.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench_bookings

Every operation goes through the real service functions (``evcare.service.bookings``),
each in its own session and transaction as a request would. Creation is timed serially
and with ``--concurrency`` workers racing for the same slots (the lock makes them queue);
the reads run over ``--rows`` bulk-loaded bookings. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from evcare.core.clock import utcnow
from evcare.core.db import create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.core.pagination import PageParams
from evcare.identity.models import Role, User
from evcare.identity.principal import Principal
from evcare.identity.scopes import scopes_for
from evcare.service import bookings, workshops
from evcare.service.bookings.models import BookingItem, PickupType, ServiceBooking
from evcare.service.models import Service, ServiceCategory, Timeslot
from evcare.vehicles.models import Vehicle


def principal(user_id: int, role: Role) -> Principal:
    return Principal(user_id, role, scopes_for(role), uuid.uuid4())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def report(name: str, samples: list[float], wall: float | None = None) -> None:
    line = (
        f"{name:<42} n={len(samples):>5}  p50={statistics.median(samples):7.2f} ms"
        f"  p95={percentile(samples, 0.95):7.2f} ms"
    )
    if wall is not None:
        line += f"  throughput={len(samples) / wall:8.1f}/s"
    print(line)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rows", type=int, default=100_000, help="bookings bulk-loaded")
    parser.add_argument("--creates", type=int, default=400, help="bookings created timed")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()

    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-bench-')) / 'bench.db'}"
    )
    await upgrade(url)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    tag = uuid.uuid4().hex[:8]

    async with sessions() as session:
        customers = [
            User(email=f"bench-{tag}-{n}@example.com", first_name="Bench", role=Role.USER)
            for n in range(50)
        ]
        admin = User(email=f"bench-{tag}-admin@example.com", first_name="Admin", role=Role.ADMIN)
        session.add_all([*customers, admin])
        await session.flush()
        vehicles = [
            Vehicle(
                owner_id=c.id,
                make="Tata",
                model="Nexon EV",
                year=2023,
                registration_number=f"BN{tag[:4]}{n:05d}".upper(),
            )
            for n, c in enumerate(customers)
        ]
        category = ServiceCategory(name=f"Bench {tag}")
        session.add_all([*vehicles, category])
        await session.flush()
        workshop_id = await workshops.default_workshop_id(session)
        services = [
            Service(
                workshop_id=workshop_id,
                category_id=category.id,
                name=f"Bench service {n}",
                price_minor=99_900 + n,
                duration_minutes=60,
            )
            for n in range(5)
        ]
        minute = int(tag[:3], 16) % 1000
        slots = [
            Timeslot(
                start_time=clock_time(hour, minute % 60, minute // 60 % 60),
                end_time=clock_time(hour + 1, minute % 60, minute // 60 % 60),
                capacity=1_000_000,
            )
            for hour in range(6, 10)
        ]
        session.add_all([*services, *slots])
        await session.commit()
    customer_ids = [(c.id, v.id) for c, v in zip(customers, vehicles, strict=True)]
    service_ids = [s.id for s in services]
    slot_ids = [s.id for s in slots]

    # Bulk load the table the reads run over (not timed).
    async with sessions() as session:
        existing = await session.scalar(select(func.count()).select_from(ServiceBooking)) or 0
        now, today = utcnow(), utcnow().date()
        batch = 5_000
        for start in range(existing, args.rows, batch):
            rows = [
                {
                    "customer_id": customer_ids[n % 50][0],
                    "workshop_id": workshops.DEFAULT_WORKSHOP_ID,
                    "vehicle_id": customer_ids[n % 50][1],
                    "timeslot_id": slot_ids[n % 4],
                    "service_date": today - timedelta(days=n % 365),
                    "pickup_type": "drop_off",
                    "notes": "",
                    "status": ("created", "mechanic_assigned", "completed", "paid")[n % 4],
                    "currency": "INR",
                    "cancellation_fee_minor": 0,
                    "cancellation_fee_gst_minor": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(start + batch, args.rows))
            ]
            ids = (
                await session.scalars(insert(ServiceBooking).returning(ServiceBooking.id), rows)
            ).all()
            await session.execute(
                insert(BookingItem),
                [
                    {
                        "booking_id": booking_id,
                        "service_id": service_ids[booking_id % 5],
                        "service_name": "Bench",
                        "quantity": 1,
                        "unit_price_minor": 99_900,
                        "analysis_note": "",
                        "decision": "pending",
                    }
                    for booking_id in ids
                ],
            )
            await session.commit()
        total = await session.scalar(select(func.count()).select_from(ServiceBooking))
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:  # fresh planner statistics after the load
            await connection.execute(text("ANALYZE service_booking, service_booking_item"))
            await connection.commit()
    print(f"database: {engine.dialect.name}; bookings in table: {total:,}")

    async def create_one(n: int) -> float:
        customer, vehicle = customer_ids[n % 50]
        started = time.perf_counter()
        async with sessions() as session:
            await bookings.create_booking(
                session,
                principal(customer, Role.USER),
                customer_id=None,
                vehicle_id=vehicle,
                pickup_type=PickupType.DROP_OFF,
                timeslot_id=slot_ids[n % 4],
                service_date=None,
                address_id=None,
                services=[bookings.ServiceRequest(service_ids[n % 5], 1)],
                notes="",
            )
            await session.commit()
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    serial = [await create_one(n) for n in range(args.creates)]
    serial_wall = time.perf_counter() - started
    report("create booking, serial", serial, serial_wall)

    queue = list(range(args.creates))
    concurrent: list[float] = []

    async def worker() -> None:
        while queue:
            concurrent.append(await create_one(queue.pop()))

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(args.concurrency)])
    concurrent_wall = time.perf_counter() - started
    report(f"create booking, {args.concurrency} concurrent", concurrent, concurrent_wall)
    print(
        f"{'':<42} concurrent/serial throughput ratio = "
        f"{(len(concurrent) / concurrent_wall) / (len(serial) / serial_wall):.2f}"
    )

    admin_principal = principal(admin.id, Role.ADMIN)

    async def timed(coro_factory: object) -> float:
        started = time.perf_counter()
        async with sessions() as session:
            await coro_factory(session)  # type: ignore[operator]
        return (time.perf_counter() - started) * 1000

    page = PageParams(page=1, limit=20)
    dashboard = [
        await timed(
            lambda s: bookings.dashboard(
                s,
                admin_principal,
                page,
                status=None,
                customer_id=None,
                mechanic_id=None,
                date_from=None,
                date_to=None,
            )
        )
        for _ in range(args.reads)
    ]
    report("admin dashboard (counts + first page)", dashboard)
    filtered = [
        await timed(
            lambda s, n=n: bookings.dashboard(
                s,
                admin_principal,
                page,
                status=None,
                customer_id=customer_ids[n % 50][0],
                mechanic_id=None,
                date_from=utcnow().date() - timedelta(days=30),
                date_to=None,
            )
        )
        for n in range(args.reads)
    ]
    report("admin dashboard, customer + 30 days", filtered)
    own = [
        await timed(
            lambda s, n=n: bookings.list_customer_bookings(
                s,
                principal(customer_ids[n % 50][0], Role.USER),
                page,
                customer_id=None,
                status=None,
            )
        )
        for n in range(args.reads)
    ]
    report("customer's own bookings (first page)", own)
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
