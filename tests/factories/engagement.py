"""What the notifier wrote, for tests of the events that notify."""

from __future__ import annotations

from sqlalchemy import select

from evcare.core.runtime import Runtime
from evcare.engagement.notification_models import Notification
from evcare.identity.models import User


async def in_app_notifications(runtime: Runtime, user: User, category: str) -> list[Notification]:
    """The user's in-app notifications of ``category``, once the outbox is drained."""
    await runtime.outbox.drain()
    async with runtime.sessionmaker() as session:
        rows = await session.scalars(
            select(Notification)
            .where(
                Notification.user_id == user.id,
                Notification.category == category,
                Notification.channel == "in_app",
            )
            .order_by(Notification.id)
        )
        return list(rows.all())
