"""Wallet debits per second through the ledger service, against the same SQL bare.

Two cases, each with ``--concurrency`` tasks in one process sharing one pool:

- **hot**: every debit on one wallet (they queue on its row lock: the worst case);
- **spread**: each debit on a random one of ``--wallets`` wallets.

Each case runs two ways, side by side in this one run, on the same driver:

- **service**: ``evcare.billing.wallet.debit`` in its own session and commit, exactly as
  a request runs it (the conditional UPDATE ... RETURNING of the balance, the entry
  INSERT ... RETURNING, the ``minWalletBalance`` read for the low-balance rule);
- **raw**: the same UPDATE + INSERT as hand-written SQL on the bare driver (asyncpg, or
  aiosqlite with the app's pragmas), in a transaction per debit.

    .venv/bin/python -P bench/money.py                               # SQLite file
    .venv/bin/python -P bench/money.py --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/evcare_bench

Prints debits/s and the ratio service/raw (goal >= 0.5).

Then the **monthly billing report** (``--report-sessions``, default 1,000,000 paid session
invoices with two items each, all in one month; 0 skips it): ``evcare.billing.reports.monthly``
as the endpoint runs it (its own session; totals, revenue by component, by station,
refunds) against the same four aggregates as hand-written SQL on the same connection pool,
alternating, and the single bare totals aggregate for scale. Prints seconds per report
and the ratio service/bare (goal <= 2). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import asyncpg
from sqlalchemy import bindparam, delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.billing import reports, wallet
from evcare.billing.invoice_models import Invoice, InvoiceCounter, InvoiceItem
from evcare.billing.wallet_models import EntryKind, Wallet, WalletEntry
from evcare.core.clock import utcnow
from evcare.core.db import UTCDateTime, create_engine, create_sessionmaker
from evcare.core.migrate import upgrade
from evcare.core.money import Money
from evcare.identity.models import Role, User

EMAIL_DOMAIN = "money-bench.evcare.dev"
START_BALANCE = 10**12  # never runs dry: every debit succeeds in both ways
AMOUNT = 100

Debit = Callable[[int], Awaitable[None]]


async def load(sessionmaker: async_sessionmaker[AsyncSession], wallets: int) -> list[int]:
    """``wallets`` users with a funded wallet each (reloaded each run); their user ids."""
    async with sessionmaker() as session:
        ids = select(User.id).where(User.email.like(f"%@{EMAIL_DOMAIN}"))
        old = select(Wallet.id).where(Wallet.user_id.in_(ids))
        await session.execute(delete(WalletEntry).where(WalletEntry.wallet_id.in_(old)))
        await session.execute(delete(Wallet).where(Wallet.user_id.in_(ids)))
        await session.execute(delete(User).where(User.email.like(f"%@{EMAIL_DOMAIN}")))
        now = utcnow()
        await session.execute(
            insert(User),
            [
                {
                    "email": f"driver{n}@{EMAIL_DOMAIN}",
                    "first_name": "Bench",
                    "last_name": f"Driver {n}",
                    "role": Role.USER,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(wallets)
            ],
        )
        user_ids = list((await session.scalars(ids.order_by(User.id))).all())
        await session.execute(
            insert(Wallet),
            [
                {
                    "user_id": user_id,
                    "balance_minor": START_BALANCE,
                    "currency": "INR",
                    "created_at": now,
                    "updated_at": now,
                }
                for user_id in user_ids
            ],
        )
        await session.commit()
    return user_ids


def service_debit(sessionmaker: async_sessionmaker[AsyncSession]) -> Debit:
    async def debit(user_id: int) -> None:
        async with sessionmaker() as session:
            await wallet.debit(
                session,
                user_id=user_id,
                amount=Money(AMOUNT, "INR"),
                kind=EntryKind.PAYMENT,
                description="Bench debit",
            )
            await session.commit()

    return debit


UPDATE_PG = (
    "UPDATE wallet SET balance_minor = balance_minor - $1, updated_at = $2 "
    "WHERE user_id = $3 AND currency = 'INR' AND balance_minor >= $1 "
    "RETURNING id, balance_minor"
)
INSERT_PG = (
    "INSERT INTO wallet_entry (wallet_id, type, kind, amount_minor, currency, "
    "balance_after_minor, status, description, created_at) "
    "VALUES ($1, 'debit', 'payment', $2, 'INR', $3, 'completed', 'Bench debit', $4) "
    "RETURNING id"
)


@contextlib.asynccontextmanager
async def raw_postgresql(url: str, size: int) -> AsyncIterator[Debit]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)

    async def debit(user_id: int) -> None:
        async with pool.acquire() as connection, connection.transaction():
            now = datetime.now(UTC)
            row = await connection.fetchrow(UPDATE_PG, AMOUNT, now, user_id)
            await connection.fetchval(INSERT_PG, row["id"], AMOUNT, row["balance_minor"], now)

    try:
        yield debit
    finally:
        await pool.close()


@contextlib.asynccontextmanager
async def raw_sqlite(path: str, size: int) -> AsyncIterator[Debit]:
    idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
    for _ in range(size):
        connection = await aiosqlite.connect(path, timeout=30)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            await connection.execute(f"PRAGMA {pragma}")
        await connection.execute("PRAGMA busy_timeout=30000")
        idle.put_nowait(connection)

    async def debit(user_id: int) -> None:
        connection = await idle.get()
        try:
            now = datetime.now(UTC).isoformat()
            cursor = await connection.execute(
                UPDATE_PG.replace("$1", "?1").replace("$2", "?2").replace("$3", "?3"),
                (AMOUNT, now, user_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
            assert row is not None
            cursor = await connection.execute(
                INSERT_PG.replace("$1", "?1")
                .replace("$2", "?2")
                .replace("$3", "?3")
                .replace("$4", "?4"),
                (row[0], AMOUNT, row[1], now),
            )
            await cursor.fetchone()
            await cursor.close()
            await connection.commit()
        finally:
            idle.put_nowait(connection)

    try:
        yield debit
    finally:
        while not idle.empty():
            await idle.get_nowait().close()


async def elapsed(debit: Debit, targets: list[int], concurrency: int) -> float:
    """Seconds for ``len(targets)`` debits by ``concurrency`` tasks."""
    queue = list(reversed(targets))

    async def worker() -> None:
        while queue:
            await debit(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*[worker() for _ in range(concurrency)])
    return time.perf_counter() - started


async def side_by_side(
    ways: dict[str, Debit], targets: list[int], concurrency: int, chunk: int
) -> dict[str, float]:
    """Debits/s of each way, measured in alternating chunks (the order flipping every
    chunk), so that a change in the machine's load falls on both alike."""
    spent = dict.fromkeys(ways, 0.0)
    names = list(ways)
    for start in range(0, len(targets), chunk):
        part = targets[start : start + chunk]
        for name in names if (start // chunk) % 2 == 0 else reversed(names):
            spent[name] += await elapsed(ways[name], part, concurrency)
    return {name: len(targets) / seconds for name, seconds in spent.items()}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--wallets", type=int, default=1_000)
    parser.add_argument("--debits", type=int, default=2_000, help="per case and way")
    parser.add_argument(
        "--concurrency", default="1,16", help="concurrent tasks; a comma list runs each"
    )
    parser.add_argument("--chunk", type=int, default=200, help="debits per alternation")
    parser.add_argument(
        "--report-sessions", type=int, default=1_000_000, help="0 skips the report bench"
    )
    parser.add_argument("--report-rounds", type=int, default=6)
    parser.add_argument("--skip-debits", action="store_true", help="only the report bench")
    args = parser.parse_args()
    url = args.database_url or (
        f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp(prefix='evcare-money-')) / 'bench.db'}"
    )
    await upgrade(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    user_ids = await load(sessionmaker, args.wallets)
    postgresql = url.startswith("postgresql")
    levels = [int(level) for level in str(args.concurrency).split(",")]
    pool_size = min(max(levels), 30)  # the app's PostgreSQL pool keeps up to 30
    raw: contextlib.AbstractAsyncContextManager[Debit] = (
        raw_postgresql(url, pool_size)
        if postgresql
        else raw_sqlite(str(make_url(url).database), pool_size)
    )
    if args.skip_debits:
        await report_bench(sessionmaker, user_ids[0], args.report_sessions, args.report_rounds)
        await engine.dispose()
        return
    rng = random.Random(11)
    cases = {
        "hot (1 wallet)": [user_ids[0]] * args.debits,
        f"spread ({len(user_ids)} wallets)": [rng.choice(user_ids) for _ in range(args.debits)],
    }
    print(f"{'postgresql' if postgresql else 'sqlite'}: {args.debits} debits per case and way")
    results: dict[str, dict[str, float]] = {}
    async with raw as raw_debit:
        ways: dict[str, Debit] = {"raw": raw_debit, "service": service_debit(sessionmaker)}
        for debit in ways.values():  # warm both pools and caches
            await elapsed(debit, user_ids[:200], max(levels))
        for level in levels:
            for case, targets in cases.items():
                label = f"{case}, {level} task{'s' if level > 1 else ''}"
                results[label] = await side_by_side(ways, targets, level, args.chunk)
    async with sessionmaker() as session:
        negative = await session.scalar(select(Wallet.id).where(Wallet.balance_minor < 0).limit(1))
        assert negative is None
    for case, figures in results.items():
        ratio = figures["service"] / figures["raw"]
        print(
            f"  {case:<32} service {figures['service']:8.0f}/s   raw {figures['raw']:8.0f}/s"
            f"   ratio {ratio:.2f}x"
        )
    if args.report_sessions:
        await report_bench(sessionmaker, user_ids[0], args.report_sessions, args.report_rounds)
    await engine.dispose()


REPORT_MONTH = (2026, 3)
REPORT_SQL = [
    # What reports.monthly asks, written by hand: the same four aggregates.
    "SELECT count(*), coalesce(sum(CASE WHEN kind = 'session' THEN 1 ELSE 0 END), 0), "
    "coalesce(sum(CASE WHEN kind = 'session' THEN energy_wh ELSE 0 END), 0), "
    "coalesce(sum(subtotal_minor), 0), coalesce(sum(tax_minor), 0), "
    "coalesce(sum(total_minor), 0) FROM invoice "
    "WHERE status = 'paid' AND paid_at >= :start AND paid_at < :end",
    "SELECT i.component, coalesce(sum(i.amount_minor), 0) FROM invoice_item i "
    "JOIN invoice v ON v.id = i.invoice_id "
    "WHERE v.status = 'paid' AND v.paid_at >= :start AND v.paid_at < :end GROUP BY i.component",
    "SELECT station_id, max(station_name), count(*), coalesce(sum(energy_wh), 0), "
    "coalesce(sum(subtotal_minor), 0), coalesce(sum(tax_minor), 0), "
    "coalesce(sum(total_minor), 0) FROM invoice WHERE status = 'paid' AND paid_at >= :start "
    "AND paid_at < :end AND kind = 'session' GROUP BY station_id "
    "ORDER BY coalesce(sum(total_minor), 0) DESC, station_id",
    "SELECT count(*), coalesce(sum(amount_minor), 0) FROM refund "
    "WHERE status = 'approved' AND processed_at >= :start AND processed_at < :end",
]


# The invoices and their items are generated by the database itself (INSERT ... SELECT
# over a row generator): executemany of two million Python dicts took 8 minutes on SQLite
# on a shared VM. Invoice n: energy 1,000 + n % 40,000 Wh at Rs 20/kWh GST included, paid
# on day 1 + n % 28 of the month at n % 24 h n % 60 min; items: energy (90 % of the net)
# and peak (the rest).
_INVOICE_COLUMNS = (
    "INSERT INTO invoice (id, number, user_id, kind, status, currency, subtotal_minor,"
    " tax_minor, tax_bp, total_minor, due_date, paid_at, station_name, energy_wh,"
    " created_at, updated_at)"
)
_INVOICE_VALUES = (
    " SELECT n + 1, 'INV-' || :year || '-' || (n + 1), :user, 'session', 'paid', 'INR',"
    " (1000 + n % 40000) * 2 - (1000 + n % 40000) * 2 * 18 / 118,"
    " (1000 + n % 40000) * 2 * 18 / 118, 1800, (1000 + n % 40000) * 2, :due, {paid},"
    " 'Station ' || (n % 50), 1000 + n % 40000, {start}, {start}"
)
_PAID_SECONDS = ":start + (n % 28) * 86400 + (n % 24) * 3600 + (n % 60) * 60"
_SQLITE_TIME = "strftime('%Y-%m-%d %H:%M:%S', {seconds}, 'unixepoch') || '.000000'"
INVOICES_SQL = {
    "sqlite": "WITH RECURSIVE g(n) AS"
    " (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < :count - 1) "
    + _INVOICE_COLUMNS
    + _INVOICE_VALUES.format(
        paid=_SQLITE_TIME.format(seconds=_PAID_SECONDS),
        start=_SQLITE_TIME.format(seconds=":start"),
    )
    + " FROM g",
    "postgresql": _INVOICE_COLUMNS
    + _INVOICE_VALUES.format(paid=f"to_timestamp({_PAID_SECONDS})", start="to_timestamp(:start)")
    + " FROM generate_series(0, :count - 1) AS g(n)",
}
ITEMS_SQL = (
    "INSERT INTO invoice_item (invoice_id, position, component, description, quantity_milli,"
    " rate_minor, amount_minor)"
    " SELECT id, 0, 'energy', 'energy', 1000, subtotal_minor - subtotal_minor / 10,"
    " subtotal_minor - subtotal_minor / 10 FROM invoice"
    " UNION ALL SELECT id, 1, 'peak', 'peak', 1000, subtotal_minor / 10, subtotal_minor / 10"
    " FROM invoice"
)


async def load_invoices(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, count: int
) -> None:
    """``count`` paid session invoices in REPORT_MONTH (two items each), replacing any."""
    year, month = REPORT_MONTH
    start = datetime(year, month, 1, tzinfo=UTC)
    async with sessionmaker() as session:
        await session.execute(delete(InvoiceItem))
        await session.execute(delete(Invoice))
        await session.execute(delete(InvoiceCounter))
        dialect = session.get_bind().dialect.name
        await session.execute(
            text(INVOICES_SQL[dialect]),
            {
                "count": count,
                "year": str(year),
                "user": user_id,
                "due": start.date() if dialect == "postgresql" else start.date().isoformat(),
                "start": int(start.timestamp()),
            },
        )
        await session.execute(text(ITEMS_SQL))
        await session.commit()
    async with sessionmaker() as session:
        await session.execute(text("ANALYZE"))
        await session.commit()


async def report_side_by_side(
    sessionmaker: async_sessionmaker[AsyncSession], rounds: int
) -> dict[str, float]:
    """Seconds per report: the service, the same SQL bare, and the totals alone."""
    year, month = REPORT_MONTH
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year, month + 1, 1, tzinfo=UTC)
    typed = [
        text(sql).bindparams(
            bindparam("start", type_=UTCDateTime()), bindparam("end", type_=UTCDateTime())
        )
        for sql in REPORT_SQL
    ]
    params = {"start": start, "end": end}

    async def service() -> None:
        async with sessionmaker() as session:
            report = await reports.monthly(session, year=year, month=month)
            assert report.totals.invoices > 0

    async def bare() -> None:
        async with sessionmaker() as session:
            for statement in typed:
                (await session.execute(statement, params)).all()

    async def totals_only() -> None:
        async with sessionmaker() as session:
            (await session.execute(typed[0], params)).all()

    ways = {"service": service, "bare": bare, "totals": totals_only}
    spent = dict.fromkeys(ways, 0.0)
    for way in ways.values():
        await way()  # warm caches and plans
    for n in range(rounds):
        for name in list(ways) if n % 2 == 0 else reversed(list(ways)):
            began = time.perf_counter()
            await ways[name]()
            spent[name] += time.perf_counter() - began
    return {name: seconds / rounds for name, seconds in spent.items()}


async def report_bench(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: int, count: int, rounds: int
) -> None:
    began = time.perf_counter()
    await load_invoices(sessionmaker, user_id, count)
    loaded = time.perf_counter() - began
    print(f"monthly report over {count:,} paid sessions (loaded in {loaded:.0f} s)")
    figures = await report_side_by_side(sessionmaker, rounds)
    print(
        f"  service {figures['service']:.3f} s   bare SQL {figures['bare']:.3f} s"
        f"   ratio {figures['service'] / figures['bare']:.2f}x"
        f"   (the totals aggregate alone {figures['totals']:.3f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
