"""Builds the one ASGI app: the three surfaces, OCPP, socket.io, health and metrics, behind
the request log and the rate limiter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException

from evcare import __version__
from evcare.charging.bookings import jobs as booking_jobs
from evcare.charging.maintenance import faults as maintenance_faults
from evcare.core import mail
from evcare.core.config import Settings, get_settings
from evcare.core.observability import REGISTRY, RequestLogMiddleware, configure_logging
from evcare.core.ratelimit import RateLimitMiddleware
from evcare.core.runtime import Runtime
from evcare.core.security_headers import SecurityHeadersMiddleware
from evcare.engagement import notifications, sms
from evcare.fleet import jobs as fleet_jobs
from evcare.fleet import maintenance_due
from evcare.identity import audit
from evcare.integrations import metering as usage_metering
from evcare.integrations.webhooks import delivery as webhook_delivery
from evcare.integrations.webhooks import fanout as webhook_fanout
from evcare.ocpp import endpoint as ocpp_endpoint
from evcare.ocpp import vanished as vanished_chargers
from evcare.ocpp.registry import registry_of
from evcare.realtime.server import Realtime
from evcare.service import fleet_maintenance_events
from evcare.surfaces.catalog import RouteCatalog
from evcare.surfaces.cms.app import build_cms_app
from evcare.surfaces.cms.errors import render_cms_error
from evcare.surfaces.cms.uploads import build_files_app
from evcare.surfaces.console.app import install_console
from evcare.surfaces.errors import http_report
from evcare.surfaces.hub.app import build_hub_app
from evcare.surfaces.hub.errors import render_hub_error
from evcare.surfaces.revcare.app import build_revcare_app
from evcare.surfaces.revcare.errors import render_revcare_error

log = logging.getLogger("evcare.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    runtime = Runtime.build(settings)
    audit.register()
    notifications.register(mail.mailer_for(settings), sms.sender_for(settings))
    maintenance_faults.register()
    fleet_maintenance_events.register()
    maintenance_due.register()
    webhook_fanout.register()
    realtime = Realtime(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        await realtime.start()
        await vanished_chargers.start(runtime)
        await booking_jobs.start(runtime, registry_of(runtime))
        await fleet_jobs.start(runtime)
        await usage_metering.start(runtime)
        if settings.webhook_deliver_in_process:
            await webhook_delivery.start(runtime)
        try:
            yield
        finally:
            await _bounded("webhook delivery", webhook_delivery.stop(runtime))
            await _bounded("usage metering", usage_metering.stop(runtime))
            await _bounded("maintenance-due check", fleet_jobs.stop(runtime))
            await _bounded("bookings job", booking_jobs.stop(runtime))
            await _bounded("vanished chargers", vanished_chargers.stop(runtime))
            await _bounded("socket.io", realtime.stop())
            await _bounded("runtime", runtime.stop())

    app = FastAPI(
        title="EVCare",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            return JSONResponse(
                {"status": "unavailable", "database": type(error).__name__}, status_code=503
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api-docs", include_in_schema=False)
    async def api_docs() -> RedirectResponse:
        return RedirectResponse("/api/v1/docs")

    # socket.io (seed 002 "WebSocket Events") on the same port, before RevCare's catch-all.
    app.mount("/socket.io", realtime.asgi)
    # Chargers connect at /ocpp/<chargePointId> (OCPP-J 1.6 / 2.0.1) on the same port.
    ocpp_endpoint.install(app, runtime)
    cms = build_cms_app(runtime)
    app.mount("/api/v1", cms)
    hub = build_hub_app(runtime)
    app.mount("/v1", hub)
    # EV-CMS's upload URLs (/uploads/<type>/<filename>), before RevCare's catch-all.
    app.mount("/uploads", build_files_app(runtime))
    # The web console's pages (/sign-in, /admin/, ...) and assets, over the same services.
    install_console(app)
    # RevCare's documented paths live at the root, so it is mounted last and catches the rest.
    revcare = build_revcare_app(runtime)
    app.mount("", revcare)
    # Every route of every surface: the allowlist's vocabulary, what bundles grant, and
    # how each surface names the route a request is served by.
    catalog = RouteCatalog.of(app.routes)
    for surface in (app, cms, hub, revcare):  # app: the web console's pages
        surface.state.catalog = catalog

    app.add_exception_handler(StarletteHTTPException, _unrouted)

    app.add_middleware(
        RateLimitMiddleware,
        limiter=runtime.rate_limiter,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    app.add_middleware(RequestLogMiddleware)
    # Outermost, so every answer (a 429, a 500, a route nobody serves) carries them.
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.environment == "production")
    return app


SHUTDOWN_STEP_SECONDS = 10.0


async def _bounded(step: str, stopping: Coroutine[Any, Any, None]) -> None:
    """One shutdown step, given at most SHUTDOWN_STEP_SECONDS: a step that hangs (a
    connection that never answers) is logged by name and left behind, so the others still
    run and the process still exits."""
    task = asyncio.ensure_future(stopping)
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_STEP_SECONDS)
    if not done:
        log.warning("shutdown: %s did not stop within %.0f s", step, SHUTDOWN_STEP_SECONDS)
        return
    if task.exception() is not None:
        log.warning("shutdown: %s failed (%s)", step, type(task.exception()).__name__)


async def _unrouted(request: Request, error: Exception) -> Response:
    """A path no mount takes (a decoded newline defeats Starlette's mount patterns) still
    answers in the shape of the surface its prefix names."""
    assert isinstance(error, StarletteHTTPException)
    path = request.url.path
    if path.startswith("/api/v1"):
        render = render_cms_error
    elif path.startswith("/v1"):
        render = render_hub_error
    else:
        render = render_revcare_error
    return render(request, http_report(error))
