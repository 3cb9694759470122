"""Admin system alerts and bulk notifications, fanned out to their recipients as a job.

The request only records the :class:`Broadcast` (who, what, how many) and publishes its
first batch event; each ``engagement.broadcast_batch`` event writes the in-app records of
the next :data:`BATCH_SIZE` recipients (by user id, after ``cursor``) and moves the cursor
in the same transaction, then publishes the next batch. So 10,000 recipients are 20 short
transactions, not one huge one; a batch that fails is retried by the outbox from the last
committed cursor, and ``source_event_id = broadcast:<id>:<user>`` makes a second write of
the same record impossible. Users who switched in-app notifications off are skipped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent, publish, subscribe
from evcare.engagement import repository
from evcare.engagement.notification_models import (
    Broadcast,
    BroadcastStatus,
    Channel,
    Delivery,
    Notification,
)
from evcare.identity.principal import Principal

BATCH_TOPIC = "engagement.broadcast_batch"
# {broadcastId, notificationIds}: a batch was written (the live ``notification`` events).
WRITTEN_TOPIC = "engagement.broadcast_written"
BATCH_SIZE = 500
MAX_RECIPIENTS = 10_000


async def create_broadcast(
    session: AsyncSession,
    principal: Principal,
    *,
    title: str,
    message: str,
    category: str,
    user_ids: list[int] | None,
) -> Broadcast:
    """Queue a notification to ``user_ids`` (None: every active user). Ids of no active
    user are left out; ``recipient_count`` is how many remain."""
    if user_ids is None:
        targets = None
        count = await repository.count_broadcast_audience(session)
    else:
        targets = await repository.active_user_ids(session, sorted(set(user_ids)))
        count = len(targets)
    broadcast = Broadcast(
        category=category,
        title=title,
        message=message,
        target_user_ids=targets,
        recipient_count=count,
        created_by=principal.user_id,
    )
    session.add(broadcast)
    await session.flush()
    await publish(session, BATCH_TOPIC, {"broadcastId": broadcast.id})
    return broadcast


async def write_batch(session: AsyncSession, event: OutboxEvent) -> None:
    """Write the next batch of a broadcast's records and queue the one after."""
    broadcast_id = int(event.payload["broadcastId"])
    # Write first: claims the broadcast row (PostgreSQL: a racing batch waits here and
    # then reads the cursor this one committed; SQLite: the write lock before any read).
    cursor = await session.scalar(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id)
        .where(Broadcast.status != BroadcastStatus.DONE)
        .values(status=BroadcastStatus.SENDING)
        .returning(Broadcast.cursor)
        .execution_options(synchronize_session=False)
    )
    if cursor is None:  # finished (a redelivered last batch), or deleted
        return
    broadcast = await session.get(Broadcast, broadcast_id, populate_existing=True)
    assert broadcast is not None
    recipients, next_cursor, more = await _next_recipients(session, broadcast, cursor)
    written = await _write(session, broadcast, recipients)
    broadcast.cursor = next_cursor
    broadcast.written_count += len(written)
    if more:
        await publish(session, BATCH_TOPIC, {"broadcastId": broadcast_id})
    else:
        broadcast.status = BroadcastStatus.DONE
        broadcast.finished_at = utcnow()
    await session.flush()
    if written:
        await publish(
            session, WRITTEN_TOPIC, {"broadcastId": broadcast_id, "notificationIds": written}
        )


async def _next_recipients(
    session: AsyncSession, broadcast: Broadcast, cursor: int
) -> tuple[list[int], int, bool]:
    """(who gets this batch, the cursor after it, whether another batch follows)."""
    if broadcast.target_user_ids is None:
        found = await repository.broadcast_audience(session, after=cursor, limit=BATCH_SIZE)
        more = len(found) == BATCH_SIZE
        return found, (found[-1] if found else cursor), more
    chunk = [uid for uid in broadcast.target_user_ids if uid > cursor][:BATCH_SIZE]
    if not chunk:
        return [], cursor, False
    found = await repository.active_user_ids(session, chunk, wanting_in_app=True)
    return found, chunk[-1], chunk[-1] != broadcast.target_user_ids[-1]


async def _write(session: AsyncSession, broadcast: Broadcast, user_ids: list[int]) -> list[int]:
    if not user_ids:
        return []
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "user_id": user_id,
            "category": broadcast.category,
            "title": broadcast.title,
            "message": broadcast.message,
            "data": {"broadcastId": str(broadcast.id)},
            "channel": Channel.IN_APP,
            "delivery_status": Delivery.DELIVERED,
            "is_read": False,
            "source_event_id": f"broadcast:{broadcast.id}:{user_id}",
            "created_at": now,
        }
        for user_id in user_ids
    ]
    result = await session.scalars(insert(Notification).returning(Notification.id), rows)
    return list(result.all())


def register() -> None:
    subscribe(BATCH_TOPIC, write_batch)
