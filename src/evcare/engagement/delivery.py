"""Sending a notification's email or SMS record: one attempt per outbox event, each
attempt recorded; a failed one is tried again from the outbox with a growing delay.

Every outside record gets its own ``engagement.notification_delivery`` event, so a slow or
failing channel never holds up another (nor the in-app record, written before). The
handler claims the record with one conditional UPDATE (pending or failed -> pending), so
a redelivered event after a success sends nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import aiosmtplib
import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.events import OutboxEvent, publish, subscribe
from evcare.core.mail import SmtpMailer
from evcare.engagement.notification_models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    Notification,
)
from evcare.engagement.sms import SmsRefused, TwilioSender
from evcare.identity import repository as identity_repository

log = logging.getLogger("evcare.notifications")

DELIVERY_TOPIC = "engagement.notification_delivery"
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)


@dataclass
class Senders:
    """The outside channels configured in this process (None: not configured)."""

    mailer: SmtpMailer | None = None
    sms: TwilioSender | None = None

    def configured(self, channel: Channel) -> bool:
        return (self.mailer if channel == Channel.EMAIL else self.sms) is not None


senders = Senders()


async def schedule(session: AsyncSession, notification_id: int, *, after: timedelta | None) -> None:
    """Queue one delivery attempt of a record (``after``: not before that delay)."""
    event = await publish(session, DELIVERY_TOPIC, {"notificationId": notification_id})
    if after is not None:
        event.available_at = utcnow() + after
        await session.flush()


async def deliver_from_event(session: AsyncSession, event: OutboxEvent) -> None:
    notification_id = int(event.payload["notificationId"])
    # Write first (claims the record, and on SQLite takes the write lock before any read).
    claimed = await session.scalar(
        update(Notification)
        .where(Notification.id == notification_id)
        .where(Notification.delivery_status.in_([Delivery.PENDING, Delivery.FAILED]))
        .values(delivery_status=Delivery.PENDING)
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    )
    if claimed is None:  # sent already, or deleted
        return
    record = await session.get(Notification, notification_id, populate_existing=True)
    assert record is not None
    number = 1 + (
        await session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.notification_id == notification_id)
        )
        or 0
    )
    error, reference = await _attempt(session, record)
    session.add(
        DeliveryAttempt(
            notification_id=notification_id,
            number=number,
            outcome=Delivery.FAILED if error else Delivery.SENT,
            error=error,
            provider_reference=reference,
        )
    )
    record.delivery_status = Delivery.FAILED if error else Delivery.SENT
    await session.flush()
    if error and number < MAX_ATTEMPTS:
        await schedule(session, notification_id, after=FIRST_RETRY * 2 ** (number - 1))


async def _attempt(session: AsyncSession, record: Notification) -> tuple[str | None, str | None]:
    """(error kind or None, provider's reference) of one try; ids only in the log."""
    user = await identity_repository.get_user(session, record.user_id)
    try:
        if user is None:
            return "recipient gone", None
        if record.channel == Channel.EMAIL and senders.mailer is not None:
            await senders.mailer.send(to=user.email, subject=record.title, body=record.message)
            return None, None
        if record.channel == Channel.SMS and senders.sms is not None and user.phone:
            sid = await senders.sms.send(to=user.phone, body=f"{record.title}: {record.message}")
            return None, sid or None
        return f"{record.channel} not configured", None
    except SmsRefused as refused:
        error = f"SmsRefused: {refused}"
    except (aiosmtplib.SMTPException, httpx.HTTPError, OSError, TimeoutError) as failure:
        error = type(failure).__name__
    log.warning(
        "%s notification failed user_id=%s notification_id=%s: %s",
        record.channel,
        record.user_id,
        record.id,
        error,
    )
    return error[:200], None


def register() -> None:
    subscribe(DELIVERY_TOPIC, deliver_from_event)
