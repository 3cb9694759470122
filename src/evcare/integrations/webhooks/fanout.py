"""The outbox subscriber: each committed domain event becomes one delivery per endpoint
that should hear it (see :mod:`evcare.integrations.webhooks.sources`).

The deliveries are written in the dispatcher's transaction (a SAVEPOINT per event), so
they commit together with the event's dispatched mark: a failure leaves the event pending
and it is handled again, and a second handling adds nothing (one delivery per endpoint
and event, by constraint, and the endpoints already served are skipped)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import OutboxEvent, subscribe
from evcare.core.public_ids import DELIVERY_ID
from evcare.integrations.webhooks import repository
from evcare.integrations.webhooks.models import DeliveryStatus, WebhookDelivery
from evcare.integrations.webhooks.service import envelope
from evcare.integrations.webhooks.sources import TRANSLATORS, Announcement, announce


async def deliver_event(session: AsyncSession, event: OutboxEvent) -> None:
    """Queue the event for every endpoint of its audience subscribed to its type, once
    (a redelivered outbox event adds nothing)."""
    announcement = announce(event.topic, event.payload)
    if announcement is not None:
        await _queue(session, event, announcement)


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
        subscribe(topic, deliver_event)
