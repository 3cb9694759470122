"""Partner integrations for tests, made through the hub's own HTTP routes."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from evcare.core.runtime import Runtime
from evcare.identity.models import Role
from tests.factories.identity import bearer, signed_in

_counter = itertools.count(1)


async def admin_headers(runtime: Runtime, client: httpx.AsyncClient) -> dict[str, str]:
    _, headers = await signed_in(runtime, client, Role.ADMIN)
    return headers


async def create_integration(
    client: httpx.AsyncClient, admin: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """POST /v1/integrations; the 201 body ({integration, credentials})."""
    n = next(_counter)
    body: dict[str, Any] = {
        "name": f"Partner {n}",
        "organizationName": f"Partner Org {n}",
        "bundles": ["CLIENT_ACCESS"],
        "contactEmail": f"dev{n}@partner.example",
        **overrides,
    }
    response = await client.post("/v1/integrations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def client_token(client: httpx.AsyncClient, credentials: dict[str, str]) -> str:
    response = await client.post(
        "/v1/integrations/auth/client-token",
        json={"clientId": credentials["clientId"], "clientSecret": credentials["clientSecret"]},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["accessToken"]
    return token


async def exchange(
    client: httpx.AsyncClient,
    integration_token: str,
    integration_id: str,
    *,
    subject: str | None = None,
    role_hint: str = "CLIENT",
    email: str | None = None,
) -> httpx.Response:
    n = next(_counter)
    return await client.post(
        "/v1/integrations/auth/exchange",
        headers=bearer(integration_token),
        json={
            "integrationId": integration_id,
            "externalSubject": subject or f"ext_{n}",
            "email": email or f"partner-user{n}@example.com",
            "roleHint": role_hint,
        },
    )


async def partner_user(
    client: httpx.AsyncClient, created: dict[str, Any], *, role_hint: str = "CLIENT"
) -> dict[str, Any]:
    """A partner's user signed in through exchange + session: the session's 200 body."""
    token = await client_token(client, created["credentials"])
    exchanged = await exchange(client, token, created["integration"]["id"], role_hint=role_hint)
    assert exchanged.status_code == 200, exchanged.text
    session = await client.post(
        "/v1/integrations/auth/session", json={"sessionCode": exchanged.json()["sessionCode"]}
    )
    assert session.status_code == 200, session.text
    body: dict[str, Any] = session.json()
    return body
