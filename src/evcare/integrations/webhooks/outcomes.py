"""What an attempt's outcome does: the attempt's row, its delivery's next state (done,
retried on the schedule, or failed), and its endpoint's (the failure clock, disabled by
``410`` or five days of failures, the organization's admins notified)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from evcare.core.events import publish_many
from evcare.identity.models import AccountRole, OrganizationMember
from evcare.integrations.models import Integration
from evcare.integrations.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

if TYPE_CHECKING:
    from evcare.integrations.webhooks.delivery import Claim

log = logging.getLogger("evcare.webhooks")

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
DISABLE_AFTER = timedelta(days=5)
DISABLED_TOPIC = "integrations.webhook_disabled"


@dataclass(frozen=True)
class Outcome:
    attempted_at: datetime
    latency_ms: int
    status_code: int | None
    excerpt: str | None
    error: str | None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def next_attempt_after(attempts_made: int, at: datetime) -> datetime | None:
    """When to try again after ``attempts_made`` attempts failed (None: give up)."""
    if attempts_made > len(RETRY_DELAYS):
        return None
    return at + RETRY_DELAYS[attempts_made - 1]


async def record_attempts(
    session: AsyncSession, batch: list[tuple[Claim, Outcome]], *, now: datetime
) -> None:
    """The attempts' rows (one INSERT), and each delivery's next state (done, retry at,
    or failed)."""
    session.add_all(
        WebhookAttempt(
            delivery_id=claim.delivery_id,
            number=claim.attempt,
            attempted_at=outcome.attempted_at,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        for claim, outcome in batch
    )
    await session.flush()
    for claim, outcome in batch:
        gone = outcome.status_code == 410
        retry_at = None if outcome.succeeded or gone else next_attempt_after(claim.attempt, now)
        if outcome.succeeded:
            status = DeliveryStatus.SUCCEEDED
        else:
            status = DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED
        settled = await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == claim.delivery_id)
            .where(WebhookDelivery.claim_token == claim.claim_token)
            .values(
                status=status,
                attempt_count=claim.attempt,
                last_attempt_at=outcome.attempted_at,
                next_attempt_at=retry_at,
                succeeded_at=now if outcome.succeeded else None,
                claimed_until=None,
                claim_token=None,
            )
            .execution_options(synchronize_session=False)
        )
        if not settled.rowcount:  # type: ignore[attr-defined]
            # A replay took the delivery meanwhile: its count still moves on, so the
            # next attempt gets the next number.
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == claim.delivery_id)
                .where(WebhookDelivery.attempt_count < claim.attempt)
                .values(attempt_count=claim.attempt)
                .execution_options(synchronize_session=False)
            )


async def judge_endpoint(
    session: AsyncSession, endpoint: WebhookEndpoint, outcome: Outcome, *, now: datetime
) -> None:
    """Success clears the failure clock; 410 or five days of failures disable."""
    if outcome.succeeded:
        endpoint.failing_since = None
        return
    if endpoint.failing_since is None:
        endpoint.failing_since = outcome.attempted_at
    reason = None
    if outcome.status_code == 410:
        reason = "the endpoint answered 410 Gone"
    elif now - endpoint.failing_since >= DISABLE_AFTER:
        reason = "every attempt failed for five days"
    if reason is None or endpoint.status == EndpointStatus.DISABLED:
        return
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = reason
    log.warning("webhook endpoint disabled webhook_id=%s: %s", endpoint.id, reason)
    await _notify_disabled(session, endpoint, reason)


async def _notify_disabled(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """One notification (in-app and email) to each admin of the endpoint's organization."""
    admins = await session.scalars(
        select(OrganizationMember.user_id)
        .join(Integration, Integration.organization_id == OrganizationMember.organization_id)
        .where(Integration.id == endpoint.integration_id)
        .where(OrganizationMember.role == AccountRole.ORGANIZATION_ADMIN)
    )
    recipients = list(admins.all())
    if not recipients:
        return
    await publish_many(
        session,
        [
            (
                DISABLED_TOPIC,
                {
                    "user_id": user_id,
                    "category": "webhooks",
                    "title": "Webhook endpoint disabled",
                    "message": f"Webhook {endpoint.id} was disabled: {reason}. "
                    "Fix it, enable it again and recover the failed deliveries.",
                    "data": {"webhookId": endpoint.id, "integrationId": endpoint.integration_id},
                },
            )
            for user_id in recipients
        ],
    )
