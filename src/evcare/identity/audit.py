"""Security audit trail: one log line per committed identity event (ids only, no PII)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, subscribe

log = logging.getLogger("evcare.audit")

TOPICS = (
    "identity.user_registered",
    "identity.user_logged_in",
    "identity.user_logged_out",
    "identity.password_changed",
    "identity.user_created",
    "identity.user_deleted",
    "identity.sign_in_locked",
)


async def record(_: AsyncSession, event: OutboxEvent) -> None:
    log.info("%s user_id=%s event_id=%s", event.topic, event.payload.get("userId"), event.id)


def register() -> None:
    for topic in TOPICS:
        subscribe(topic, record)
