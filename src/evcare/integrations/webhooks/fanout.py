"""The outbox subscriber: each committed domain event becomes one delivery per endpoint
that should hear it (see :mod:`evcare.integrations.webhooks.sources`).

The deliveries are written and committed in a session of their own before the outbox
marks the event dispatched: a failure leaves the event pending and it is handled again,
and a second handling adds nothing (one delivery per endpoint and event, by constraint).
Its own session because the handler reads (the audience) before it writes: inside the
dispatcher's SAVEPOINT on SQLite that read would pin a snapshot, and the write would
fail whenever anyone committed in between; here the read takes no snapshot and the
write waits for the lock like any other."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, subscribe
from evcare.core.public_ids import DELIVERY_ID
from evcare.integrations.webhooks import repository
from evcare.integrations.webhooks.models import DeliveryStatus, WebhookDelivery
from evcare.integrations.webhooks.service import envelope
from evcare.integrations.webhooks.sources import TRANSLATORS, Announcement, announce


async def deliver_event(dispatching: AsyncSession, event: OutboxEvent) -> None:
    """Queue the event for every endpoint of its audience subscribed to its type, once
    (a redelivered outbox event adds nothing)."""
    announcement = announce(event.topic, event.payload)
    if announcement is None:
        return
    async with AsyncSession(dispatching.bind, expire_on_commit=False) as session:
        try:
            await _queue(session, event, announcement)
            await session.commit()
        except IntegrityError:
            # Handled before (a redelivery raced us): its deliveries stand.
            await session.rollback()


async def _queue(session: AsyncSession, event: OutboxEvent, announcement: Announcement) -> None:
    endpoints = await repository.audience(
        session,
        user_ids=announcement.user_ids,
        integration_id=announcement.integration_id,
        organization_id=announcement.organization_id,
    )
    listening = [e for e in endpoints if announcement.event_type in e.events]
    if not listening:
        return
    done = await repository.delivered_endpoints(session, event.id)
    body = envelope(announcement.event_type, announcement.data, event.created_at)
    session.add_all(
        WebhookDelivery(
            id=DELIVERY_ID.new(),
            endpoint_id=endpoint.id,
            event_id=event.id,
            event_type=announcement.event_type,
            payload=body,
            resource_key=announcement.resource_key,
            status=DeliveryStatus.PENDING,
            created_at=event.created_at,
            next_attempt_at=event.created_at,
        )
        for endpoint in listening
        if endpoint.id not in done
    )
    await session.flush()


def register() -> None:
    for topic in TRANSLATORS:
        subscribe(topic, deliver_event, uses_database=False)
