"""``/admin/integrations``: partner integrations, over the same services and request
schemas as the hub's admin API (``/v1/integrations``): create (the client secret shown
once), bundles, allowlist and redirect URIs, status, the readiness checklist, rotating
and revoking credentials, and this month's usage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from evcare.core.errors import Conflict, ValidationFailed
from evcare.core.pagination import PageParams
from evcare.core.runtime import Runtime
from evcare.core.transactions import SessionDep
from evcare.identity.principal import Principal
from evcare.integrations import service as integrations
from evcare.integrations import subscriptions
from evcare.integrations.bundles import BUNDLE_DESCRIPTIONS, Bundle
from evcare.integrations.metering import meter_of
from evcare.integrations.models import IntegrationStatus
from evcare.integrations.subscriptions import GroupBy
from evcare.integrations.webhooks import service as webhooks
from evcare.integrations.webhooks.catalogue import SUBSCRIBABLE
from evcare.surfaces.catalog import RouteCatalog
from evcare.surfaces.console.auth import AdminPage
from evcare.surfaces.console.forms import FormInvalid, lines, parse, text
from evcare.surfaces.console.routing import ConsoleRoute
from evcare.surfaces.console.templating import render
from evcare.surfaces.hub.integrations import IntegrationIn, IntegrationPatch, RotateIn
from evcare.surfaces.ids import IntegrationId

router = APIRouter(prefix="/admin/integrations", route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
NOTICES = {
    "saved": "Saved.",
    "revoked": "Credentials revoked: every secret and token of this integration is refused.",
    "webhook-deleted": "Webhook deleted.",
}


def _catalog(request: Request) -> RouteCatalog:
    catalog: RouteCatalog = request.app.state.catalog
    return catalog


def _bundle_choices() -> list[tuple[str, str]]:
    return [(bundle.value, BUNDLE_DESCRIPTIONS[bundle]) for bundle in Bundle]


async def _list_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    page: int = 1,
    errors: list[str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = await integrations.list_integrations(
        session, principal, PageParams(page=page, limit=PAGE_SIZE), status=None
    )
    return render(
        request,
        "admin/integrations.html",
        {
            "title": "Integrations",
            "found": found,
            "bundle_choices": _bundle_choices(),
            "errors": errors or [],
            "values": values or {"bundles": []},
        },
        status_code=status_code,
    )


@router.get("")
async def list_page(
    request: Request, principal: AdminPage, session: SessionDep, page: int = 1
) -> Response:
    return await _list_page(request, session, principal, page=max(page, 1))


@router.post("")
async def create(request: Request, principal: AdminPage, session: SessionDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        "name": text(form.get("name")) or "",
        "organizationName": text(form.get("organization_name")),
        "contactEmail": text(form.get("contact_email")) or "",
        "bundles": form.getlist("bundles"),
        "allowedEndpoints": lines(form.get("allowed_endpoints")),
        "redirectUris": lines(form.get("redirect_uris")),
    }
    runtime: Runtime = request.app.state.runtime
    try:
        body = parse(IntegrationIn, values)
        integration, issued = await integrations.create_integration(
            session,
            runtime.credentials,
            principal,
            name=body.name,
            organization_id=None,
            organization_name=body.organization_name,
            bundles=body.bundles,
            allowed_endpoints=body.allowed_endpoints,
            redirect_uris=[str(uri) for uri in body.redirect_uris],
            contact_email=body.contact_email,
            known_endpoints=_catalog(request).keys,
        )
    except (FormInvalid, ValidationFailed, Conflict) as error:
        invalid = error if isinstance(error, FormInvalid) else FormInvalid.of(error)
        return await _list_page(
            request,
            session,
            principal,
            errors=invalid.messages,
            values={**values, "allowedEndpoints": "\n".join(values["allowedEndpoints"])},
            status_code=422,
        )
    return render(
        request,
        "admin/secret.html",
        {
            "title": "Integration created",
            "integration": integration,
            "what": "client secret",
            "client_id": issued.client_id,
            "secret": issued.client_secret,
            "back": f"/admin/integrations/{integration.id}",
        },
        status_code=201,
    )


async def render_detail(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    integration_id: str,
    *,
    notice: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    integration, checks = await integrations.readiness(session, principal, integration_id)
    endpoints = await webhooks.list_endpoints(
        session, principal, integration_id, PageParams(page=1, limit=100)
    )
    usage = await subscriptions.usage(
        session,
        principal,
        integration_id,
        start=None,
        end=None,
        group_by=GroupBy.DAY,
        pending=meter_of(request.app.state.runtime).pending(integration_id),
    )
    return render(
        request,
        "admin/integration.html",
        {
            "title": integration.name,
            "integration": integration,
            "checks": checks,
            "webhooks": endpoints.items,
            "event_types": sorted(SUBSCRIBABLE),
            "usage": usage,
            "usage_data": {
                "days": [row.key for row in usage.rows],
                "calls": [row.calls for row in usage.rows],
            },
            "bundle_choices": _bundle_choices(),
            "statuses": [status.value for status in IntegrationStatus],
            "notice": notice,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/{integration_id}")
async def detail_page(
    request: Request,
    integration_id: IntegrationId,
    principal: AdminPage,
    session: SessionDep,
    notice: str | None = None,
) -> Response:
    return await render_detail(
        request, session, principal, integration_id, notice=NOTICES.get(notice or "")
    )


@router.post("/{integration_id}")
async def update(
    request: Request, integration_id: IntegrationId, principal: AdminPage, session: SessionDep
) -> Response:
    form = await request.form()
    values = {
        "name": text(form.get("name")),
        "bundles": form.getlist("bundles"),
        "allowedEndpoints": lines(form.get("allowed_endpoints")),
        "redirectUris": lines(form.get("redirect_uris")),
        "status": text(form.get("status")),
    }
    try:
        body = parse(IntegrationPatch, values)
        await integrations.update_integration(
            session,
            principal,
            integration_id,
            known_endpoints=_catalog(request).keys,
            name=body.name,
            bundles=body.bundles,
            allowed_endpoints=body.allowed_endpoints,
            redirect_uris=None
            if body.redirect_uris is None
            else [str(uri) for uri in body.redirect_uris],
            status=body.status,
        )
    except (FormInvalid, ValidationFailed, Conflict) as error:
        invalid = error if isinstance(error, FormInvalid) else FormInvalid.of(error)
        await session.rollback()
        return await render_detail(
            request, session, principal, integration_id, errors=invalid.messages, status_code=422
        )
    return RedirectResponse(f"/admin/integrations/{integration_id}?notice=saved", status_code=303)


@router.post("/{integration_id}/credentials/rotate")
async def rotate(
    request: Request, integration_id: IntegrationId, principal: AdminPage, session: SessionDep
) -> Response:
    form = await request.form()
    try:
        body = parse(RotateIn, {"overlapSeconds": text(form.get("overlap_seconds")) or 86_400})
    except FormInvalid as error:
        return await render_detail(
            request, session, principal, integration_id, errors=error.messages, status_code=422
        )
    issued = await integrations.rotate_credentials(
        session, principal, integration_id, overlap=timedelta(seconds=body.overlap_seconds)
    )
    integration = await integrations.get_integration(session, principal, integration_id)
    return render(
        request,
        "admin/secret.html",
        {
            "title": "New client secret",
            "integration": integration,
            "what": "client secret",
            "client_id": issued.client_id,
            "secret": issued.client_secret,
            "previous_until": issued.previous_secret_expires_at,
            "back": f"/admin/integrations/{integration_id}",
        },
    )


@router.post("/{integration_id}/credentials/revoke")
async def revoke(
    integration_id: IntegrationId, principal: AdminPage, session: SessionDep
) -> Response:
    await integrations.revoke_credentials(session, principal, integration_id)
    return RedirectResponse(f"/admin/integrations/{integration_id}?notice=revoked", status_code=303)
