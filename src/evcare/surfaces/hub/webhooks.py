"""HUB.md "Webhooks": an integration's endpoints, their secrets, test pings, delivery logs,
replay and recovery, and the event-type catalogue. An admin or the integration's own
token may call them (``MANAGE:WEBHOOKS``, which every bundle grants)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from evcare.core.pagination import Pagination
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.identity.scopes import Scope
from evcare.integrations.webhooks import service as webhooks
from evcare.integrations.webhooks.catalogue import EVENT_TYPES
from evcare.integrations.webhooks.delivery import policy_of
from evcare.integrations.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from evcare.integrations.webhooks.network import MAX_URL_LENGTH
from evcare.integrations.webhooks.service import MAX_EVENTS, DeliveryLog
from evcare.integrations.webhooks.signing import SecretBox
from evcare.surfaces.deps import Authenticator
from evcare.surfaces.hub.schemas import (
    HubModel,
    IntegrationIdPath,
    Paged,
    PaginationOut,
    StrictHubModel,
    no_store,
)
from evcare.surfaces.idempotency import IdempotentRoute, idempotent
from evcare.surfaces.ids import DeliveryId, WebhookId
from evcare.surfaces.times import UtcDateTime

router = APIRouter(prefix="/integrations", tags=["webhooks"], route_class=IdempotentRoute)

_manage = Authenticator(Scope.MANAGE_WEBHOOKS)
WebhooksManage = Annotated[Principal, Depends(_manage)]
# Every POST of /v1 takes an Idempotency-Key (HUB.md "Idempotency"); a replayed create
# answers the first response again, its secret included (stored encrypted).
_once = idempotent(_manage)
WebhookIdPath = Annotated[WebhookId, Path(alias="webhookId", description="wh_...")]
DeliveryIdPath = Annotated[DeliveryId, Path(alias="deliveryId", description="msg_...")]

Url = Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
EventNames = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100)]],
    Field(min_length=1, max_length=MAX_EVENTS),
]
Description = Annotated[str, Field(max_length=500)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(_runtime)]


def _box(runtime: Runtime) -> SecretBox:
    return SecretBox(runtime.settings.secret_key.get_secret_value())


class WebhookIn(StrictHubModel):
    url: Url
    events: EventNames
    description: Description | None = None


class WebhookPatch(StrictHubModel):
    url: Url | None = None
    events: EventNames | None = None
    description: Description | None = None
    status: EndpointStatus | None = None


class WebhookOut(HubModel):
    id: str
    integration_id: str
    url: str
    description: str | None
    events: list[str]
    status: str
    disabled_reason: str | None
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=endpoint.id,
            integration_id=endpoint.integration_id,
            url=endpoint.url,
            description=endpoint.description,
            events=list(endpoint.events),
            status=endpoint.status,
            disabled_reason=endpoint.disabled_reason,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
        )


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="whsec_...: shown in this response only")


class SecretOut(HubModel):
    id: str
    secret: str
    previous_secret_expires_at: datetime


class AttemptOut(HubModel):
    number: int
    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> AttemptOut:
        return cls(
            number=attempt.number,
            attempted_at=attempt.attempted_at,
            status_code=attempt.status_code,
            latency_ms=attempt.latency_ms,
            response_excerpt=attempt.response_excerpt,
            error=attempt.error,
        )


class DeliveryOut(HubModel):
    id: str
    webhook_id: str
    event_type: str
    status: str
    attempt_count: int
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    succeeded_at: datetime | None

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> DeliveryOut:
        return cls(
            id=delivery.id,
            webhook_id=delivery.endpoint_id,
            event_type=delivery.event_type,
            status=delivery.status,
            attempt_count=delivery.attempt_count,
            created_at=delivery.created_at,
            last_attempt_at=delivery.last_attempt_at,
            next_attempt_at=(
                delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None
            ),
            succeeded_at=delivery.succeeded_at,
        )


class DeliveryDetailOut(DeliveryOut):
    payload: dict[str, Any]
    attempts: list[AttemptOut]

    @classmethod
    def of_log(cls, log: DeliveryLog) -> DeliveryDetailOut:
        return cls(
            **DeliveryOut.of(log.delivery).model_dump(by_alias=False),
            payload=log.delivery.payload,
            attempts=[AttemptOut.of(a) for a in log.attempts],
        )


class RecoverIn(StrictHubModel):
    since: UtcDateTime


class RecoveredOut(HubModel):
    webhook_id: str
    recovered: int


class EventTypeOut(HubModel):
    name: str
    description: str
    published: bool
    schema_: dict[str, Any] = Field(alias="schema")
    example: dict[str, Any]


class EventTypesOut(HubModel):
    data: list[EventTypeOut]


@router.get("/webhooks/event-types", operation_id="hub_webhook_event_types")
async def event_types(principal: WebhooksManage) -> EventTypesOut:
    """Every event type: its meaning, the JSON schema of its ``data``, an example, and
    whether EVCare publishes it today."""
    return EventTypesOut(
        data=[
            EventTypeOut(
                name=t.name,
                description=t.description,
                published=t.published,
                schema=t.schema,
                example=t.example,
            )
            for t in EVENT_TYPES
        ]
    )


@router.post(
    "/{integrationId}/webhooks",
    status_code=201,
    operation_id="hub_create_webhook",
    dependencies=[_once],
)
async def create_webhook(
    integration_id: IntegrationIdPath,
    body: WebhookIn,
    principal: WebhooksManage,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> WebhookCreatedOut:
    """A new endpoint. Its signing secret is in this response only; store it now."""
    endpoint, secret = await webhooks.create_endpoint(
        session,
        principal,
        _box(runtime),
        integration_id=integration_id,
        url=body.url,
        events=body.events,
        description=body.description,
        policy=policy_of(runtime.settings),
    )
    no_store(response)
    return WebhookCreatedOut(**WebhookOut.of(endpoint).model_dump(by_alias=False), secret=secret)


@router.get("/{integrationId}/webhooks", operation_id="hub_list_webhooks")
async def list_webhooks(
    integration_id: IntegrationIdPath,
    principal: WebhooksManage,
    session: SessionDep,
    page: Pagination,
) -> Paged[WebhookOut]:
    found = await webhooks.list_endpoints(session, principal, integration_id, page)
    return Paged(
        data=[WebhookOut.of(e) for e in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get("/{integrationId}/webhooks/{webhookId}", operation_id="hub_get_webhook")
async def get_webhook(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    principal: WebhooksManage,
    session: SessionDep,
) -> WebhookOut:
    return WebhookOut.of(
        await webhooks.get_endpoint(session, principal, integration_id, webhook_id)
    )


@router.patch("/{integrationId}/webhooks/{webhookId}", operation_id="hub_update_webhook")
async def update_webhook(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    body: WebhookPatch,
    principal: WebhooksManage,
    session: SessionDep,
    runtime: RuntimeDep,
) -> WebhookOut:
    endpoint = await webhooks.update_endpoint(
        session,
        principal,
        integration_id,
        webhook_id,
        url=body.url,
        events=body.events,
        description=body.description,
        status=body.status,
        policy=policy_of(runtime.settings),
    )
    return WebhookOut.of(endpoint)


@router.delete(
    "/{integrationId}/webhooks/{webhookId}", status_code=204, operation_id="hub_delete_webhook"
)
async def delete_webhook(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    principal: WebhooksManage,
    session: SessionDep,
) -> Response:
    await webhooks.delete_endpoint(session, principal, integration_id, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{integrationId}/webhooks/{webhookId}/rotate-secret",
    operation_id="hub_rotate_webhook_secret",
    dependencies=[_once],
)
async def rotate_webhook_secret(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    principal: WebhooksManage,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
) -> SecretOut:
    """A new secret (shown once); for 24 hours both sign every delivery."""
    endpoint, secret = await webhooks.rotate_secret(
        session, principal, _box(runtime), integration_id, webhook_id
    )
    assert endpoint.previous_secret_expires_at is not None
    no_store(response)
    return SecretOut(
        id=endpoint.id,
        secret=secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
    )


@router.post(
    "/{integrationId}/webhooks/{webhookId}/test",
    status_code=202,
    operation_id="hub_test_webhook",
    dependencies=[_once],
)
async def test_webhook(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    principal: WebhooksManage,
    session: SessionDep,
) -> DeliveryOut:
    """Queue a ``ping``; follow it in the delivery log."""
    return DeliveryOut.of(await webhooks.send_test(session, principal, integration_id, webhook_id))


@router.get(
    "/{integrationId}/webhooks/{webhookId}/deliveries", operation_id="hub_list_webhook_deliveries"
)
async def list_deliveries(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    principal: WebhooksManage,
    session: SessionDep,
    page: Pagination,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Paged[DeliveryOut]:
    found = await webhooks.list_deliveries(
        session, principal, integration_id, webhook_id, page, status=status
    )
    return Paged(
        data=[DeliveryOut.of(d) for d in found.items],
        pagination=PaginationOut.of(found),  # type: ignore[arg-type]
    )


@router.get(
    "/{integrationId}/webhooks/{webhookId}/deliveries/{deliveryId}",
    operation_id="hub_get_webhook_delivery",
)
async def get_delivery(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    delivery_id: DeliveryIdPath,
    principal: WebhooksManage,
    session: SessionDep,
) -> DeliveryDetailOut:
    """The delivery and every attempt: time, status code, latency, response excerpt
    (at most 1 KiB) and error."""
    log = await webhooks.get_delivery(session, principal, integration_id, webhook_id, delivery_id)
    return DeliveryDetailOut.of_log(log)


@router.post(
    "/{integrationId}/webhooks/{webhookId}/deliveries/{deliveryId}/replay",
    status_code=202,
    operation_id="hub_replay_webhook_delivery",
    dependencies=[_once],
)
async def replay_delivery(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    delivery_id: DeliveryIdPath,
    principal: WebhooksManage,
    session: SessionDep,
) -> DeliveryOut:
    log = await webhooks.replay(session, principal, integration_id, webhook_id, delivery_id)
    return DeliveryOut.of(log.delivery)


@router.post(
    "/{integrationId}/webhooks/{webhookId}/recover",
    status_code=202,
    operation_id="hub_recover_webhook",
    dependencies=[_once],
)
async def recover_webhook(
    integration_id: IntegrationIdPath,
    webhook_id: WebhookIdPath,
    body: RecoverIn,
    principal: WebhooksManage,
    session: SessionDep,
) -> RecoveredOut:
    """Send again every failed delivery created since ``since``."""
    count = await webhooks.recover(session, principal, integration_id, webhook_id, since=body.since)
    return RecoveredOut(webhook_id=webhook_id, recovered=count)
