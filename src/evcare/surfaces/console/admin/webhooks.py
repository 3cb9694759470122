"""``/admin/integrations/{id}/webhooks``: an integration's webhook endpoints, over the
same service and request schema as the hub's webhook API: create (the signing secret
shown once), the delivery log with each delivery's attempts, replay, a test ping."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import Conflict, ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.integrations import service as integrations
from evcare.integrations.webhooks import service as webhooks
from evcare.integrations.webhooks.delivery import policy_of
from evcare.integrations.webhooks.signing import SecretBox
from evcare.surfaces.console.admin.integrations import render_detail
from evcare.surfaces.console.auth import AdminPage
from evcare.surfaces.console.forms import FormInvalid, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.hub.webhooks import WebhookIn
from evcare.surfaces.ids import DeliveryId, IntegrationId, WebhookId

router = APIRouter(prefix="/admin/integrations", route_class=ConsoleRoute, include_in_schema=False)

DELIVERIES_SHOWN = 50
NOTICES = {
    "test": "Test ping queued: it appears below once sent.",
    "replayed": "Delivery queued again: the runner sends it with the same webhook-id.",
}


@router.post("/{integration_id}/webhooks")
async def create(
    request: Request, integration_id: IntegrationId, principal: AdminPage, session: SessionDep
) -> Response:
    form = await request.form()
    runtime: Runtime = request.app.state.runtime
    try:
        body = parse(
            WebhookIn,
            {
                "url": text(form.get("url")) or "",
                "events": form.getlist("events"),
                "description": text(form.get("description")),
            },
        )
        endpoint, secret = await webhooks.create_endpoint(
            session,
            principal,
            SecretBox(runtime.settings.secret_key.get_secret_value()),
            integration_id=integration_id,
            url=body.url,
            events=body.events,
            description=body.description,
            policy=policy_of(runtime.settings),
        )
    except (FormInvalid, ValidationFailed, Conflict) as error:
        invalid = error if isinstance(error, FormInvalid) else FormInvalid.of(error)
        return await render_detail(
            request, session, principal, integration_id, errors=invalid.messages, status_code=422
        )
    integration = await integrations.get_integration(session, principal, integration_id)
    return render(
        request,
        "admin/secret.html",
        {
            "title": "Webhook created",
            "integration": integration,
            "what": "webhook signing secret",
            "client_id": None,
            "secret": secret,
            "back": f"/admin/integrations/{integration_id}/webhooks/{endpoint.id}",
        },
        status_code=201,
    )


@router.get("/{integration_id}/webhooks/{webhook_id}")
async def webhook_page(
    request: Request,
    integration_id: IntegrationId,
    webhook_id: WebhookId,
    principal: AdminPage,
    session: SessionDep,
    notice: str | None = None,
) -> Response:
    integration = await integrations.get_integration(session, principal, integration_id)
    endpoint = await webhooks.get_endpoint(session, principal, integration_id, webhook_id)
    found = await webhooks.list_deliveries(
        session,
        principal,
        integration_id,
        webhook_id,
        PageParams(page=1, limit=DELIVERIES_SHOWN),
        status=None,
    )
    logs = [
        await webhooks.get_delivery(session, principal, integration_id, webhook_id, item.id)
        for item in found.items
    ]
    return render(
        request,
        "admin/webhook.html",
        {
            "title": f"Webhook {endpoint.url}",
            "integration": integration,
            "endpoint": endpoint,
            "logs": logs,
            "total": found.total,
            "notice": NOTICES.get(notice or ""),
        },
    )


@router.post("/{integration_id}/webhooks/{webhook_id}/test")
async def send_test(
    integration_id: IntegrationId, webhook_id: WebhookId, principal: AdminPage, session: SessionDep
) -> Response:
    await webhooks.send_test(session, principal, integration_id, webhook_id)
    return RedirectResponse(
        f"/admin/integrations/{integration_id}/webhooks/{webhook_id}?notice=test", status_code=303
    )


@router.post("/{integration_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/replay")
async def replay(
    integration_id: IntegrationId,
    webhook_id: WebhookId,
    delivery_id: DeliveryId,
    principal: AdminPage,
    session: SessionDep,
) -> Response:
    await webhooks.replay(session, principal, integration_id, webhook_id, delivery_id)
    return RedirectResponse(
        f"/admin/integrations/{integration_id}/webhooks/{webhook_id}?notice=replayed",
        status_code=303,
    )
