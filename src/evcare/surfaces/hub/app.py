"""The developer-hub surface, mounted at ``/v1``; its features arrive with the hub issue."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from evcare.core.observability import MOUNTED_APP_TELEMETRY
from evcare.core.runtime import Runtime
from evcare.surfaces.console import embed
from evcare.surfaces.docs import install_docs
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.hub import (
    billing,
    client,
    fleet_drivers,
    fleet_maintenance,
    fleet_settings,
    fleet_tickets,
    fleet_vehicles,
    integrations,
    organizations,
    sign_in,
    subscriptions,
    system,
    webhooks,
    workshops,
)
from evcare.surfaces.hub.errors import HUB_ERROR_SCHEMA, render_hub_error
from evcare.surfaces.hub.throttle import CallerLimit
from evcare.surfaces.openapi import document_errors

# subscriptions, webhooks, billing and the embed portal (a page of the web console)
# before integrations: /integrations/plans, /integrations/webhooks/event-types,
# /integrations/billing/... and /integrations/embed before /integrations/{integrationId}.
SECTIONS = (
    system,
    sign_in,
    subscriptions,
    webhooks,
    billing,
    embed,
    integrations,
    organizations,
    # Their own prefixes (/fleet/tickets, /client): no order to keep with the others.
    fleet_tickets,
    client,
    workshops,
    fleet_maintenance,
    fleet_vehicles,
    fleet_drivers,
    fleet_settings,
)


def build_hub_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="EVCare Pro Integration API",
        version="1.0.0",
        description="Partner platforms and fleets: credentials, bundles, webhooks, billing.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(CallerLimit(runtime))],
        telemetry=MOUNTED_APP_TELEMETRY,
    )
    app.state.runtime = runtime
    install_error_handlers(app, render_hub_error)
    for section in SECTIONS:
        app.include_router(section.router)
    install_docs(app)
    # /v1 has its own per-caller limit (issue 9, item 5).
    document_errors(
        app, schema_name="HubError", schema=HUB_ERROR_SCHEMA, rate_limited=lambda _route: True
    )
    return app
