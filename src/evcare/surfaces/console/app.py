"""Installs the web console into the one ASGI app: its pages' routers and its static
files (``/console-assets``), beside the API surfaces and before RevCare's catch-all
mount, over the same runtime and services."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from evcare.surfaces.console import sign_in
from evcare.surfaces.console.admin import home as admin_home
from evcare.surfaces.console.admin import integrations as admin_integrations
from evcare.surfaces.console.admin import kyc as admin_kyc
from evcare.surfaces.console.admin import refunds as admin_refunds
from evcare.surfaces.console.admin import settings as admin_settings
from evcare.surfaces.console.admin import stations as admin_stations
from evcare.surfaces.console.admin import support as admin_support
from evcare.surfaces.console.admin import users as admin_users
from evcare.surfaces.console.admin import webhooks as admin_webhooks
from evcare.surfaces.console.developer_hub import page as developer_hub
from evcare.surfaces.console.driver import bookings as driver_bookings
from evcare.surfaces.console.driver import home as driver_home
from evcare.surfaces.console.driver import invoices as driver_invoices
from evcare.surfaces.console.driver import register as driver_register
from evcare.surfaces.console.driver import sessions as driver_sessions
from evcare.surfaces.console.driver import support as driver_support
from evcare.surfaces.console.driver import vehicles as driver_vehicles
from evcare.surfaces.console.driver import wallet as driver_wallet
from evcare.surfaces.console.operator import chargers as operator_chargers
from evcare.surfaces.console.operator import maintenance as operator_maintenance
from evcare.surfaces.console.operator import reports as operator_reports
from evcare.surfaces.console.operator import sessions as operator_sessions
from evcare.surfaces.console.templating import ASSETS_PATH

STATIC_DIR = Path(str(files("evcare.surfaces.console") / "static"))

# One router per part of the console; each part's own sections are added here.
SECTIONS = (
    sign_in,
    developer_hub,
    admin_home,
    admin_integrations,
    admin_webhooks,
    admin_users,
    admin_stations,
    admin_kyc,
    admin_support,
    admin_refunds,
    admin_settings,
    operator_chargers,
    operator_sessions,
    operator_maintenance,
    operator_reports,
    driver_register,
    driver_home,
    driver_bookings,
    driver_sessions,
    driver_wallet,
    driver_invoices,
    driver_vehicles,
    driver_support,
)


class ConsoleAssets(StaticFiles):
    """The console's CSS, JS and vendored libraries. Page URLs carry the package version
    (:func:`~evcare.surfaces.console.templating.asset`), so a day's caching is safe."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = "public, max-age=86400"
        return response


def install_console(app: FastAPI) -> None:
    app.mount(ASSETS_PATH, ConsoleAssets(directory=STATIC_DIR), name="console-assets")
    for section in SECTIONS:
        app.include_router(section.router)
