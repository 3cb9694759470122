"""The RevCare surface, served at the root paths its document gives; Swagger at ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from evcare.core.observability import MOUNTED_APP_TELEMETRY
from evcare.core.runtime import Runtime
from evcare.surfaces.docs import install_docs
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.openapi import document_errors
from evcare.surfaces.revcare import (
    addresses,
    admins,
    auth,
    backups,
    bookings,
    cars,
    cart,
    content,
    customers,
    gst,
    mechanics,
    notifications,
    payments,
    schedule,
    services,
)
from evcare.surfaces.revcare.errors import REVCARE_ERROR_SCHEMA, render_revcare_error

SECTIONS = (
    auth,
    admins,
    customers,
    bookings,
    payments,
    notifications,
    backups,
    cars,
    mechanics,
    services,
    cart,
    addresses,
    schedule,
    content,
    gst,
)


def build_revcare_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="EVCare RevCare API",
        version="1.0.0",
        description="Vehicle service workshops: customers, mechanics, bookings, payments.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        telemetry=MOUNTED_APP_TELEMETRY,
    )
    app.state.runtime = runtime
    install_error_handlers(app, render_revcare_error)
    for section in SECTIONS:
        app.include_router(section.router)
    install_docs(app)
    # On RevCare only sign-in is limited (per account and per IP, issue 9 item 5).
    document_errors(
        app,
        schema_name="RevCareError",
        schema=REVCARE_ERROR_SCHEMA,
        rate_limited=lambda route: str(route.path).startswith("/auth/"),
    )
    return app
