"""Notices written for tests through the notifier's own path (preferences, channels)."""

from __future__ import annotations

import itertools
import uuid

from evcare.core.runtime import Runtime
from evcare.engagement import notifications
from evcare.engagement.notices import Notice
from evcare.engagement.notification_models import Notification
from evcare.engagement.preferences import Subject
from evcare.identity.models import User

_counter = itertools.count(1)


async def notify(
    runtime: Runtime,
    user: User,
    *,
    category: str = "booking",
    title: str | None = None,
    subject: Subject | None = Subject.BOOKING,
) -> list[Notification]:
    """Deliver one notice to ``user`` as an event would; the records it wrote."""
    async with runtime.sessionmaker() as session:
        rows = await notifications.deliver(
            session,
            Notice(
                user_id=user.id,
                category=category,
                title=title or f"Notice {next(_counter)}",
                message="Something happened",
                subject=subject,
                data={"ref": "x"},
            ),
            source=str(uuid.uuid4()),
        )
        await session.commit()
    return rows
