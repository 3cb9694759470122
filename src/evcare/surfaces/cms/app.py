"""The EV-CMS surface, mounted at ``/api/v1`` with its own OpenAPI docs."""

from __future__ import annotations

from fastapi import FastAPI

from evcare.core.observability import MOUNTED_APP_TELEMETRY
from evcare.core.runtime import Runtime
from evcare.surfaces.cms import (
    admin_network,
    admin_users,
    analytics,
    auth,
    billing,
    billing_refunds,
    billing_reports,
    bookings,
    charger_commands,
    chargers,
    dashboard,
    franchises,
    id_tags,
    kyc,
    maintenance,
    notifications,
    partners,
    pricing,
    profile,
    sessions,
    settings,
    stations,
    support,
    uploads,
    vehicle_charging,
    vehicles,
    wallet,
)
from evcare.surfaces.cms.errors import CMS_ERROR_SCHEMA, render_cms_error
from evcare.surfaces.docs import install_docs
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.openapi import document_errors

SECTIONS = (
    auth,
    profile,
    wallet,
    vehicles,
    stations,
    chargers,
    sessions,
    pricing,
    charger_commands,
    vehicle_charging,
    settings,
    bookings,
    id_tags,
    partners,
    dashboard,
    franchises,
    notifications,
    maintenance,
    uploads,
    support,
    kyc,
    admin_network,
    admin_users,
    analytics,
    billing,
    billing_refunds,
    billing_reports,
)


def build_cms_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="EVCare EV-CMS API",
        version="2.1.0",
        description="Charging network API (drivers, stations, chargers, sessions, wallet).",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        redirect_slashes=False,
        telemetry=MOUNTED_APP_TELEMETRY,
    )
    app.state.runtime = runtime
    install_error_handlers(app, render_cms_error, streamed=uploads.STREAMED)
    for section in SECTIONS:
        app.include_router(section.router)
    install_docs(app)
    # Every EV-CMS path is under the rate-limited /api/ prefix.
    document_errors(
        app, schema_name="CmsError", schema=CMS_ERROR_SCHEMA, rate_limited=lambda _route: True
    )
    return app
