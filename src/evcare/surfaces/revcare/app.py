"""The RevCare surface, served at the root paths its document gives; Swagger at ``/docs``."""

from __future__ import annotations

from fastapi import FastAPI

from evcare.core.runtime import Runtime
from evcare.surfaces.errors import install_error_handlers
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
from evcare.surfaces.revcare.errors import render_revcare_error

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
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app, render_revcare_error)
    for section in SECTIONS:
        app.include_router(section.router)
    return app
