"""Events through a transactional outbox.

``publish()`` writes an :class:`OutboxEvent` row in the caller's transaction, so an
event exists exactly when the change it announces was committed. The
:class:`OutboxDispatcher` runs in-process: it is woken after every commit that published
(and polls as a safety net), hands each pending event to the handlers subscribed to its topic,
and marks it dispatched. A failing handler leaves the event pending with a back-off;
nothing is lost. Delivery is at least once, so handlers are idempotent.

Several dispatchers (processes, or app instances in one process) may run against one
database: each claims a batch with one conditional UPDATE that stamps its own claim
token and leases the rows (``available_at`` moves past the lease), so an event is
handled by one dispatcher at a time on SQLite and PostgreSQL alike. A dispatcher that
dies mid-batch loses only its lease; the events come back when it runs out. The lease
is seconds (``LEASE``), renewed every third of it while the batch's handlers run, so a
slow handler keeps its events and a dead dispatcher's come back within seconds.

Per-resource order: an event about a resource (``resource_key``: ``session:<sessionId>``
or ``charger:<chargerId>``, from its payload) is claimed only when no older event about
the same resource is still in flight (leased by a dispatcher or waiting for a retry),
so it never overtakes one: a dead dispatcher's ``active`` update reaches clients before
the newer ``stopped``, and a batch handles a resource's events in publish order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, Text, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, aliased, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import PUBLISHED_EVENTS, Base, is_postgresql

log = logging.getLogger("evcare.events")

Handler = Callable[[AsyncSession, "OutboxEvent"], Awaitable[None]]

MAX_ATTEMPTS = 10
# How long a claimed batch is reserved for its dispatcher before others may retry it;
# renewed every third of it while its handlers run.
LEASE = timedelta(seconds=15)


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (
        Index("ix_outbox_event_pending", "dispatched_at", "available_at"),
        Index("ix_outbox_event_resource", "resource_key", "dispatched_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    claim_token: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # What the event is about, for per-resource order (None: no order to keep).
    resource_key: Mapped[str | None] = mapped_column(String(80), default=None)


def resource_key(payload: dict[str, Any]) -> str | None:
    """``session:<sessionId>`` or ``charger:<chargerId>`` from an event's payload."""
    for field, kind in (("sessionId", "session"), ("chargerId", "charger")):
        value = payload.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return f"{kind}:{value}"[:80]
    return None


_handlers: dict[str, list[Handler]] = defaultdict(list)
# Handlers that never use the database session they are given (they emit, send, log).
_outside_database: set[Handler] = set()


def subscribe(topic: str, handler: Handler, *, uses_database: bool = True) -> None:
    """Run ``handler`` for every committed event of ``topic`` (``*`` for all).

    ``uses_database=False`` promises the handler never touches the session it is given:
    an event whose handlers all promise it is dispatched without a SAVEPOINT of its own
    (there is nothing of theirs to roll back when one fails)."""
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)
    if not uses_database:
        _outside_database.add(handler)


def handlers_for(topic: str) -> list[Handler]:
    return [*_handlers.get(topic, []), *_handlers.get("*", [])]


async def publish(session: AsyncSession, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the current transaction; it is dispatched after commit."""
    return (await publish_many(session, [(topic, payload)]))[0]


async def publish_many(
    session: AsyncSession, events: list[tuple[str, dict[str, Any]]]
) -> list[OutboxEvent]:
    """Record several events (topic, payload) in the current transaction with one flush."""
    rows = [
        OutboxEvent(topic=topic, payload=payload, resource_key=resource_key(payload))
        for topic, payload in events
    ]
    session.add_all(rows)
    session.info[PUBLISHED_EVENTS] = True
    await session.flush()
    return rows


async def _run_handlers(handlers: list[Handler], session: AsyncSession, event: OutboxEvent) -> None:
    for handler in handlers:
        await handler(session, event)


async def _take_write_lock(session: AsyncSession, event: OutboxEvent) -> None:
    """Make the batch's transaction a writing one before any handler reads.

    On SQLite a transaction that reads first and writes later fails its lock upgrade
    (SQLITE_BUSY_SNAPSHOT) whenever another connection committed in between; written to
    first (a no-op UPDATE of the event's own row, settled at the end anyway), it holds the
    write lock, so handlers read and write with no such race. Handlers therefore write
    in this session, never in one of their own: a second connection would wait for this
    lock until the batch commits (on SQLite, a 30 s stall)."""
    if is_postgresql(session):
        return
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id == event.id)
        .values(attempts=OutboxEvent.attempts)
        .execution_options(synchronize_session=False)
    )


class OutboxDispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float = 5.0,
        batch_size: int = 100,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._lease = lease
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = asyncio.Lock()
        self._after_batch: list[Callable[[], None]] = []

    def after_batch(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after every batch this dispatcher commits (to wake work that
        the batch's handlers queued, such as webhook deliveries)."""
        if callback not in self._after_batch:
            self._after_batch.append(callback)

    def wake(self) -> None:
        self._wakeup.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="evcare-outbox")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """Hold dispatching: the batch in flight finishes, no new one starts until exit.

        For work that must not interleave with handlers (emptying or restoring tables)."""
        async with self._busy:
            yield

    async def drain(self) -> int:
        """Dispatch everything pending now; returns how many events were handled."""
        total = 0
        # Stop only when a round claims nothing: a short batch may just mean another
        # dispatcher took part of it.
        while handled := await self.dispatch_batch():
            total += handled
        return total

    async def _run(self) -> None:
        while True:
            await self._sleep_until_woken()
            self._wakeup.clear()
            try:
                await self.drain()
            except Exception as error:
                log.warning("outbox dispatch failed (%s); will retry", type(error).__name__)

    async def _sleep_until_woken(self) -> None:
        """Until :meth:`wake` or the poll interval, whichever comes first.

        ``asyncio.wait`` with a timeout, not ``asyncio.timeout`` or ``wait_for``: on
        Python 3.11 both implement the timeout as a cancellation of this task, and a
        ``stop()`` that cancels it in the same moment can be swallowed, leaving stop()
        waiting forever (seen as a 5 s lifespan shutdown timeout in the suite)."""
        waiter = asyncio.ensure_future(self._wakeup.wait())
        try:
            await asyncio.wait({waiter}, timeout=self._poll_seconds)
        finally:
            waiter.cancel()

    async def dispatch_batch(self) -> int:
        """Claim up to one batch, run its handlers, record the outcome of each event."""
        async with self._busy, self._sessionmaker() as session:
            events = await self._claim(session)
            if not events:
                return 0
            renewing = asyncio.create_task(self._renew(events[0].claim_token))
            try:
                failures = await self._handle(session, events)
            finally:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            await self._settle(session, [e.id for e in events if e.id not in failures], failures)
            await session.commit()
        for callback in self._after_batch:
            callback()
        return len(events)

    async def _handle(
        self, session: AsyncSession, events: list[OutboxEvent]
    ) -> dict[uuid.UUID, tuple[int, str]]:
        """Run each event's handlers in order; the failures (attempts, error) by id."""
        failures: dict[uuid.UUID, tuple[int, str]] = {}
        writing = False
        for event in events:
            handlers = handlers_for(event.topic)
            try:
                if all(handler in _outside_database for handler in handlers):
                    await _run_handlers(handlers, session, event)
                else:
                    if not writing:
                        await _take_write_lock(session, event)
                        writing = True
                    async with session.begin_nested():
                        await _run_handlers(handlers, session, event)
            except Exception as error:
                failures[event.id] = (event.attempts, f"{type(error).__name__}: {error}")
                log.warning("event %s (%s) failed: %s", event.id, event.topic, type(error).__name__)
        return failures

    async def _renew(self, claim_token: uuid.UUID | None) -> None:
        """Extend the batch's lease every third of it until cancelled (its own connection:
        the batch's session is busy with the handlers)."""
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._sessionmaker() as session:
                    await session.execute(
                        update(OutboxEvent)
                        .where(OutboxEvent.claim_token == claim_token)
                        .where(OutboxEvent.dispatched_at.is_(None))
                        .values(available_at=utcnow() + self._lease)
                        .execution_options(synchronize_session=False)
                    )
                    await session.commit()
            except Exception as error:
                log.warning("outbox lease not renewed (%s)", type(error).__name__)

    async def _claim(self, session: AsyncSession) -> list[OutboxEvent]:
        now = utcnow()
        older = aliased(OutboxEvent)
        # An older event about the same resource still in flight (leased elsewhere, or
        # waiting for its retry) holds this one back: no event overtakes an older one.
        in_flight_before = (
            select(older.id)
            .where(older.resource_key == OutboxEvent.resource_key)
            .where(older.dispatched_at.is_(None))
            .where(older.attempts < MAX_ATTEMPTS)
            .where(older.available_at > now)
            .where(older.created_at <= OutboxEvent.created_at)
            .where(older.id != OutboxEvent.id)
            .exists()
        )
        pending = (
            select(OutboxEvent.id)
            .where(OutboxEvent.dispatched_at.is_(None))
            .where(OutboxEvent.available_at <= now)
            .where(OutboxEvent.attempts < MAX_ATTEMPTS)
            .where(or_(OutboxEvent.resource_key.is_(None), ~in_flight_before))
            .order_by(OutboxEvent.created_at)
            .limit(self._batch_size)
        )
        # One statement: pick, lease and read the batch. The WHERE repeats the pending
        # test: of two dispatchers racing for a row, the second one's UPDATE no longer
        # matches it once the first has leased it (PostgreSQL re-checks a row it waited
        # for; SQLite has one writer at a time).
        claimed = await session.scalars(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(pending))
            .where(OutboxEvent.dispatched_at.is_(None))
            .where(OutboxEvent.available_at <= now)
            .values(
                claim_token=uuid.uuid4(),
                available_at=now + self._lease,
                attempts=OutboxEvent.attempts + 1,
            )
            .returning(OutboxEvent)
            .execution_options(synchronize_session=False)
        )
        events = sorted(claimed.all(), key=lambda event: (event.created_at, str(event.id)))
        await session.commit()
        return events

    async def _settle(
        self,
        session: AsyncSession,
        succeeded: list[uuid.UUID],
        failures: dict[uuid.UUID, tuple[int, str]],
    ) -> None:
        # Core UPDATEs: a row that disappeared meanwhile is simply not matched.
        if succeeded:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(succeeded))
                .values(dispatched_at=utcnow(), last_error=None)
                .execution_options(synchronize_session=False)
            )
        for event_id, (attempts, message) in failures.items():
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event_id)
                .values(
                    last_error=message[:2000],
                    available_at=utcnow() + timedelta(seconds=min(2**attempts, 3600)),
                )
                .execution_options(synchronize_session=False)
            )
