"""Rendering a console page: the package's Jinja2 templates, autoescaped, with what
every page needs (the signed-in principal, the CSRF token, asset URLs) and the console's
Content-Security-Policy.

``templates/base.html`` is the layout: a skip link, ``header``/``nav``/``main``/
``footer`` landmarks, the sign-out form; a page ``{% extends "base.html" %}`` and fills
``{% block content %}``. Scripts are files under ``static/`` only (the policy allows no
inline script): a page adds ``<script src="{{ asset('js/<page>.js') }}" defer>`` in
``{% block scripts %}`` and reads its data from ``data-*`` attributes or a
``<script type="application/json">`` block (data, not code).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from evcare import __version__
from evcare.core.runtime import Runtime
from evcare.core.security_headers import CONSOLE_CONTENT_SECURITY_POLICY
from evcare.identity.models import Role
from evcare.identity.principal import Principal
from evcare.surfaces.console.auth import home_of
from evcare.surfaces.console.csrf import CSRF_FIELD, csrf_key, token_for

ASSETS_PATH = "/console-assets"


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str


_ADMIN = NavLink("/admin/", "Admin")
_OPERATOR = NavLink("/console/", "Operator console")
_DRIVER = NavLink("/app/", "My EVCare")
_HUB = NavLink("/developer-hub", "Developer hub")
_NAV_OF_ROLE: dict[str, tuple[NavLink, ...]] = {
    Role.ADMIN: (_ADMIN, _OPERATOR, _HUB),
    Role.BRAND: (_OPERATOR, _HUB),
    Role.FRANCHISE: (_OPERATOR, _HUB),
    Role.USER: (_DRIVER, _HUB),
}


EMBED_HOME = "/v1/integrations/embed"


def nav_for(principal: Principal | None) -> tuple[NavLink, ...]:
    """The header's links: the parts of the console the signed-in role may open (a
    partner's user: the embed portal only)."""
    if principal is None:
        return (_HUB,)
    if principal.integration_id is not None:
        return (NavLink(EMBED_HOME, "Your EVCare"),)
    return _NAV_OF_ROLE.get(principal.role, (_HUB,))


def home_for(principal: Principal | None) -> str:
    """Where the header's brand link and an error page's way back lead."""
    if principal is None:
        return "/developer-hub"
    return EMBED_HOME if principal.integration_id is not None else home_of(principal.role)


def asset(path: str) -> str:
    """The URL of a file under ``static/``; the version in the query lets it be cached."""
    return f"{ASSETS_PATH}/{path}?v={__version__}"


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("evcare.surfaces.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(
        asset=asset, home_for=home_for, nav_for=nav_for, csrf_field=CSRF_FIELD
    )
    return environment


templates = Jinja2Templates(env=_environment())


def csrf_signing_key(runtime: Runtime) -> bytes:
    return _key(runtime.settings.secret_key.get_secret_value())


@cache
def _key(secret_key: str) -> bytes:
    return csrf_key(secret_key)


def csrf_token(request: Request) -> str:
    """The token this browser's forms and scripts send back (see :mod:`.csrf`)."""
    return token_for(csrf_signing_key(request.app.state.runtime), request.state.csrf_nonce)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """The page ``name`` rendered with ``context`` (plus ``principal``, ``csrf_token``)."""
    values: dict[str, Any] = {
        "principal": getattr(request.state, "principal", None),
        "csrf_token": csrf_token(request),
        "title": "",
        **(context or {}),
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers["content-security-policy"] = CONSOLE_CONTENT_SECURITY_POLICY
    return response
