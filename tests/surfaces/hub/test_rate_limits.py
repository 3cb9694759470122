"""Per-integration rate limits on /v1: an integration's own token and its users' tokens
share one counter, apart from every other caller, with the documented headers."""

from __future__ import annotations

import httpx

from evcare.core.runtime import Runtime
from tests.factories.identity import bearer
from tests.factories.integrations import (
    admin_headers,
    client_token,
    create_integration,
    partner_user,
)
from tests.identity.test_sign_in_lockout import client_from, limited_app

HEADERS = ("ratelimit-limit", "ratelimit-remaining", "ratelimit-reset", "ratelimit-policy")


def remaining(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    assert response.headers["x-ratelimit-remaining"] == response.headers["ratelimit-remaining"]
    return int(response.headers["ratelimit-remaining"])


async def test_an_integration_and_its_users_share_one_counter(database_url: str) -> None:
    async with limited_app(
        database_url, hub_integration_rate_limit="4/minute", hub_rate_limit="50/minute"
    ) as app:
        runtime: Runtime = app.state.runtime
        async with client_from(app) as client:
            admin = await admin_headers(runtime, client)
            created = await create_integration(client, admin)
            # exchange (with the integration's token) is the counter's first hit.
            browser = bearer((await partner_user(client, created))["accessToken"])
            own = bearer(await client_token(client, created["credentials"]))
            first = await client.get("/v1/me", headers=own)
            assert {name: first.headers[name] for name in HEADERS} == {
                "ratelimit-limit": "4",
                "ratelimit-remaining": "2",
                "ratelimit-reset": first.headers["ratelimit-reset"],
                "ratelimit-policy": "4;w=60",
            }
            assert 0 < int(first.headers["ratelimit-reset"]) <= 60
            assert remaining(await client.get("/v1/me", headers=browser)) == 1
            assert remaining(await client.get("/v1/me", headers=own)) == 0
            refused = await client.get("/v1/me", headers=browser)
            assert (refused.status_code, refused.json()["code"]) == (429, "RATE_LIMITED")
            assert refused.headers["ratelimit-remaining"] == "0"
            assert refused.headers["ratelimit-limit"] == "4"
            assert 0 < int(refused.headers["retry-after"]) <= 60
            assert (await client.get("/v1/me", headers=own)).status_code == 429
            # Another integration, and a person, each count on their own.
            other = await create_integration(client, admin)
            other_token = bearer(await client_token(client, other["credentials"]))
            assert remaining(await client.get("/v1/me", headers=other_token)) == 3
            admin_call = await client.get("/v1/me", headers=admin)
            assert admin_call.headers["ratelimit-limit"] == "50"


async def test_the_limit_counts_only_the_hub(database_url: str) -> None:
    """EV-CMS and RevCare keep their per-IP limit; the hub's counter is not charged there."""
    async with limited_app(database_url, hub_integration_rate_limit="2/minute") as app:
        runtime: Runtime = app.state.runtime
        async with client_from(app) as client:
            created = await create_integration(client, await admin_headers(runtime, client))
            own = bearer(await client_token(client, created["credentials"]))
            for _ in range(3):
                profile = await client.get("/api/v1/profile", headers=own)
                assert profile.status_code == 200
                assert "ratelimit-policy" not in profile.headers
            assert remaining(await client.get("/v1/me", headers=own)) == 1
