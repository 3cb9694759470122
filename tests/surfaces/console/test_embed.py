"""The hosted embed portal: a partner's user lands signed in, inside the partner's
integration (its bundles and allowlist)."""

from __future__ import annotations

from typing import Any

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.console import console_sign_in
from tests.factories.identity import make_user
from tests.factories.integrations import admin_headers, client_token, create_integration, exchange

PORTAL = "/v1/integrations/embed"
EXCHANGE = "POST /v1/integrations/auth/exchange"


async def _session_code(client: httpx.AsyncClient, created: dict[str, Any]) -> str:
    token = await client_token(client, created["credentials"])
    exchanged = await exchange(client, token, created["integration"]["id"])
    assert exchanged.status_code == 200, exchanged.text
    code: str = exchanged.json()["sessionCode"]
    return code


async def _partner(client: httpx.AsyncClient, runtime: Runtime, **overrides: Any) -> dict[str, Any]:
    admin = await admin_headers(runtime, client)
    return await create_integration(client, admin, **overrides)


async def test_a_partners_user_lands_signed_in_and_the_code_leaves_the_url(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _partner(client, runtime, bundles=["ALL_ACCESS"])
    code = await _session_code(client, created)
    landing = await client.get(PORTAL, params={"sessionCode": code})
    assert landing.status_code == 303, landing.text[-900:]
    assert landing.headers["location"] == PORTAL
    assert "HttpOnly" in landing.headers["set-cookie"]
    portal = await client.get(PORTAL)
    assert portal.status_code == 200
    for section in (
        "Your profile",
        "Your vehicles",
        "Your charging sessions",
        "Your support tickets",
    ):
        assert section in portal.text
    assert 'href="/v1/integrations/embed"' in portal.text
    assert 'href="/admin/"' not in portal.text
    again = await client.get(PORTAL, params={"sessionCode": code})
    assert again.status_code == 400
    assert "invalid, already used or expired" in again.text


async def test_the_portal_shows_only_what_the_allowlist_allows(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _partner(
        client,
        runtime,
        bundles=["ALL_ACCESS"],
        allowedEndpoints=[EXCHANGE, "GET /api/v1/auth/me", "GET /api/v1/support/tickets"],
    )
    await client.get(PORTAL, params={"sessionCode": await _session_code(client, created)})
    portal = await client.get(PORTAL)
    assert portal.status_code == 200
    assert "Your support tickets" in portal.text
    assert "Your vehicles" not in portal.text
    assert "Your charging sessions" not in portal.text


async def test_an_allowlist_without_the_profile_keeps_the_portal_closed(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _partner(
        client,
        runtime,
        bundles=["ALL_ACCESS"],
        allowedEndpoints=[EXCHANGE, "GET /api/v1/support/tickets"],
    )
    landing = await client.get(PORTAL, params={"sessionCode": await _session_code(client, created)})
    assert landing.status_code == 403
    assert "allowlist" in landing.text
    assert "evcare_access" not in landing.headers.get("set-cookie", "")


async def test_a_bundle_without_the_portal_is_refused_and_the_code_stays_unspent(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _partner(client, runtime, bundles=["CLIENT_ACCESS"])
    code = await _session_code(client, created)
    landing = await client.get(PORTAL, params={"sessionCode": code})
    assert landing.status_code == 403
    assert "EMBED:PORTAL" in landing.text
    redeemed = await client.post("/v1/integrations/auth/session", json={"sessionCode": code})
    assert redeemed.status_code == 200


async def test_a_partners_user_cannot_open_the_rest_of_the_console(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    created = await _partner(client, runtime, bundles=["ALL_ACCESS"])
    await client.get(PORTAL, params={"sessionCode": await _session_code(client, created)})
    assert (await client.get("/admin/")).status_code == 403


async def test_an_evcare_account_is_no_partner_user(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    driver = await make_user(runtime, role=Role.USER)
    await console_sign_in(client, driver)
    refused = await client.get(PORTAL)
    assert refused.status_code == 403
    assert "partner platform" in refused.text


async def test_no_code_and_no_sign_in_goes_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get(PORTAL)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


async def test_a_made_up_or_oversized_code_is_refused(client: httpx.AsyncClient) -> None:
    made_up = await client.get(PORTAL, params={"sessionCode": "evc_session_nope"})
    assert made_up.status_code == 400
    oversized = await client.get(PORTAL, params={"sessionCode": "x" * 200})
    assert oversized.status_code == 422
