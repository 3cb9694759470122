"""Events through a transactional outbox.

``publish()`` writes an :class:`OutboxEvent` row in the caller's transaction, so an
event exists exactly when the change it announces was committed. The
:class:`OutboxDispatcher` runs in-process: it is woken after every commit (and polls
as a safety net), hands each pending event to the handlers subscribed to its topic,
and marks it dispatched. A failing handler leaves the event pending with a back-off;
nothing is lost. On PostgreSQL rows are claimed with ``FOR UPDATE SKIP LOCKED`` so
several processes can dispatch side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from evcare.core.clock import utcnow
from evcare.core.db import Base, is_postgresql

log = logging.getLogger("evcare.events")

Handler = Callable[[AsyncSession, "OutboxEvent"], Awaitable[None]]

MAX_ATTEMPTS = 10


class OutboxEvent(Base):
    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "dispatched_at", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    topic: Mapped[str] = mapped_column(String(100), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


_handlers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(topic: str, handler: Handler) -> None:
    """Run ``handler`` for every committed event of ``topic`` (``*`` for all)."""
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def handlers_for(topic: str) -> list[Handler]:
    return [*_handlers.get(topic, []), *_handlers.get("*", [])]


async def publish(session: AsyncSession, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record an event in the current transaction; it is dispatched after commit."""
    event = OutboxEvent(topic=topic, payload=payload)
    session.add(event)
    await session.flush()
    return event


class OutboxDispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float = 5.0,
        batch_size: int = 100,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

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

    async def drain(self) -> int:
        """Dispatch everything pending now; returns how many events were handled."""
        total = 0
        while True:
            handled = await self.dispatch_batch()
            total += handled
            if handled < self._batch_size:
                return total

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll_seconds)
            self._wakeup.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("outbox dispatch failed; will retry")

    async def dispatch_batch(self) -> int:
        async with self._sessionmaker() as session:
            query = (
                select(OutboxEvent)
                .where(OutboxEvent.dispatched_at.is_(None))
                .where(OutboxEvent.available_at <= utcnow())
                .where(OutboxEvent.attempts < MAX_ATTEMPTS)
                .order_by(OutboxEvent.created_at)
                .limit(self._batch_size)
            )
            if is_postgresql(session):
                query = query.with_for_update(skip_locked=True)
            events = list((await session.scalars(query)).all())
            for event in events:
                await self._dispatch_one(session, event)
            await session.commit()
            return len(events)

    async def _dispatch_one(self, session: AsyncSession, event: OutboxEvent) -> None:
        try:
            async with session.begin_nested():
                for handler in handlers_for(event.topic):
                    await handler(session, event)
        except Exception as error:
            event.attempts += 1
            event.last_error = f"{type(error).__name__}: {error}"[:2000]
            event.available_at = utcnow() + timedelta(seconds=min(2**event.attempts, 3600))
            log.warning("event %s (%s) failed: %s", event.id, event.topic, type(error).__name__)
            return
        event.attempts += 1
        event.dispatched_at = utcnow()
