"""Notifications: a subscriber turns committed domain events into in-app records and
emails, and the log of what was sent is readable by its recipient and by admins.

Email goes through SMTP when configured; otherwise it is recorded as ``logged`` (the
line in the application log is the delivery), which is the embedded default.
"""

from __future__ import annotations

import logging
from typing import Any

import aiosmtplib
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, subscribe
from evcare.engagement import repository
from evcare.engagement.mail import SmtpMailer
from evcare.engagement.notification_models import Channel, Delivery, Notification
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope

log = logging.getLogger("evcare.notifications")

# Events whose payload carries ``user_id, category, title, message, data``.
NOTIFYING_TOPICS = (
    "service.booking_status_changed",
    "identity.sign_in_locked",
    "billing.wallet_low_balance",
    "billing.refund_requested",
    "billing.refund_processed",
)
MAX_LOG_LIMIT = 200


_mailer: SmtpMailer | None = None


async def notify_from_event(session: AsyncSession, event: OutboxEvent) -> None:
    """Write the in-app notification and the email record for one event, once; send the
    email when SMTP is configured."""
    payload: dict[str, Any] = event.payload
    source = str(event.id)
    common = {
        "user_id": int(payload["user_id"]),
        "category": str(payload["category"])[:40],
        "title": str(payload["title"])[:200],
        "message": str(payload["message"])[:1000],
        "data": dict(payload.get("data", {})),
        "source_event_id": source,
    }
    mailer = _mailer
    email = Notification(
        channel=Channel.EMAIL,
        delivery_status=Delivery.PENDING if mailer else Delivery.LOGGED,
        **common,
    )
    # Write first, check by constraint: on SQLite a read before the write would pin an old
    # snapshot and make the write fail whenever a request committed in between.
    try:
        async with session.begin_nested():
            session.add_all(
                [
                    Notification(
                        channel=Channel.IN_APP, delivery_status=Delivery.DELIVERED, **common
                    ),
                    email,
                ]
            )
            await session.flush()
    except IntegrityError:
        # Already written for this event (a redelivery), or the recipient is gone.
        return
    if mailer is None:
        # Ids and category only: the address and the text stay out of the log.
        log.info(
            "email notification logged (SMTP not configured) user_id=%s category=%s event_id=%s",
            common["user_id"],
            common["category"],
            source,
        )
        return
    email.delivery_status = await _send(session, mailer, email)
    await session.flush()


async def _send(session: AsyncSession, mailer: SmtpMailer, email: Notification) -> Delivery:
    """One attempt; a failure is recorded on the notification (the in-app one stands)."""
    user = await identity_repository.get_user(session, email.user_id)
    if user is None:
        return Delivery.FAILED
    try:
        await mailer.send(to=user.email, subject=email.title, body=email.message)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        log.warning(
            "email notification failed user_id=%s event_id=%s: %s",
            email.user_id,
            email.source_event_id,
            type(error).__name__,
        )
        return Delivery.FAILED
    return Delivery.SENT


def register(mailer: SmtpMailer | None = None) -> None:
    """Subscribe the notifier; ``mailer`` sends the emails (None: record them as logged)."""
    global _mailer
    _mailer = mailer
    for topic in NOTIFYING_TOPICS:
        subscribe(topic, notify_from_event)


async def list_logs(
    session: AsyncSession,
    principal: Principal,
    *,
    category: str | None,
    user_id: int | None,
    limit: int,
) -> list[Notification]:
    """Newest first. Admins see everyone's (optionally one user's); others only their own."""
    if not principal.has(Scope.MANAGE_NOTIFICATIONS):
        user_id = principal.user_id
    return await repository.list_notifications(
        session, user_id=user_id, category=category, limit=min(limit, MAX_LOG_LIMIT)
    )


async def in_app_notification_for_event(
    session: AsyncSession, event: OutboxEvent
) -> Notification | None:
    """The in-app record an event produced, for live delivery of the same notification."""
    return await repository.in_app_notification_for_event(session, str(event.id))
