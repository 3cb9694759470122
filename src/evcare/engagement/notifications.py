"""Notifications: a subscriber turns committed domain events into notices, and each notice
into one record per channel the recipient's preferences allow (:mod:`.preferences`):

- ``in_app``: stored (the EV-CMS inbox) and emitted live as socket.io ``notification``
  (``evcare.realtime.fanout`` reads the record this writes);
- ``email``: sent over SMTP when configured, otherwise recorded as ``logged`` (the line in
  the application log is the delivery, the embedded default);
- ``sms``: sent through Twilio when configured and the user has a phone number; otherwise
  no SMS record at all.

Email and SMS are sent by :mod:`.delivery`, one outbox event per record, so neither waits
for the other and a failure is retried on its own. The log of what was sent is readable by
its recipient and by admins (RevCare's notification logs).
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, subscribe
from evcare.core.mail import SmtpMailer
from evcare.engagement import broadcasts, delivery, repository
from evcare.engagement.notices import COMPOSERS, Notice, compose
from evcare.engagement.notification_models import (
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
)
from evcare.engagement.preferences import channels_for, preferences_of
from evcare.engagement.sms import TwilioSender
from evcare.identity import repository as identity_repository
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope

log = logging.getLogger("evcare.notifications")

# Every topic that may notify someone (the live ``notification`` event follows these).
NOTIFYING_TOPICS = tuple(COMPOSERS)
MAX_LOG_LIMIT = 200


async def notify_from_event(session: AsyncSession, event: OutboxEvent) -> None:
    """Write the notice of one event on each allowed channel, once; queue the sending."""
    notice = compose(event.topic, event.payload)
    if notice is not None:
        await deliver(session, notice, source=str(event.id))


async def deliver(session: AsyncSession, notice: Notice, *, source: str) -> list[Notification]:
    """One record per channel for ``notice`` (``source``: what caused it, unique per
    recipient, so a redelivered cause writes nothing twice); email and SMS queued."""
    # Write first: on SQLite a read before the first write would pin an old snapshot and
    # make the write fail whenever a request committed in between.
    await session.execute(
        update(NotificationPreference)
        .where(NotificationPreference.user_id == notice.user_id)
        .values(user_id=NotificationPreference.user_id)
        .execution_options(synchronize_session=False)
    )
    channels = channels_for(await preferences_of(session, notice.user_id), notice.subject)
    if Channel.SMS in channels and not await _reachable_by_sms(session, notice.user_id):
        channels.remove(Channel.SMS)
    rows = [_record(notice, channel, source) for channel in channels]
    if not rows:
        return []
    try:
        async with session.begin_nested():
            session.add_all(rows)
            await session.flush()
    except IntegrityError:
        # Already written for this cause (a redelivery), or the recipient is gone.
        return []
    for row in rows:
        if row.delivery_status == Delivery.PENDING:
            await delivery.schedule(session, row.id, after=None)
        elif row.delivery_status == Delivery.LOGGED:
            # Ids and category only: the address and the text stay out of the log.
            log.info(
                "email notification logged (SMTP not configured) user_id=%s category=%s "
                "event_id=%s",
                row.user_id,
                row.category,
                source,
            )
    return rows


async def _reachable_by_sms(session: AsyncSession, user_id: int) -> bool:
    if not delivery.senders.configured(Channel.SMS):
        return False
    user = await identity_repository.get_user(session, user_id)
    return bool(user and user.phone)


def _record(notice: Notice, channel: Channel, source: str) -> Notification:
    if channel == Channel.IN_APP:
        status = Delivery.DELIVERED
    elif delivery.senders.configured(channel):
        status = Delivery.PENDING
    else:
        status = Delivery.LOGGED
    return Notification(
        user_id=notice.user_id,
        category=notice.category,
        title=notice.title,
        message=notice.message,
        data=notice.data,
        channel=channel,
        delivery_status=status,
        source_event_id=source,
    )


def register(mailer: SmtpMailer | None = None, sms: TwilioSender | None = None) -> None:
    """Subscribe the notifier; ``mailer`` and ``sms`` are the outside channels configured
    (None: email recorded as logged, no SMS)."""
    delivery.senders.mailer = mailer
    delivery.senders.sms = sms
    for topic in NOTIFYING_TOPICS:
        subscribe(topic, notify_from_event)
    delivery.register()
    broadcasts.register()


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


async def notifications_by_ids(session: AsyncSession, ids: list[int]) -> list[Notification]:
    return await repository.notifications_by_ids(session, ids)
