"""Webhook endpoint rules: who may manage them, URL and event checks, secrets shown once,
rotation with overlap, test pings, delivery logs, replay and recovery.

An admin manages any integration's endpoints; an integration's own token manages its
own (another integration's are "not found"). Nobody else may.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.clock import utcnow
from evcare.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from evcare.core.pagination import Page, PageParams
from evcare.core.public_ids import DELIVERY_ID, WEBHOOK_ID
from evcare.identity.principal import Principal
from evcare.integrations import repository as integrations
from evcare.integrations.models import Integration
from evcare.integrations.webhooks import network, repository
from evcare.integrations.webhooks.catalogue import SUBSCRIBABLE
from evcare.integrations.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from evcare.integrations.webhooks.signing import SecretBox, new_secret

ROTATION_OVERLAP = timedelta(hours=24)
MAX_EVENTS = 50


@dataclass(frozen=True)
class UrlPolicy:
    """What the SSRF guard allows (from the settings)."""

    require_https: bool
    allow_private: bool


@dataclass(frozen=True)
class DeliveryLog:
    delivery: WebhookDelivery
    attempts: list[WebhookAttempt]


async def _integration(
    session: AsyncSession, principal: Principal, integration_id: str
) -> Integration:
    if not (principal.is_admin or principal.is_integration):
        raise Forbidden("An admin or the integration's own token is required")
    integration = await integrations.get_integration(session, integration_id)
    if integration is None or (
        not principal.is_admin and principal.integration_id != integration_id
    ):
        raise NotFound("Integration not found")
    return integration


async def _endpoint(
    session: AsyncSession, principal: Principal, integration_id: str, endpoint_id: str
) -> WebhookEndpoint:
    integration = await _integration(session, principal, integration_id)
    endpoint = await repository.get_endpoint(session, integration.id, endpoint_id)
    if endpoint is None:
        raise NotFound("Webhook not found")
    return endpoint


def _check_events(events: list[str]) -> list[str]:
    unknown = [event for event in events if event not in SUBSCRIBABLE]
    if unknown:
        raise ValidationFailed(
            f"Unknown event type: {unknown[0]}",
            fields=[FieldError("events", f"unknown event type {unknown[0]!r}")],
        )
    if not events:
        raise ValidationFailed(
            "At least one event type is required",
            fields=[FieldError("events", "at least one event type is required")],
        )
    return sorted(set(events))


async def create_endpoint(
    session: AsyncSession,
    principal: Principal,
    box: SecretBox,
    *,
    integration_id: str,
    url: str,
    events: list[str],
    description: str | None,
    policy: UrlPolicy,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret, returned here once (stored encrypted).
    The URL is refused unless it passes the SSRF guard now (and it is checked again at
    every attempt)."""
    integration = await _integration(session, principal, integration_id)
    subscribed = _check_events(events)
    await network.vet(url, require_https=policy.require_https, allow_private=policy.allow_private)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        id=WEBHOOK_ID.new(),
        integration_id=integration.id,
        url=url,
        description=description,
        events=subscribed,
        status=EndpointStatus.ENABLED,
        secret_encrypted=box.seal(secret),
    )
    session.add(endpoint)
    await session.flush()
    return endpoint, secret


async def list_endpoints(
    session: AsyncSession, principal: Principal, integration_id: str, params: PageParams
) -> Page[WebhookEndpoint]:
    integration = await _integration(session, principal, integration_id)
    return await repository.list_endpoints(session, integration.id, params)


async def get_endpoint(
    session: AsyncSession, principal: Principal, integration_id: str, endpoint_id: str
) -> WebhookEndpoint:
    return await _endpoint(session, principal, integration_id, endpoint_id)


async def update_endpoint(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    endpoint_id: str,
    *,
    url: str | None,
    events: list[str] | None,
    description: str | None,
    status: EndpointStatus | None,
    policy: UrlPolicy,
) -> WebhookEndpoint:
    """Change what is given; enabling a disabled endpoint starts its clock afresh."""
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    if url is not None:
        await network.vet(
            url, require_https=policy.require_https, allow_private=policy.allow_private
        )
        endpoint.url = url
    if events is not None:
        endpoint.events = _check_events(events)
    if description is not None:
        endpoint.description = description
    if status is not None and status != endpoint.status:
        endpoint.status = status
        endpoint.disabled_reason = None if status == EndpointStatus.ENABLED else "disabled by user"
        endpoint.failing_since = None
    await session.flush()
    return endpoint


async def delete_endpoint(
    session: AsyncSession, principal: Principal, integration_id: str, endpoint_id: str
) -> None:
    """The endpoint, its deliveries and their attempts; nothing more is sent to it."""
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    await session.delete(endpoint)
    await session.flush()


async def rotate_secret(
    session: AsyncSession,
    principal: Principal,
    box: SecretBox,
    integration_id: str,
    endpoint_id: str,
) -> tuple[WebhookEndpoint, str]:
    """A new signing secret (shown once); the previous one also signs for 24 hours."""
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + ROTATION_OVERLAP
    endpoint.secret_encrypted = box.seal(secret)
    await session.flush()
    return endpoint, secret


def envelope(event_type: str, data: dict[str, object], at: datetime) -> dict[str, object]:
    """The body of every delivery: ``{type, timestamp, data}``."""
    return {"type": event_type, "timestamp": at.isoformat(), "data": data}


async def send_test(
    session: AsyncSession, principal: Principal, integration_id: str, endpoint_id: str
) -> WebhookDelivery:
    """Queue a ``ping`` to this endpoint (sent by the runner like any delivery)."""
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    now = utcnow()
    delivery = WebhookDelivery(
        id=DELIVERY_ID.new(),
        endpoint_id=endpoint.id,
        event_type="ping",
        payload=envelope("ping", {"webhookId": endpoint.id, "message": "ping from EVCare"}, now),
        status=DeliveryStatus.PENDING,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(delivery)
    await session.flush()
    return delivery


async def list_deliveries(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    endpoint_id: str,
    params: PageParams,
    *,
    status: DeliveryStatus | None,
) -> Page[WebhookDelivery]:
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    return await repository.list_deliveries(session, endpoint.id, params, status=status)


async def get_delivery(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    endpoint_id: str,
    delivery_id: str,
) -> DeliveryLog:
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    delivery = await repository.get_delivery(session, endpoint.id, delivery_id)
    if delivery is None:
        raise NotFound("Delivery not found")
    return DeliveryLog(delivery, await repository.attempts_of(session, delivery.id))


def _again(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    delivery.claimed_until = None
    delivery.claim_token = None


async def replay(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    endpoint_id: str,
    delivery_id: str,
) -> DeliveryLog:
    """Send a delivery again now (same ``webhook-id``, so a receiver can tell)."""
    log = await get_delivery(session, principal, integration_id, endpoint_id, delivery_id)
    _again(log.delivery, utcnow())
    await session.flush()
    return log


async def recover(
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    endpoint_id: str,
    *,
    since: datetime,
) -> int:
    """Send again every failed delivery created since ``since``; how many."""
    endpoint = await _endpoint(session, principal, integration_id, endpoint_id)
    now = utcnow()
    failed = await repository.failed_since(session, endpoint.id, since)
    for delivery in failed:
        _again(delivery, now)
    await session.flush()
    return len(failed)
