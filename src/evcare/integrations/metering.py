"""Usage metering: every call made with an integration's tokens, per endpoint per UTC day,
counted without a database write in the request.

The request only adds one to a counter in this process's memory (:meth:`UsageMeter.count`,
no await, no I/O). A background task adds the counters to ``integration_usage`` in one
transaction every ``EVCARE_HUB_USAGE_FLUSH_SECONDS`` (an upsert that adds, so any number
of processes flush into the same rows), and once more when the process stops cleanly.
A batch that fails to write is kept and tried again at the next flush. What a crash loses
is at most the last interval's counts of that process.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from evcare.core.background import start_task, stop_task
from evcare.core.clock import utcnow
from evcare.core.db import is_postgresql
from evcare.core.runtime import Runtime
from evcare.integrations.models import Integration
from evcare.integrations.usage_models import UsageCount

log = logging.getLogger("evcare.integrations.metering")

Key = tuple[str, date, str]  # integration id, UTC day, "METHOD /path/template"

_RUNTIME_KEY = "integrations.usage_meter"
_TASK_KEY = "integrations.usage_flush"


class UsageMeter:
    """One process's counters, and the batch writer that empties them."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._counts: Counter[Key] = Counter()
        # The batch being written: still "pending" to a reader until it is committed.
        self._writing: Counter[Key] = Counter()
        self._lock = asyncio.Lock()

    def count(self, integration_id: str, endpoint: str) -> None:
        """One call, now; in memory only."""
        self._counts[(integration_id, utcnow().date(), endpoint[:300])] += 1

    def pending(self, integration_id: str) -> Counter[Key]:
        """This process's counts of ``integration_id`` not yet committed."""
        found: Counter[Key] = Counter()
        for counts in (self._counts, self._writing):
            found.update({key: n for key, n in counts.items() if key[0] == integration_id})
        return found

    async def flush(self) -> int:
        """Add the counters to the database in one transaction; how many calls it wrote."""
        async with self._lock:
            batch, self._counts = self._counts, Counter()
            if not batch:
                return 0
            self._writing = batch
            try:
                async with self._sessionmaker() as session:
                    written = await _add(session, batch)
                    await session.commit()
            except Exception:
                self._counts.update(batch)  # kept for the next flush
                raise
            finally:
                self._writing = Counter()
            return written

    async def run(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.flush()
            except Exception as error:
                log.warning("usage flush failed (%s); will retry", type(error).__name__)


async def _add(session: AsyncSession, batch: Counter[Key]) -> int:
    # Counts of an integration deleted meanwhile go with it (its usage rows cascade too).
    live = set(
        await session.scalars(
            select(Integration.id).where(Integration.id.in_({key[0] for key in batch}))
        )
    )
    rows: list[dict[str, object]] = [
        {"integration_id": i, "day": day, "endpoint": endpoint, "calls": calls}
        for (i, day, endpoint), calls in batch.items()
        if i in live
    ]
    if not rows:
        return 0
    insert = postgresql_insert if is_postgresql(session) else sqlite_insert
    statement = insert(UsageCount).values(rows)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["integration_id", "day", "endpoint"],
            set_={"calls": UsageCount.calls + statement.excluded.calls},
        )
    )
    return sum(calls for (i, _, _), calls in batch.items() if i in live)


def meter_of(runtime: Runtime) -> UsageMeter:
    meter = runtime.extras.get(_RUNTIME_KEY)
    if meter is None:
        meter = runtime.extras[_RUNTIME_KEY] = UsageMeter(runtime.sessionmaker)
    assert isinstance(meter, UsageMeter)
    return meter


async def start(runtime: Runtime) -> None:
    meter = meter_of(runtime)
    every = runtime.settings.hub_usage_flush_seconds
    start_task(runtime, _TASK_KEY, lambda: meter.run(every), name="usage-flush")


async def stop(runtime: Runtime) -> None:
    """Stop the periodic flush, then write what is left: nothing counted is lost."""
    await stop_task(runtime, _TASK_KEY)
    try:
        await meter_of(runtime).flush()
    except Exception as error:
        log.error("usage flush at shutdown failed (%s)", type(error).__name__)
