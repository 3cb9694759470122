"""Security audit trail: one log record per committed identity event (ids only, no PII).

The topic, user id and event id are fields of the record, never text in its message, so
nothing a caller sends can make a line that reads as an audit record."""

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
    "identity.user_status_changed",
    "identity.sign_in_locked",
)


async def record(_: AsyncSession, event: OutboxEvent) -> None:
    log.info(
        "audit",
        extra={
            "audit_event": event.topic,
            "user_id": event.payload.get("userId"),
            "event_id": str(event.id),
        },
    )


def register() -> None:
    for topic in TOPICS:
        subscribe(topic, record)
