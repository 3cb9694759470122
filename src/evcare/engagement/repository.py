"""Every engagement query: CMS content entries."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.engagement.models import ContentEntry
from evcare.engagement.notification_models import Channel, Notification


async def get_content(session: AsyncSession, key: str) -> ContentEntry | None:
    query = select(ContentEntry).where(ContentEntry.key == key)
    return (await session.scalars(query)).one_or_none()


async def list_notifications(
    session: AsyncSession, *, user_id: int | None, category: str | None, limit: int
) -> list[Notification]:
    """Newest first; ``user_id`` None means everyone's (the service decides who may)."""
    query = select(Notification)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    if category:
        query = query.where(Notification.category == category)
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return list((await session.scalars(query.limit(limit))).all())


async def in_app_notification_for_event(
    session: AsyncSession, event_id: str
) -> Notification | None:
    """The in-app notification a committed outbox event produced, if any."""
    return await session.scalar(
        select(Notification)
        .where(Notification.source_event_id == event_id)
        .where(Notification.channel == Channel.IN_APP)
        .limit(1)
    )
