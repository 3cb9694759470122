"""Every query of webhooks: endpoints scoped to their integration, deliveries scoped to
their endpoint, the audience of an event, and the runner's claim."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from evcare.core.pagination import Page, PageParams
from evcare.identity.models import OrganizationMember
from evcare.integrations.models import ExternalIdentity, Integration
from evcare.integrations.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

T = TypeVar("T")


async def _page(
    session: AsyncSession,
    query: Select[T],
    params: PageParams,
    *order: Any,
) -> Page[T]:
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(*order).offset(params.offset).limit(params.limit))
    return Page(items=list(rows.all()), total=total, params=params)


async def get_endpoint(
    session: AsyncSession, integration_id: str, endpoint_id: str
) -> WebhookEndpoint | None:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.integration_id != integration_id:
        return None
    return endpoint


async def list_endpoints(
    session: AsyncSession, integration_id: str, params: PageParams
) -> Page[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(WebhookEndpoint.integration_id == integration_id)
    return await _page(session, query, params, WebhookEndpoint.created_at, WebhookEndpoint.id)


async def get_delivery(
    session: AsyncSession, endpoint_id: str, delivery_id: str
) -> WebhookDelivery | None:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        return None
    return delivery


async def list_deliveries(
    session: AsyncSession, endpoint_id: str, params: PageParams, *, status: str | None
) -> Page[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    return await _page(
        session, query, params, WebhookDelivery.created_at.desc(), WebhookDelivery.id
    )


async def attempts_of(session: AsyncSession, delivery_id: str) -> list[WebhookAttempt]:
    query = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.number)
    )
    return list((await session.scalars(query)).all())


async def failed_since(
    session: AsyncSession, endpoint_id: str, since: datetime
) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .where(WebhookDelivery.status == DeliveryStatus.FAILED)
        .where(WebhookDelivery.created_at >= since)
    )
    return list((await session.scalars(query)).all())


async def audience(
    session: AsyncSession,
    *,
    user_ids: tuple[int, ...],
    integration_id: str | None,
    organization_id: str | None,
) -> list[WebhookEndpoint]:
    """The enabled endpoints of every integration of the organizations an event is about
    (see :mod:`evcare.integrations.webhooks.sources`)."""
    organizations: list[ColumnElement[bool]] = []
    if organization_id is not None:
        organizations.append(Integration.organization_id == organization_id)
    if integration_id is not None:
        owner = select(Integration.organization_id).where(Integration.id == integration_id)
        organizations.append(Integration.organization_id.in_(owner.scalar_subquery()))
    if user_ids:
        members = select(OrganizationMember.organization_id).where(
            OrganizationMember.user_id.in_(user_ids)
        )
        signer = aliased(Integration)
        signed_in = (
            select(signer.organization_id)
            .join(ExternalIdentity, ExternalIdentity.integration_id == signer.id)
            .where(ExternalIdentity.user_id.in_(user_ids))
        )
        service = aliased(Integration)
        own_account = select(service.organization_id).where(service.service_user_id.in_(user_ids))
        organizations.append(Integration.organization_id.in_(members))
        organizations.append(Integration.organization_id.in_(signed_in))
        organizations.append(Integration.organization_id.in_(own_account))
    if not organizations:
        return []
    query = (
        select(WebhookEndpoint)
        .join(Integration, Integration.id == WebhookEndpoint.integration_id)
        .where(WebhookEndpoint.status == EndpointStatus.ENABLED)
        .where(or_(*organizations))
        .order_by(WebhookEndpoint.id)
    )
    return list((await session.scalars(query)).all())


async def delivered_endpoints(session: AsyncSession, event_id: uuid.UUID) -> set[str]:
    """Endpoints that already have a delivery of this outbox event (a redelivered event)."""
    query = select(WebhookDelivery.endpoint_id).where(WebhookDelivery.event_id == event_id)
    return set((await session.scalars(query)).all())


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    limit: int,
    saturated: set[str],
    skip_locked: bool,
) -> list[WebhookDelivery]:
    """Claim up to ``limit`` due deliveries of enabled endpoints, oldest first, none of an
    endpoint in ``saturated``, and none with an older undelivered one about the same
    resource on the same endpoint (per-resource order). On PostgreSQL the rows are
    locked ``FOR UPDATE SKIP LOCKED`` so concurrent workers pick disjoint rows; the
    UPDATE repeats the conditions, so on SQLite (one writer at a time) the loser of a
    race matches nothing. The caller commits."""
    older = aliased(WebhookDelivery)
    blocked = (
        select(older.id)
        .where(older.endpoint_id == WebhookDelivery.endpoint_id)
        .where(older.resource_key == WebhookDelivery.resource_key)
        .where(older.status == DeliveryStatus.PENDING)
        .where(older.created_at < WebhookDelivery.created_at)
        .exists()
    )
    enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.status == EndpointStatus.ENABLED)
    free = (WebhookDelivery.claimed_until.is_(None)) | (WebhookDelivery.claimed_until <= now)
    query = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
        .where(WebhookDelivery.next_attempt_at <= now)
        .where(free)
        .where(WebhookDelivery.endpoint_id.in_(enabled))
        .where((WebhookDelivery.resource_key.is_(None)) | ~blocked)
        .order_by(WebhookDelivery.created_at, WebhookDelivery.id)
        .limit(limit)
    )
    if saturated:
        query = query.where(WebhookDelivery.endpoint_id.not_in(saturated))
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    ids = list((await session.scalars(query)).all())
    if not ids:
        return []
    claimed = await session.scalars(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(ids))
        .where(WebhookDelivery.status == DeliveryStatus.PENDING)
        .where(free)
        .values(claimed_until=lease_until, claim_token=uuid.uuid4())
        .returning(WebhookDelivery)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.all(), key=lambda row: (row.created_at, row.id))


async def endpoints_by_id(session: AsyncSession, ids: set[str]) -> dict[str, WebhookEndpoint]:
    if not ids:
        return {}
    rows = await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
    return {row.id: row for row in rows.all()}


async def release(
    session: AsyncSession, delivery_ids: list[str], claim_token: uuid.UUID | None
) -> int:
    """Clear a claim (the deliveries stay pending); how many rows matched."""
    result = await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id.in_(delivery_ids))
        .where(WebhookDelivery.claim_token == claim_token)
        .values(claimed_until=None, claim_token=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def answered_a_ping(session: AsyncSession, integration_id: str) -> bool:
    """Whether one of the integration's enabled endpoints answered its test ping (the
    readiness check ``webhook_verified``)."""
    query = (
        select(WebhookDelivery.id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookEndpoint.integration_id == integration_id,
            WebhookEndpoint.status == EndpointStatus.ENABLED,
            WebhookDelivery.event_type == "ping",
            WebhookDelivery.status == DeliveryStatus.SUCCEEDED,
        )
        .limit(1)
    )
    return (await session.scalar(query)) is not None
