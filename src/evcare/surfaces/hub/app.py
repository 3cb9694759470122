"""The developer-hub surface, mounted at ``/v1``; its features arrive with the hub issue."""

from __future__ import annotations

from fastapi import FastAPI

from evcare.core.runtime import Runtime
from evcare.surfaces.errors import install_error_handlers
from evcare.surfaces.hub import integrations, organizations, sign_in, system
from evcare.surfaces.hub.errors import render_hub_error

SECTIONS = (system, sign_in, integrations, organizations)


def build_hub_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="EVCare Pro Integration API",
        version="1.0.0",
        description="Partner platforms and fleets: credentials, bundles, webhooks, billing.",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.runtime = runtime
    install_error_handlers(app, render_hub_error)
    for section in SECTIONS:
        app.include_router(section.router)
    return app
