"""Rate limiting on /api/: headers, the 429 body, memory and Redis storage."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from evcare.app import create_app
from tests.conftest import make_settings


async def _limited_client(
    database_url: str, **overrides: object
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(make_settings(database_url, rate_limit="3/15minutes", **overrides))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
        await app.state.runtime.rate_limiter.reset()


@pytest.fixture
async def limited(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _limited_client(database_url):
        yield client


async def test_api_responses_carry_rate_limit_headers(limited: httpx.AsyncClient) -> None:
    response = await limited.get("/api/v1/auth/me")
    assert response.headers["x-ratelimit-limit"] == "3"
    assert response.headers["x-ratelimit-remaining"] == "2"
    assert int(response.headers["x-ratelimit-reset"]) > 0


async def test_past_the_limit_the_documented_429_body_is_returned(
    limited: httpx.AsyncClient,
) -> None:
    for _ in range(3):
        await limited.get("/api/v1/auth/me")
    response = await limited.get("/api/v1/auth/me")
    assert response.status_code == 429
    body = response.json()
    assert body["success"] is False
    assert body["statusCode"] == 429
    assert body["message"] == "Too many requests, please try again later"
    assert 0 < body["retryAfter"] <= 900
    assert response.headers["retry-after"] == str(body["retryAfter"])
    assert response.headers["x-ratelimit-remaining"] == "0"


async def test_by_default_a_changing_x_forwarded_for_does_not_escape_the_429(
    limited: httpx.AsyncClient,
) -> None:
    # Without EVCARE_TRUST_FORWARDED_FOR the header is the client's word, not its address.
    for n in range(3):
        sent = await limited.get("/api/v1/auth/me", headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert sent.status_code == 401
    spoofed = await limited.get("/api/v1/auth/me", headers={"X-Forwarded-For": "10.9.9.9"})
    assert spoofed.status_code == 429


async def test_routes_outside_api_are_not_limited(limited: httpx.AsyncClient) -> None:
    for _ in range(5):
        response = await limited.get("/healthz")
    assert response.status_code == 200
    assert "x-ratelimit-limit" not in response.headers


@pytest.mark.skipif(
    not os.environ.get("EVCARE_TEST_REDIS_URL"),
    reason="set EVCARE_TEST_REDIS_URL (CI does) to test the Redis-backed limiter",
)
async def test_with_redis_two_processes_share_one_counter(database_url: str) -> None:
    url = os.environ["EVCARE_TEST_REDIS_URL"]
    # Two app instances stand for two server processes; a unique IP keeps runs apart.
    ip = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    headers = {"X-Forwarded-For": ip}
    clients = [
        _limited_client(database_url, redis_url=url, trust_forwarded_for=True) for _ in range(2)
    ]
    first = await anext(clients[0])
    second = await anext(clients[1])
    try:
        for client in (first, second, first):
            assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
        assert (await second.get("/api/v1/auth/me", headers=headers)).status_code == 429
    finally:
        for generator in clients:
            await generator.aclose()
