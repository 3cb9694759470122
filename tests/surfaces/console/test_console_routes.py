"""Rules every console route keeps, checked over every route the app has, so a page
added later is held to them too."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from fastapi import FastAPI

from evcare.core.clock import clock
from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from evcare.surfaces.console.routing import ConsoleRoute
from tests.factories.console import console_sign_in
from tests.factories.identity import make_user
from tests.surfaces.routes import routes

SAFE = {"GET", "HEAD", "OPTIONS"}


def _console_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = [
        (route.method, route.path) for route in routes(app) if isinstance(route.route, ConsoleRoute)
    ]
    assert found
    return found


def _concrete(path: str) -> str:
    """A path for the template: each parameter filled with a well-formed id."""
    return re.sub(r"\{[^}]+\}", "1", path)


async def test_every_state_changing_console_route_refuses_a_request_without_the_token(
    client: httpx.AsyncClient, app: FastAPI, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    unsafe = [(m, p) for m, p in _console_routes(app) if m not in SAFE]
    assert len(unsafe) >= 10
    for method, path in unsafe:
        response = await client.request(method, _concrete(path), data={"status": "active"})
        assert response.status_code == 403, (method, path, response.status_code)
        assert "did not come from this site" in response.text, (method, path)


async def test_every_console_page_answers_with_the_console_policy(
    client: httpx.AsyncClient, app: FastAPI, runtime: Runtime
) -> None:
    await console_sign_in(client, await make_user(runtime, role=Role.ADMIN))
    for method, path in _console_routes(app):
        if method != "GET":
            continue
        response = await client.get(_concrete(path))
        if response.is_redirect:
            # A page of another role sends the admin home: nothing is rendered here.
            assert response.headers["location"].startswith("/"), path
            assert response.content == b"", path
            continue
        assert response.headers.get("content-security-policy", "").startswith(
            "default-src 'none'; script-src 'self';"
        ), path
        assert "<script>" not in response.text, path
        for handler in ("onclick=", "onload=", "onsubmit=", 'style="'):
            assert handler not in response.text, (path, handler)


async def test_an_expired_access_cookie_is_rotated_on_the_next_page(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    admin = await make_user(runtime, role=Role.ADMIN)
    clock.freeze()
    await console_sign_in(client, admin)
    first = client.cookies["evcare_access"]
    clock.advance(runtime.credentials.cms_access_lifetime + timedelta(minutes=1))
    page = await client.get("/admin/")
    assert page.status_code == 200
    assert client.cookies["evcare_access"] != first
    again = await client.get("/admin/")
    assert again.status_code == 200
    assert "evcare_access" not in again.headers.get("set-cookie", "")
