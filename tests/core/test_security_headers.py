"""Every HTTP answer of every surface carries the browser security headers."""

from __future__ import annotations

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from evcare.app import create_app
from evcare.cli import uvicorn_options
from evcare.core.config import Settings
from evcare.core.runtime import Runtime
from tests.conftest import make_settings
from tests.factories.identity import login, make_user
from tests.factories.server import serve

SURFACE_ANSWERS = [
    ("GET", "/api/v1/profile"),  # EV-CMS 401
    ("GET", "/services/category"),  # RevCare public read
    ("GET", "/v1/health"),  # hub
    ("GET", "/v1/me"),  # hub 401
    ("GET", "/healthz"),
    ("GET", "/api/v1/no-such-route"),  # 404
    ("POST", "/api/v1/auth/login"),  # 422
]


def assert_security_headers(headers: httpx.Headers) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


@pytest.mark.parametrize(("method", "path"), SURFACE_ANSWERS)
async def test_each_surface_answers_with_the_security_headers_and_no_store(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    assert_security_headers(response.headers)
    assert (
        response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    )
    assert response.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in response.headers


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login", "email"),
        ("/auth/login", "username"),
    ],
)
async def test_sign_in_answers_carrying_tokens_are_not_stored(
    client: httpx.AsyncClient, runtime: Runtime, path: str, body: str
) -> None:
    user = await make_user(runtime)
    response = await client.post(
        path,
        json={"email": user.email, "password": "Password@123"} if body == "email" else None,
        data={"username": user.phone, "password": "Password@123"} if body == "username" else None,
    )
    assert response.status_code == 200, response.text
    assert "ccess" in response.text  # an access token is in this answer
    assert response.headers["cache-control"] == "no-store"
    assert_security_headers(response.headers)


async def test_an_authenticated_answer_is_not_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    token = await login(client, await make_user(runtime))
    response = await client.get("/api/v1/profile", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_hsts_is_sent_in_production_only(database_url: str) -> None:
    settings = make_settings(database_url, environment="production")
    production = create_app(settings)
    async with LifespanManager(production, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=production)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
            response = await c.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert_security_headers(response.headers)


async def test_evcare_serve_sends_no_server_header(app: FastAPI, settings: Settings) -> None:
    options = uvicorn_options(settings)
    async with serve(app, **options) as base_url, httpx.AsyncClient() as http:
        response = await http.get(f"{base_url}/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers
    assert_security_headers(response.headers)
